// Package memory is the in-process implementation of dispatch.Store and
// idempotency.Store: the embedded default on a bare machine and the reference the
// conformance suite in internal/store/storetest is written against. Nothing survives a
// restart.
//
// Concurrency: a Store is safe for concurrent use by any number of goroutines. One
// sync.RWMutex guards all state; every method holds it for its whole duration, so each
// call is atomic and linearizable (UpdateOrder's compare-and-swap and Begin's claim
// included). No method blocks on anything but that lock, starts a goroutine or keeps a
// reference to caller memory: values are copied on the way in and on the way out
// (station zones, area polygons and idempotency bodies included). Contexts are accepted
// for the interfaces' sake and otherwise ignored.
package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/idempotency"
)

var (
	_ dispatch.Store    = (*Store)(nil)
	_ idempotency.Store = (*Store)(nil)
)

// Store keeps everything in maps behind one lock. The zero value is not usable; call New.
type Store struct {
	mu sync.RWMutex

	orders     map[string]dispatch.Order
	events     map[string][]dispatch.Event // by order id, ascending seq
	byToken    map[string]string           // track token → order id
	byMerchant map[string][]string         // merchant id → order ids, ascending

	merchants     map[string]dispatch.Merchant
	merchantByKey map[string]string // API key hash → merchant id
	couriers      map[string]courier.Courier
	courierByTok  map[string]string // token hash → courier id
	stations      map[string]dispatch.Station
	areas         map[string]dispatch.ServiceArea

	payments map[string]struct{}

	idem       map[idemKey]idempotency.Record
	idemBegins int // Begin calls since the last sweep of expired records

	hooks hooks // the webhook outbox (webhook.go)
}

// New returns an empty Store.
func New() *Store {
	return &Store{
		orders:        map[string]dispatch.Order{},
		events:        map[string][]dispatch.Event{},
		byToken:       map[string]string{},
		byMerchant:    map[string][]string{},
		merchants:     map[string]dispatch.Merchant{},
		merchantByKey: map[string]string{},
		couriers:      map[string]courier.Courier{},
		courierByTok:  map[string]string{},
		stations:      map[string]dispatch.Station{},
		areas:         map[string]dispatch.ServiceArea{},
		payments:      map[string]struct{}{},
		idem:          map[idemKey]idempotency.Record{},
	}
}

// CreateOrder saves a new order with its first events. A duplicate id or tracking token
// is ErrExists.
func (s *Store) CreateOrder(_ context.Context, o dispatch.Order, events []dispatch.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orders[o.ID]; ok {
		return fmt.Errorf("%w: order %s", dispatch.ErrExists, o.ID)
	}
	if o.TrackToken != "" {
		if _, ok := s.byToken[o.TrackToken]; ok {
			return fmt.Errorf("%w: track token of order %s", dispatch.ErrExists, o.ID)
		}
		s.byToken[o.TrackToken] = o.ID
	}
	s.orders[o.ID] = o
	s.events[o.ID] = slices.Clone(events)
	s.indexMerchant(o.MerchantID, o.ID)
	return nil
}

// indexMerchant adds an order id to the merchant's sorted list.
func (s *Store) indexMerchant(merchantID, id string) {
	ids := s.byMerchant[merchantID]
	i, _ := slices.BinarySearch(ids, id)
	s.byMerchant[merchantID] = slices.Insert(ids, i, id)
}

// unindexMerchant removes an order id from the merchant's sorted list.
func (s *Store) unindexMerchant(merchantID, id string) {
	ids := s.byMerchant[merchantID]
	if i, ok := slices.BinarySearch(ids, id); ok {
		s.byMerchant[merchantID] = slices.Delete(ids, i, i+1)
	}
}

// UpdateOrder replaces the order if its stored version is prev and o.Version is prev+1,
// appending events in the same step; otherwise it changes nothing and returns
// ErrConflict (ErrNotFound if there is no such order, ErrExists if o takes another
// order's tracking token).
func (s *Store) UpdateOrder(_ context.Context, o dispatch.Order, prev int64, events []dispatch.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updateLocked(o, prev, events)
}

