package sim

import (
	"sync"
	"time"
)

// ScaledClock runs Factor times faster than the wall clock from the moment it is made.
// The server and the simulator share one, so a demo shows a delivery in minutes.
type ScaledClock struct {
	mu     sync.Mutex
	origin time.Time
	start  time.Time
	factor float64
}

// NewScaledClock returns a clock that starts at the current wall time and runs factor
// times faster (factor ≥ 1).
func NewScaledClock(factor float64) *ScaledClock {
	if factor < 1 {
		factor = 1
	}
	now := time.Now()
	return &ScaledClock{origin: now, start: now, factor: factor}
}

// Now returns the scaled time.
func (c *ScaledClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.origin.Add(time.Duration(float64(time.Since(c.start)) * c.factor))
}
