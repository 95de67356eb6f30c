package storetest

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/internal/ratelimit"
)

// limiterCase is one subtest of the ratelimit.Limiter suite.
type limiterCase struct {
	name string
	cfg  ratelimit.Config
	run  func(t *testing.T, l ratelimit.Limiter, cfg ratelimit.Config)
}

// Limiter runs the ratelimit.Limiter conformance suite against limiters made by
// newLimiter (each call returns a fresh limiter enforcing cfg that has seen no key). Time
// is the now passed to Allow, so the suite runs on a fake clock; backends may round it to
// the microsecond.
func Limiter(t *testing.T, newLimiter func(t *testing.T, cfg ratelimit.Config) ratelimit.Limiter) {
	t.Helper()
	for _, c := range limiterCases() {
		t.Run(c.name, func(t *testing.T) { c.run(t, newLimiter(t, c.cfg), c.cfg) })
	}
}

// retryTolerance is how far a RetryAfter may be below the exact figure (a backend keeping
// microseconds rounds down).
const retryTolerance = time.Millisecond

// allow calls Allow and checks the outcome; a negative remaining is not checked.
func allow(t *testing.T, l ratelimit.Limiter, key string, now time.Time, wantAllowed bool, wantRemaining int) ratelimit.Decision {
	t.Helper()
	d, err := l.Allow(t.Context(), key, now)
	ok(t, err)
	if d.Allowed != wantAllowed || (wantRemaining >= 0 && d.Remaining != wantRemaining) {
		t.Fatalf("Allow(%q) at %v: %+v, want allowed %v remaining %d", key, now, d, wantAllowed, wantRemaining)
	}
	if d.Allowed && d.RetryAfter != 0 {
		t.Fatalf("Allow(%q) at %v: allowed with RetryAfter %v", key, now, d.RetryAfter)
	}
	return d
}

// wantRetry fails unless a refusal asks to wait about want.
func wantRetry(t *testing.T, d ratelimit.Decision, want time.Duration) {
	t.Helper()
	if d.Allowed || d.RetryAfter > want || d.RetryAfter < want-retryTolerance {
		t.Fatalf("decision %+v, want refused with RetryAfter %v", d, want)
	}
}

// spend uses a fresh key's whole burst at now.
func spend(t *testing.T, l ratelimit.Limiter, cfg ratelimit.Config, key string, now time.Time) {
	t.Helper()
	for i := range cfg.Burst {
		allow(t, l, key, now, true, cfg.Burst-1-i)
	}
}

func limiterCases() []limiterCase {
	tenPerSecond := ratelimit.Config{Rate: 10, Burst: 5} // interval 100ms
	return []limiterCase{
		{"BurstThenRefused", tenPerSecond, func(t *testing.T, l ratelimit.Limiter, cfg ratelimit.Config) {
			now := baseTime()
			spend(t, l, cfg, "mer_a", now)
			// Refusals do not consume: asking again at once gets the same answer.
			for range 3 {
				wantRetry(t, allow(t, l, "mer_a", now, false, 0), cfg.Interval())
			}
			wantRetry(t, allow(t, l, "mer_a", now.Add(30*time.Millisecond), false, 0), 70*time.Millisecond)
		}},
		{"RefillOverTime", tenPerSecond, func(t *testing.T, l ratelimit.Limiter, cfg ratelimit.Config) {
			now := baseTime()
			spend(t, l, cfg, "mer_a", now)
			d := allow(t, l, "mer_a", now, false, 0)
			// Exactly at RetryAfter one request comes back, and only one.
			now = now.Add(d.RetryAfter)
			allow(t, l, "mer_a", now, true, 0)
			wantRetry(t, allow(t, l, "mer_a", now, false, 0), cfg.Interval())
			// Half the burst window later, half the burst is back.
			now = now.Add(cfg.Interval() * 2)
			allow(t, l, "mer_a", now, true, 1)
			// After a full idle window the whole burst is back, and no more.
			now = now.Add(cfg.Interval() * time.Duration(10*cfg.Burst))
			spend(t, l, cfg, "mer_a", now)
			allow(t, l, "mer_a", now, false, 0)
		}},
		{"SustainedRate", tenPerSecond, func(t *testing.T, l ratelimit.Limiter, cfg ratelimit.Config) {
			// Asking twice as fast as the rate for ten seconds gets the burst plus the
			// rate's share of the ten seconds: 5 + 10 × 10 (minus the one not yet due).
			start := baseTime()
			allowed := 0
			for i := range 200 {
				d, err := l.Allow(t.Context(), "mer_a", start.Add(time.Duration(i)*50*time.Millisecond))
				ok(t, err)
				if d.Allowed {
					allowed++
				}
			}
			if allowed < 104 || allowed > 105 {
				t.Fatalf("200 requests at 20/s over 10s against 10/s burst 5: %d allowed, want 104 or 105", allowed)
			}
		}},
		{"KeysIndependent", tenPerSecond, func(t *testing.T, l ratelimit.Limiter, cfg ratelimit.Config) {
			now := baseTime()
			spend(t, l, cfg, "mer_a", now)
			allow(t, l, "mer_a", now, false, 0)
			spend(t, l, cfg, "mer_b", now)
			// Keys that differ only in characters a backend might treat specially.
			for _, k := range []string{"mer_a ", "mer:a", "{mer_a}", "mer_a*", "mér_a"} {
				allow(t, l, k, now, true, cfg.Burst-1)
			}
			allow(t, l, "mer_a", now, false, 0)
			allow(t, l, "mer_b", now, false, 0)
		}},
		{"SlowRate", ratelimit.Config{Rate: 0.5, Burst: 1}, func(t *testing.T, l ratelimit.Limiter, cfg ratelimit.Config) {
			now := baseTime()
			allow(t, l, "mer_a", now, true, 0)
			wantRetry(t, allow(t, l, "mer_a", now.Add(500*time.Millisecond), false, 0), 1500*time.Millisecond)
			allow(t, l, "mer_a", now.Add(2*time.Second), true, 0)
		}},
		{"ConcurrentCallersNeverExceedBurst", tenPerSecond, func(t *testing.T, l ratelimit.Limiter, cfg ratelimit.Config) {
			now := baseTime()
			// First the whole burst is raced for, then single refills: at each instant
			// exactly as many callers win as there are requests available.
			for round, want := range []int{cfg.Burst, 1, 1, 2} {
				if round == 3 {
					now = now.Add(cfg.Interval()) // one refill skipped: two are due
				}
				var won atomic.Int32
				race(func(int) {
					d, err := l.Allow(t.Context(), "mer_a", now)
					if err != nil {
						t.Errorf("Allow: %v", err)
					}
					if d.Allowed {
						won.Add(1)
					}
				})
				if got := int(won.Load()); got != want {
					t.Fatalf("round %d: %d of %d concurrent callers allowed at one instant, want %d", round, got, racers, want)
				}
				now = now.Add(cfg.Interval())
			}
		}},
		{"ManyKeys", tenPerSecond, func(t *testing.T, l ratelimit.Limiter, cfg ratelimit.Config) {
			now := baseTime()
			for i := range 50 {
				allow(t, l, fmt.Sprint("mer_", i), now, true, cfg.Burst-1)
			}
			for i := range 50 {
				allow(t, l, fmt.Sprint("mer_", i), now, true, cfg.Burst-2)
			}
		}},
	}
}
