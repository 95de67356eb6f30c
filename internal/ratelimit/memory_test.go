package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/internal/ratelimit"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/storetest"
)

func TestMemory(t *testing.T) {
	storetest.Limiter(t, func(t *testing.T, cfg ratelimit.Config) ratelimit.Limiter {
		l, err := ratelimit.NewMemory(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []ratelimit.Config{
		{}, {Rate: 1}, {Burst: 1}, {Rate: -1, Burst: 1}, {Rate: 2e6, Burst: 1},
	} {
		if _, err := ratelimit.NewMemory(c); !errors.Is(err, ratelimit.ErrConfig) {
			t.Errorf("NewMemory(%+v): err %v, want ErrConfig", c, err)
		}
	}
	if err := (ratelimit.Config{Rate: 0.01, Burst: 1}).Validate(); err != nil {
		t.Errorf("one per 100s: %v", err)
	}
}

// Keys whose allowance came back are forgotten, so memory follows the active keys.
func TestMemorySweepsIdleKeys(t *testing.T) {
	l, err := ratelimit.NewMemory(ratelimit.Config{Rate: 10, Burst: 5})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	for i := range 5000 {
		if _, err := l.Allow(t.Context(), fmt.Sprint("mer_", i), t0); err != nil {
			t.Fatal(err)
		}
	}
	later := t0.Add(time.Second)
	for range 4096 {
		if _, err := l.Allow(t.Context(), "busy", later); err != nil {
			t.Fatal(err)
		}
	}
	if n := l.Len(); n != 1 {
		t.Fatalf("after a sweep %d keys remain, want only the busy one", n)
	}
}

func ExampleMemory() {
	l, _ := ratelimit.NewMemory(ratelimit.Config{Rate: 2, Burst: 2})
	now := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	for range 3 {
		d, _ := l.Allow(context.Background(), "mer_a", now)
		fmt.Printf("%+v\n", d)
	}
	// Output:
	// {Allowed:true RetryAfter:0s Remaining:1}
	// {Allowed:true RetryAfter:0s Remaining:0}
	// {Allowed:false RetryAfter:500ms Remaining:0}
}
