package presence

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// sweepEvery is how many Puts pass between sweeps of expired entries.
const sweepEvery = 1024

// Memory is a Store for one process. Expired entries are never returned and are swept
// by All and every sweepEvery Puts, so memory follows the live couriers. Create it with
// NewMemory.
type Memory struct {
	now func() time.Time

	mu   sync.Mutex
	m    map[string]memEntry
	puts int
}

type memEntry struct {
	e       Entry
	expires time.Time
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty store whose TTLs run on now (time.Now when nil).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, m: make(map[string]memEntry)}
}

// Put implements Store.
func (s *Memory) Put(_ context.Context, e Entry, ttl time.Duration) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if err := CheckTTL(ttl); err != nil {
		return err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.puts++
	if s.puts%sweepEvery == 0 {
		s.sweepLocked(now)
	}
	s.m[e.CourierID] = memEntry{e: e, expires: now.Add(ttl)}
	return nil
}

// Get implements Store.
func (s *Memory) Get(_ context.Context, courierID string) (Entry, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	me, ok := s.m[courierID]
	if !ok || !now.Before(me.expires) {
		return Entry{}, fmt.Errorf("%w: courier %q", ErrNotFound, courierID)
	}
	return me.e, nil
}

// All implements Store.
func (s *Memory) All(context.Context) ([]Entry, error) {
	now := s.now()
	s.mu.Lock()
	s.sweepLocked(now)
	out := make([]Entry, 0, len(s.m))
	for _, me := range s.m {
		out = append(out, me.e)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Entry) int { return cmp.Compare(a.CourierID, b.CourierID) })
	return out, nil
}

// Remove implements Store.
func (s *Memory) Remove(_ context.Context, courierID string) error {
	s.mu.Lock()
	delete(s.m, courierID)
	s.mu.Unlock()
	return nil
}

// Len returns how many entries, live or not yet swept, the store holds.
func (s *Memory) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

func (s *Memory) sweepLocked(now time.Time) {
	for id, me := range s.m {
		if !now.Before(me.expires) {
			delete(s.m, id)
		}
	}
}
