package redis

import (
	"errors"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/internal/ratelimit"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/storetest"
)

func newTestLimiter(t *testing.T, cfg ratelimit.Config) (*Limiter, string) {
	t.Helper()
	prefix := testPrefix()
	l, err := NewLimiter(testClient(t, prefix, "limiter"), LimiterConfig{Prefix: prefix, Limit: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return l, prefix
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	storetest.Limiter(t, func(t *testing.T, cfg ratelimit.Config) ratelimit.Limiter {
		l, _ := newTestLimiter(t, cfg)
		return l
	})
}

// Redis unreachable at request time: the limiter lets the request through and says why.
func TestLimiterFailsOpen(t *testing.T) {
	t.Parallel()
	l, err := NewLimiter(unreachableClient(t), LimiterConfig{Prefix: "hbtest", Limit: ratelimit.Config{Rate: 1, Burst: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		d, err := l.Allow(t.Context(), "mer_a", time.Now())
		if !errors.Is(err, ratelimit.ErrUnavailable) || !d.Allowed {
			t.Fatalf("Allow with Redis down: %+v, %v; want allowed and ErrUnavailable", d, err)
		}
	}
}

// Redis loses every key: each merchant starts again with a full burst.
func TestLimiterStartsFreshAfterFlush(t *testing.T) {
	t.Parallel()
	cfg := ratelimit.Config{Rate: 1, Burst: 3}
	l, prefix := newTestLimiter(t, cfg)
	now := time.Now()
	for range cfg.Burst {
		if d, err := l.Allow(t.Context(), "mer_a", now); err != nil || !d.Allowed {
			t.Fatalf("within burst: %+v, %v", d, err)
		}
	}
	if d, _ := l.Allow(t.Context(), "mer_a", now); d.Allowed {
		t.Fatal("over burst allowed")
	}
	deletePrefix(t, l.c, prefix)
	d, err := l.Allow(t.Context(), "mer_a", now)
	if err != nil || !d.Allowed || d.Remaining != cfg.Burst-1 {
		t.Fatalf("after flush: %+v, %v; want a full burst", d, err)
	}
}

// A key lives only as long as it matters: until its whole burst is back.
func TestLimiterKeyExpires(t *testing.T) {
	t.Parallel()
	cfg := ratelimit.Config{Rate: 10, Burst: 5}
	l, _ := newTestLimiter(t, cfg)
	now := time.Now()
	for range 3 {
		if _, err := l.Allow(t.Context(), "mer_a", now); err != nil {
			t.Fatal(err)
		}
	}
	ttl, err := l.c.PTTL(t.Context(), l.prefix+"mer_a").Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > 3*cfg.Interval() {
		t.Fatalf("PTTL %v after 3 requests at 10/s, want (0, 300ms]", ttl)
	}
}

func TestNewLimiterRejectsConfig(t *testing.T) {
	for _, cfg := range []LimiterConfig{
		{Prefix: "", Limit: ratelimit.Config{Rate: 1, Burst: 1}},
		{Prefix: "a{b}", Limit: ratelimit.Config{Rate: 1, Burst: 1}},
		{Prefix: "hb", Limit: ratelimit.Config{}},
	} {
		if _, err := NewLimiter(nil, cfg); !errors.Is(err, ErrConfig) && !errors.Is(err, ratelimit.ErrConfig) {
			t.Errorf("NewLimiter(%+v): %v, want a config error", cfg, err)
		}
	}
}
