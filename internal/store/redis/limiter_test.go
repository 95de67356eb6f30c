package redis

import (
	"errors"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hummingbird-dispatch/hummingbird/internal/ratelimit"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/storetest"
	"github.com/hummingbird-dispatch/hummingbird/internal/testenv"
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

// Redis hangs (connection open, no answer): Allow gives up after its timeout and lets
// the request through rather than making it wait.
func TestLimiterFailsOpenWhenRedisHangs(t *testing.T) {
	t.Parallel()
	prefix := testPrefix()
	testClient(t, prefix, "direct") // deletes the prefix's keys at cleanup
	p := startProxy(t, testenv.RedisAddr())
	c := goredis.NewClient(&goredis.Options{Addr: p.addr, MaxRetries: -1, DialerRetries: 1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	l, err := NewLimiter(c, LimiterConfig{Prefix: prefix, Limit: ratelimit.Config{Rate: 1, Burst: 1}, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := l.Allow(t.Context(), "mer_a", time.Now()); err != nil || !d.Allowed {
		t.Fatalf("first Allow: %+v, %v", d, err)
	}
	p.freeze()
	defer p.thaw()
	start := time.Now()
	d, err := l.Allow(t.Context(), "mer_a", time.Now())
	if !errors.Is(err, ratelimit.ErrUnavailable) || !d.Allowed {
		t.Fatalf("Allow with Redis hung: %+v, %v; want allowed and ErrUnavailable", d, err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("Allow took %v with a 50ms timeout", took)
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
