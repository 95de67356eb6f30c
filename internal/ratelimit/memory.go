package ratelimit

import (
	"context"
	"sync"
	"time"
)

// sweepEvery is how many Allow calls pass between sweeps of forgotten keys.
const sweepEvery = 4096

// Memory is a Limiter for one process: one GCRA timestamp per key behind a mutex. Keys
// whose allowance has fully come back are swept every few thousand calls, so memory
// grows with the keys active within one burst window, not with every key ever seen.
// Create it with NewMemory.
type Memory struct {
	cfg Config

	mu    sync.Mutex
	tat   map[string]time.Time
	calls int
}

var _ Limiter = (*Memory)(nil)

// NewMemory returns an empty limiter enforcing cfg; the error wraps ErrConfig.
func NewMemory(cfg Config) (*Memory, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Memory{cfg: cfg, tat: make(map[string]time.Time)}, nil
}

// Allow implements Limiter. It never returns an error.
func (m *Memory) Allow(_ context.Context, key string, now time.Time) (Decision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.calls%sweepEvery == 0 {
		for k, tat := range m.tat {
			if !tat.After(now) {
				delete(m.tat, k)
			}
		}
	}
	d, tat := GCRA(m.cfg, m.tat[key], now)
	if d.Allowed {
		m.tat[key] = tat
	}
	return d, nil
}

// Len returns how many keys the limiter currently remembers.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tat)
}
