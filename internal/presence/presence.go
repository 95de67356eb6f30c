// Package presence declares where couriers are and which server instance holds their
// connection, shared between instances with a time to live: an Entry disappears when its
// courier stops reporting. The api package writes an Entry on every accepted position and
// reads them for the operators' map and for routing; internal/store/redis holds the shared
// implementation, Memory the single-process one. Both pass the conformance suite in
// internal/store/storetest.
//
// Presence is a cache of the last few seconds, not a record: losing it (a Redis restart)
// only means couriers are missing until their next position, a few seconds later.
//
// Concurrency: every Store is safe for concurrent use. Writes for one courier are
// last-writer-wins. Memory starts no goroutines.
package presence

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Errors of the package.
var (
	// ErrNotFound is returned by Get for a courier with no live entry.
	ErrNotFound = errors.New("presence: not found")
	// ErrInvalid is wrapped by Put's error for an entry or ttl that cannot be stored.
	ErrInvalid = errors.New("presence: invalid entry")
)

// Entry is one courier's last known position and presence.
type Entry struct {
	// CourierID identifies the courier (required).
	CourierID string
	// Lat and Lng are the position in degrees (WGS 84).
	Lat, Lng float64
	// At is when the position was taken (the fix time, not the time of Put).
	At time.Time
	// Instance is the server instance holding the courier's connection.
	Instance string
	// State is the courier's availability state as its package spells it.
	State string
}

// Validate reports whether e can be stored; the error wraps ErrInvalid.
func (e Entry) Validate() error {
	switch {
	case e.CourierID == "":
		return fmt.Errorf("%w: empty courier id", ErrInvalid)
	case math.IsNaN(e.Lat) || e.Lat < -90 || e.Lat > 90:
		return fmt.Errorf("%w: latitude %v", ErrInvalid, e.Lat)
	case math.IsNaN(e.Lng) || e.Lng < -180 || e.Lng > 180:
		return fmt.Errorf("%w: longitude %v", ErrInvalid, e.Lng)
	}
	return nil
}

// Store keeps entries with a time to live. Implementations are safe for concurrent use
// and cost O(live entries), never O(entries ever written).
type Store interface {
	// Put saves e, replacing the courier's previous entry, live for ttl (> 0) from the
	// store's clock.
	Put(ctx context.Context, e Entry, ttl time.Duration) error
	// Get returns the courier's live entry, or an error wrapping ErrNotFound.
	Get(ctx context.Context, courierID string) (Entry, error)
	// All returns every live entry ordered by CourierID.
	All(ctx context.Context) ([]Entry, error)
	// Remove forgets the courier's entry; removing an absent one is not an error.
	Remove(ctx context.Context, courierID string) error
}

// CheckTTL reports whether ttl is usable by Put; the error wraps ErrInvalid.
func CheckTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("%w: ttl %v, want > 0", ErrInvalid, ttl)
	}
	return nil
}
