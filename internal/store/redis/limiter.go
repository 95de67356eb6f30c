package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hummingbird-dispatch/hummingbird/internal/ratelimit"
)

// gcra is ratelimit.GCRA in microseconds, run atomically by Redis. KEYS[1] holds the
// key's theoretical arrival time (TAT); ARGV is now, the emission interval and the burst.
// It returns {allowed, retry after µs, remaining}. The TAT is written with %d because
// Lua 5.1 prints large numbers in exponent form; its PX ends when the whole burst is
// back, when forgetting the key changes nothing.
var gcra = goredis.NewScript(`
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local next_tat = tat + interval
local allow_at = next_tat - burst * interval
if now < allow_at then
  return {0, allow_at - now, 0}
end
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.max(1, math.ceil((next_tat - now) / 1000)))
return {1, 0, math.floor((now - allow_at) / interval)}
`)

// LimiterConfig configures a Limiter.
type LimiterConfig struct {
	// Prefix starts every key: a limited key k is stored at <prefix>:rl:k (required).
	Prefix string
	// Limit is the rate and burst every key gets (required, see ratelimit.Config).
	Limit ratelimit.Config
	// Timeout bounds one decision; past it Allow fails open. A limiter that makes every
	// request wait on a struggling Redis does more harm than one that steps aside [250ms].
	Timeout time.Duration
}

// Limiter is the ratelimit.Limiter shared by every instance using the same prefix: GCRA
// in a Lua script, so each decision is one atomic round trip whichever instance asks.
// Time is the now passed to Allow, truncated to the microsecond; instances must agree on
// the time (NTP) — a clock ahead by d lets a key through up to d × rate sooner.
//
// When Redis cannot be asked, Allow fails open: it returns Allowed = true with an error
// wrapping ratelimit.ErrUnavailable. Create it with NewLimiter.
type Limiter struct {
	c        *goredis.Client
	prefix   string
	interval int64 // µs
	burst    int64
	timeout  time.Duration
}

var _ ratelimit.Limiter = (*Limiter)(nil)

// NewLimiter returns the Limiter of cfg on c; the error wraps ErrConfig or
// ratelimit.ErrConfig.
func NewLimiter(c *goredis.Client, cfg LimiterConfig) (*Limiter, error) {
	p, err := keyPrefix(cfg.Prefix)
	if err != nil {
		return nil, err
	}
	if err := cfg.Limit.Validate(); err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 250 * time.Millisecond
	}
	return &Limiter{c: c, prefix: p + "rl:", interval: cfg.Limit.Interval().Microseconds(),
		burst: int64(cfg.Limit.Burst), timeout: cfg.Timeout}, nil
}

// Allow implements ratelimit.Limiter. It gives up after LimiterConfig.Timeout (or ctx's
// earlier deadline) and then fails open.
func (l *Limiter) Allow(ctx context.Context, key string, now time.Time) (ratelimit.Decision, error) {
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	res, err := gcra.Run(ctx, l.c, []string{l.prefix + key}, now.UnixMicro(), l.interval, l.burst).Int64Slice()
	if err == nil && len(res) != 3 {
		err = fmt.Errorf("script returned %d values", len(res))
	}
	if err != nil {
		return ratelimit.Decision{Allowed: true}, fmt.Errorf("%w: key %q: %w", ratelimit.ErrUnavailable, key, err)
	}
	return ratelimit.Decision{
		Allowed:    res[0] == 1,
		RetryAfter: time.Duration(res[1]) * time.Microsecond,
		Remaining:  int(res[2]),
	}, nil
}
