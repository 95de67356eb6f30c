package webhook

import "time"

// Backoff exposes the backoff rule of cfg (defaults applied) to the external tests.
func Backoff(cfg Config, n int, u float64) time.Duration { return cfg.withDefaults().backoff(n, u) }
