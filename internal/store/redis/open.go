package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Timeouts of the clients Open returns. Every Redis call here is small; a call that
// takes longer than this means Redis is unwell and the caller should fall back (the
// limiter fails open, presence reads come back with an error).
const (
	dialTimeout  = 2 * time.Second
	readTimeout  = time.Second
	writeTimeout = time.Second
	poolTimeout  = 2 * time.Second
)

// ErrConfig is wrapped by the errors of constructors given an unusable configuration.
var ErrConfig = errors.New("redis: invalid config")

// Open connects to the Redis at addr (host:port, or a redis:// or rediss:// URL) and
// checks it with PING within ctx. Every connection of the client is named name (CLIENT
// SETNAME, spaces replaced), which makes this process's connections easy to find in
// CLIENT LIST; use the key prefix and the instance id. The caller closes the client.
func Open(ctx context.Context, addr, name string) (*goredis.Client, error) {
	opt := &goredis.Options{Addr: addr}
	if strings.Contains(addr, "://") {
		var err error
		if opt, err = goredis.ParseURL(addr); err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
	}
	opt.ClientName = clientName(name)
	opt.DialTimeout = dialTimeout
	opt.ReadTimeout = readTimeout
	opt.WriteTimeout = writeTimeout
	opt.PoolTimeout = poolTimeout
	opt.ContextTimeoutEnabled = true // a caller's shorter deadline wins
	opt.MaxRetries = 1               // fail fast: the callers have fallbacks
	opt.DialerRetries = 1            // one dial per attempt; the Bus has its own backoff
	// Redis before 8 rejects CLIENT MAINT_NOTIFICATIONS; do not ask.
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	c := goredis.NewClient(opt)
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("redis: ping %s: %w", opt.Addr, err)
	}
	return c, nil
}

// clientName makes name acceptable to CLIENT SETNAME (no spaces or newlines).
func clientName(name string) string {
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return '_'
		}
		return r
	}, name)
}

// keyPrefix checks a configured prefix and returns it with its trailing colon. A prefix
// may not hold braces: they would become a Redis Cluster hash tag.
func keyPrefix(prefix string) (string, error) {
	p := strings.TrimSuffix(prefix, ":")
	if p == "" || strings.ContainsAny(p, "{} \t\r\n*?[]") {
		return "", fmt.Errorf("%w: key prefix %q (want non-empty, no spaces, braces or glob characters)", ErrConfig, prefix)
	}
	return p + ":", nil
}