// updateLocked is UpdateOrder with the write lock held.
func (s *Store) updateLocked(o dispatch.Order, prev int64, events []dispatch.Event) error {
	old, ok := s.orders[o.ID]
	if !ok {
		return fmt.Errorf("%w: order %s", dispatch.ErrNotFound, o.ID)
	}
	if old.Version != prev {
		return fmt.Errorf("%w: order %s is at version %d, not %d", dispatch.ErrConflict, o.ID, old.Version, prev)
	}
	if o.Version != prev+1 {
		return fmt.Errorf("%w: order %s new version %d is not %d+1", dispatch.ErrConflict, o.ID, o.Version, prev)
	}
	if o.TrackToken != old.TrackToken {
		if _, ok := s.byToken[o.TrackToken]; ok {
			return fmt.Errorf("%w: track token of order %s", dispatch.ErrExists, o.ID)
		}
		delete(s.byToken, old.TrackToken)
		if o.TrackToken != "" {
			s.byToken[o.TrackToken] = o.ID
		}
	}
	if o.MerchantID != old.MerchantID {
		s.unindexMerchant(old.MerchantID, o.ID)
		s.indexMerchant(o.MerchantID, o.ID)
	}
	s.orders[o.ID] = o
	// The stored log is never handed out (Events copies), so appending in place is safe.
	s.events[o.ID] = append(s.events[o.ID], events...)
	return nil
}

// Order returns one order or ErrNotFound.
func (s *Store) Order(_ context.Context, id string) (dispatch.Order, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, ok := s.orders[id]
	if !ok {
		return dispatch.Order{}, fmt.Errorf("%w: order %s", dispatch.ErrNotFound, id)
	}
	return o, nil
}

// OrderByTrackToken returns the order behind a tracking token or ErrNotFound.
func (s *Store) OrderByTrackToken(_ context.Context, token string) (dispatch.Order, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.byToken[token]
	if !ok {
		return dispatch.Order{}, fmt.Errorf("%w: track token", dispatch.ErrNotFound)
	}
	return s.orders[id], nil
}

// ListOrders returns the merchant's orders with id > after in ascending id order, at
// most limit of them. A limit of zero or less returns no orders; an unknown merchant has
// an empty list, not ErrNotFound.
func (s *Store) ListOrders(_ context.Context, merchantID, after string, limit int) ([]dispatch.Order, error) {
	if limit <= 0 {
		return []dispatch.Order{}, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := s.byMerchant[merchantID]
	i, found := slices.BinarySearch(ids, after)
	if found {
		i++
	}
	ids = ids[i:]
	if len(ids) > limit {
		ids = ids[:limit]
	}
	out := make([]dispatch.Order, len(ids))
	for j, id := range ids {
		out[j] = s.orders[id]
	}
	return out, nil
}

// Events returns the order's events with seq > after in ascending seq order, or
// ErrNotFound if there is no such order.
func (s *Store) Events(_ context.Context, orderID string, after int64) ([]dispatch.Event, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.orders[orderID]; !ok {
		return nil, fmt.Errorf("%w: order %s", dispatch.ErrNotFound, orderID)
	}
	out := []dispatch.Event{}
	for _, e := range s.events[orderID] {
		if e.Seq > after {
			out = append(out, e)
		}
	}
	// The engine appends in seq order already; sorting keeps the promise for any caller.
	slices.SortStableFunc(out, func(a, b dispatch.Event) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

// OpenOrders returns every order whose state is not terminal, ascending by id.
func (s *Store) OpenOrders(_ context.Context) ([]dispatch.Order, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []dispatch.Order{}
	for _, o := range s.orders {
		if !o.State.Terminal() {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b dispatch.Order) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// PaymentEventSeen reports whether a payment-provider event id was already recorded.
func (s *Store) PaymentEventSeen(_ context.Context, id string) (bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.payments[id]
	return ok, nil
}

// ApplyPayment records a payment-provider event id and, in the same locked step, writes
// o with events as UpdateOrder would (nothing but the id when events is empty). A
// recorded id writes nothing and returns fresh = false; a refused order write leaves the
// id unrecorded and returns UpdateOrder's error.
func (s *Store) ApplyPayment(_ context.Context, id string, o dispatch.Order, prev int64, events []dispatch.Event) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.payments[id]; ok {
		return false, nil
	}
	if len(events) > 0 {
		if err := s.updateLocked(o, prev, events); err != nil {
			return false, err
		}
	}
	s.payments[id] = struct{}{}
	return true, nil
}
