package api

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/internal/ratelimit"
	"github.com/hummingbird-dispatch/hummingbird/internal/testenv"
)

func TestMerchantRateLimit(t *testing.T) {
	wall := testenv.NewClock(testEpoch)
	lim, err := ratelimit.NewMemory(ratelimit.Config{Rate: 1, Burst: 2})
	if err != nil {
		t.Fatal(err)
	}
	env := newTestEnv(t, func(c *Config) { c.Limiter, c.Wall = lim, wall })
	env.adminSetup(t)
	keyA, _ := env.newMerchant(t, "A")
	keyB, _ := env.newMerchant(t, "B")

	for i := range 2 {
		if r := env.do(t, http.MethodGet, "/v1/orders", keyA, nil); r.Status != http.StatusOK || r.Header.Get("RateLimit-Remaining") == "" {
			t.Fatalf("request %d within the burst: %d, RateLimit-Remaining %q", i, r.Status, r.Header.Get("RateLimit-Remaining"))
		}
	}
	r := env.do(t, http.MethodGet, "/v1/orders", keyA, nil)
	r.problem(t, http.StatusTooManyRequests, "rate_limited")
	if got := r.Header.Get("Retry-After"); got != "1" {
		t.Fatalf("Retry-After = %q, want 1 (one request per second)", got)
	}
	// Another merchant has its own allowance.
	if r := env.do(t, http.MethodGet, "/v1/orders", keyB, nil); r.Status != http.StatusOK {
		t.Fatalf("merchant B refused: %d", r.Status)
	}
	// A second later A may call again.
	wall.Advance(time.Second)
	if r := env.do(t, http.MethodGet, "/v1/orders", keyA, nil); r.Status != http.StatusOK {
		t.Fatalf("after a second: %d, want 200", r.Status)
	}
}

// downLimiter is a shared limiter whose backend is unreachable.
type downLimiter struct{}

func (downLimiter) Allow(context.Context, string, time.Time) (ratelimit.Decision, error) {
	return ratelimit.Decision{Allowed: true}, errors.Join(ratelimit.ErrUnavailable, errors.New("connection refused"))
}

func TestRateLimitFailsOpen(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.Limiter = downLimiter{} })
	env.adminSetup(t)
	key, _ := env.newMerchant(t, "A")
	for range 5 {
		if r := env.do(t, http.MethodGet, "/v1/orders", key, nil); r.Status != http.StatusOK {
			t.Fatalf("limiter down: %d, want the request served", r.Status)
		}
	}
}
