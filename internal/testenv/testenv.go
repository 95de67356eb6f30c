// Package testenv tells tests where the real Postgres and Redis are, and what to do when
// they are not there: skip with a loud message on a developer's machine, fail under
// CI=true, where an unreachable service means the run proves nothing.
//
// Concurrency: every function is safe to call from parallel tests.
package testenv

import (
	"os"
	"sync"
	"testing"
	"time"
)

// Default addresses of the services the machine runs (trust authentication).
const (
	DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	DefaultRedisAddr   = "127.0.0.1:6379"
)

// PostgresURL is HB_TEST_POSTGRES_URL, or DefaultPostgresURL.
func PostgresURL() string { return env("HB_TEST_POSTGRES_URL", DefaultPostgresURL) }

// RedisAddr is HB_TEST_REDIS_ADDR, or DefaultRedisAddr.
func RedisAddr() string { return env("HB_TEST_REDIS_ADDR", DefaultRedisAddr) }

// Unreachable ends the test because service could not be reached (err says why): a
// failure under CI=true, a skip with a loud message otherwise.
func Unreachable(t testing.TB, service string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is unreachable and CI=true requires it: %v", service, err)
	}
	t.Skipf("SKIPPED: %s is unreachable (%v); start it or these tests prove nothing", service, err)
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Clock is a settable clock for tests (it satisfies dispatch.Clock and every other
// one-method clock here). The zero value reads the zero time.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
