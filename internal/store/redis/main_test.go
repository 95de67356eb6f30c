package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/hummingbird-dispatch/hummingbird/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testPrefix returns a key prefix no other test uses.
func testPrefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "hbtest:" + hex.EncodeToString(b[:])
}

// testClient opens a client on the test Redis named <prefix>:<name>, or ends the test
// through testenv.Unreachable. At cleanup it deletes every key under prefix and closes
// the client.
func testClient(t testing.TB, prefix, name string) *goredis.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Open(ctx, testenv.RedisAddr(), prefix+":"+name)
	if err != nil {
		testenv.Unreachable(t, "redis", err)
	}
	t.Cleanup(func() {
		deletePrefix(t, c, prefix)
		_ = c.Close()
	})
	return c
}

// deletePrefix deletes every key under prefix, and nothing else: tests share one Redis
// and run in parallel, so this stands in for FLUSHDB.
func deletePrefix(t testing.TB, c *goredis.Client, prefix string) {
	t.Helper()
	ctx := context.Background()
	iter := c.Scan(ctx, 0, strings.TrimSuffix(prefix, ":")+":*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("scan %s: %v", prefix, err)
		return
	}
	if len(keys) > 0 {
		if err := c.Unlink(ctx, keys...).Err(); err != nil {
			t.Errorf("unlink %d keys of %s: %v", len(keys), prefix, err)
		}
	}
}

// keyCount returns how many keys exist under prefix.
func keyCount(t testing.TB, c *goredis.Client, prefix string) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	iter := c.Scan(ctx, 0, prefix+":*", 500).Iterator()
	for iter.Next(ctx) {
		n++
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// eventually polls cond until it holds, failing the test after a deadline. It waits on
// a condition, not for a guessed duration.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// unreachableClient returns a client for an address where nothing listens.
func unreachableClient(t testing.TB) *goredis.Client {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: deadAddr(t), MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = c.Close() })
	return c
}
