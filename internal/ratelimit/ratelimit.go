// Package ratelimit declares the rate limiter the api package consults before it does
// work for a caller (per-merchant limits), the Decision it returns, and an in-memory
// implementation for a single process. The Redis implementation that holds across
// server instances lives in internal/store/redis; both pass the conformance suite in
// internal/store/storetest.
//
// The algorithm is GCRA (the generic cell rate algorithm, a leaky bucket kept as one
// timestamp per key): a key may spend Burst requests at once and then one every
// 1/Rate seconds. Time is the now passed to Allow, never a clock read inside the
// limiter, so every implementation can be driven by a fake clock and agrees with the
// others on the same inputs.
//
// Concurrency: every Limiter is safe for concurrent use; decisions for one key are
// atomic (of any number of concurrent callers at most Burst are allowed at one instant).
// Memory starts no goroutines.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Errors of the package.
var (
	// ErrConfig reports an invalid Config.
	ErrConfig = errors.New("ratelimit: invalid config")
	// ErrUnavailable is wrapped by the error a shared limiter returns when its backend
	// could not be asked. The Decision that comes with it has Allowed = true: the
	// limiter fails open, trading strictness for availability (see docs/redis.md). The
	// caller should log the error and serve the request.
	ErrUnavailable = errors.New("ratelimit: backend unavailable, failing open")
)

// Decision is the outcome of one Allow call.
type Decision struct {
	// Allowed says whether the request may proceed.
	Allowed bool
	// RetryAfter is, when the request was refused, how long until one request would be
	// allowed (the Retry-After header); zero when allowed.
	RetryAfter time.Duration
	// Remaining is how many more requests would be allowed at the same instant
	// (the RateLimit-Remaining header); zero when refused.
	Remaining int
}

// Limiter decides whether a request counted against key may proceed at now. Keys are
// independent (the api package uses the merchant id). Implementations are safe for
// concurrent use. A non-nil error wrapping ErrUnavailable comes with Allowed = true.
type Limiter interface {
	Allow(ctx context.Context, key string, now time.Time) (Decision, error)
}

// Config is one limit: a sustained Rate and a Burst. There are no defaults: a zero
// Config is invalid.
type Config struct {
	// Rate is the sustained number of requests per second (> 0; fractions allowed).
	Rate float64
	// Burst is how many requests may be made at once by a key that has been idle
	// (>= 1).
	Burst int
}

// Validate reports whether c is usable; the error wraps ErrConfig.
func (c Config) Validate() error {
	if !(c.Rate > 0) || math.IsInf(c.Rate, 0) {
		return fmt.Errorf("%w: rate %v per second, want > 0", ErrConfig, c.Rate)
	}
	if c.Burst < 1 {
		return fmt.Errorf("%w: burst %d, want >= 1", ErrConfig, c.Burst)
	}
	if c.Interval() < time.Microsecond {
		return fmt.Errorf("%w: rate %v per second is above 1,000,000", ErrConfig, c.Rate)
	}
	return nil
}

// Interval is the emission interval, 1/Rate: the time one request's allowance takes
// to come back.
func (c Config) Interval() time.Duration {
	return time.Duration(float64(time.Second) / c.Rate)
}

// GCRA computes one decision. tat is the key's theoretical arrival time as stored (the
// zero time for an unknown key); it returns the Decision and the tat to store when the
// request was allowed (unchanged otherwise). A stored tat at or before now is the same
// as no entry, so it may be forgotten. Shared implementations mirror this function; the
// Redis script in internal/store/redis does the same arithmetic in microseconds.
func GCRA(c Config, tat, now time.Time) (Decision, time.Time) {
	t := c.Interval()
	if tat.Before(now) {
		tat = now
	}
	next := tat.Add(t)
	allowAt := next.Add(-time.Duration(c.Burst) * t)
	if now.Before(allowAt) {
		return Decision{RetryAfter: allowAt.Sub(now)}, tat
	}
	return Decision{Allowed: true, Remaining: int(now.Sub(allowAt) / t)}, next
}
