// Package storetest holds one conformance suite per storage interface: Store for
// dispatch.Store and Idempotency for idempotency.Store. Every adapter under
// internal/store runs them from its own tests, the memory store and the real backends
// alike, so they all behave the same.
//
// Concurrency: each suite runs its cases as sequential subtests of the calling test and
// asks newStore for a fresh, empty store per case, passing the subtest's *testing.T so
// the factory can register cleanups and give each case its own schema or key prefix.
// Some cases call the store from 20 goroutines at once; the suite starts and waits for
// all of them before the case returns.
package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// storeCase is one subtest of the dispatch.Store suite.
type storeCase struct {
	name string
	run  func(t *testing.T, s dispatch.Store)
}

// Store runs the dispatch.Store conformance suite against stores made by newStore (each
// call returns a fresh, empty store).
func Store(t *testing.T, newStore func(t *testing.T) dispatch.Store) {
	t.Helper()
	for _, c := range slices.Concat(orderCases(), lifecycleCases(), paymentCases(), directoryCases()) {
		t.Run(c.name, func(t *testing.T) { c.run(t, newStore(t)) })
	}
}

// mustCreate saves a fresh order of the merchant and returns it with its events.
func mustCreate(t *testing.T, s dispatch.Store, merchantID string, at time.Time) (dispatch.Order, []dispatch.Event) {
	t.Helper()
	o, evs := newOrder(merchantID, at)
	ok(t, s.CreateOrder(t.Context(), o, evs))
	return o, evs
}

// wantStored fails unless the store holds exactly o and events for o.ID.
func wantStored(t *testing.T, s dispatch.Store, o dispatch.Order, events []dispatch.Event) {
	t.Helper()
	got, err := s.Order(t.Context(), o.ID)
	ok(t, err)
	same(t, "stored order", got, o, normOrder)
	gotEvs, err := s.Events(t.Context(), o.ID, 0)
	ok(t, err)
	sameAll(t, "stored events", gotEvs, events, normEvent)
}

func orderCases() []storeCase {
	return []storeCase{
		{"CreateOrderRoundTrip", func(t *testing.T, s dispatch.Store) {
			o, evs := mustCreate(t, s, "mer_a", baseTime())
			wantStored(t, s, o, evs)
			got, err := s.OrderByTrackToken(t.Context(), o.TrackToken)
			ok(t, err)
			same(t, "order by track token", got, o, normOrder)
		}},
		{"CreateOrderDuplicateID", func(t *testing.T, s dispatch.Store) {
			o, evs := mustCreate(t, s, "mer_a", baseTime())
			dup, dupEvs := newOrder("mer_b", baseTime())
			dup.ID = o.ID
			wantErr(t, "duplicate id", s.CreateOrder(t.Context(), dup, dupEvs), dispatch.ErrExists)
			wantStored(t, s, o, evs)
			_, err := s.OrderByTrackToken(t.Context(), dup.TrackToken)
			wantErr(t, "track token of refused order", err, dispatch.ErrNotFound)
		}},
		{"CreateOrderDuplicateTrackToken", func(t *testing.T, s dispatch.Store) {
			o, _ := mustCreate(t, s, "mer_a", baseTime())
			dup, dupEvs := newOrder("mer_a", baseTime())
			dup.TrackToken = o.TrackToken
			wantErr(t, "duplicate track token", s.CreateOrder(t.Context(), dup, dupEvs), dispatch.ErrExists)
			_, err := s.Order(t.Context(), dup.ID)
			wantErr(t, "refused order", err, dispatch.ErrNotFound)
		}},
		{"NotFound", func(t *testing.T, s dispatch.Store) {
			mustCreate(t, s, "mer_a", baseTime())
			_, err := s.Order(t.Context(), "ord_missing")
			wantErr(t, "Order", err, dispatch.ErrNotFound)
			_, err = s.OrderByTrackToken(t.Context(), dispatch.NewTrackToken())
			wantErr(t, "OrderByTrackToken", err, dispatch.ErrNotFound)
			_, err = s.Events(t.Context(), "ord_missing", 0)
			wantErr(t, "Events", err, dispatch.ErrNotFound)
		}},
		{"UpdateOrder", func(t *testing.T, s dispatch.Store) {
			o, evs := mustCreate(t, s, "mer_a", baseTime())
			next, more := advance(o, 2, "escalate")
			next.State = dispatch.Dispatching
			next.CourierID = "cou_2"
			ok(t, s.UpdateOrder(t.Context(), next, o.Version, more))
			wantStored(t, s, next, slices.Concat(evs, more))
			got, err := s.OrderByTrackToken(t.Context(), o.TrackToken)
			ok(t, err)
			same(t, "order by track token after update", got, next, normOrder)
		}},
		{"UpdateOrderStalePrev", func(t *testing.T, s dispatch.Store) {
			o, evs := mustCreate(t, s, "mer_a", baseTime())
			v2, more := advance(o, 1, "first")
			ok(t, s.UpdateOrder(t.Context(), v2, o.Version, more))
			stale, staleEvs := advance(o, 1, "stale")
			stale.CourierID = "cou_stale"
			err := s.UpdateOrder(t.Context(), stale, o.Version, staleEvs)
			wantErr(t, "stale prev", err, dispatch.ErrConflict)
			wantStored(t, s, v2, slices.Concat(evs, more))
		}},
		{"UpdateOrderBadNewVersion", func(t *testing.T, s dispatch.Store) {
			o, evs := mustCreate(t, s, "mer_a", baseTime())
			for _, v := range []int64{o.Version, o.Version + 2, 0} {
				bad, more := advance(o, 1, "bad")
				bad.Version = v
				err := s.UpdateOrder(t.Context(), bad, o.Version, more)
				wantErr(t, fmt.Sprintf("new version %d after %d", v, o.Version), err, dispatch.ErrConflict)
				wantStored(t, s, o, evs)
			}
		}},
		{"UpdateOrderMissing", func(t *testing.T, s dispatch.Store) {
			o, _ := newOrder("mer_a", baseTime())
			next, more := advance(o, 1, "ghost")
			wantErr(t, "update missing", s.UpdateOrder(t.Context(), next, o.Version, more), dispatch.ErrNotFound)
			_, err := s.Order(t.Context(), o.ID)
			wantErr(t, "order after refused update", err, dispatch.ErrNotFound)
		}},
		{"UpdateOrderConcurrent", func(t *testing.T, s dispatch.Store) {
			for round := range rounds {
				o, evs := mustCreate(t, s, "mer_a", baseTime())
				updates := make([]dispatch.Order, racers)
				batches := make([][]dispatch.Event, racers)
				errs := make([]error, racers)
				for i := range racers {
					updates[i], batches[i] = advance(o, 1, fmt.Sprintf("writer %d", i))
					updates[i].CourierID = fmt.Sprintf("cou_%02d", i)
				}
				race(func(i int) { errs[i] = s.UpdateOrder(t.Context(), updates[i], o.Version, batches[i]) })
				winner := -1
				for i, err := range errs {
					switch {
					case err == nil && winner >= 0:
						t.Fatalf("round %d: writers %d and %d both won version %d", round, winner, i, o.Version)
					case err == nil:
						winner = i
					default:
						wantErr(t, fmt.Sprintf("round %d: writer %d", round, i), err, dispatch.ErrConflict)
					}
				}
				if winner < 0 {
					t.Fatalf("round %d: no writer won: %v", round, errs)
				}
				wantStored(t, s, updates[winner], slices.Concat(evs, batches[winner]))
			}
		}},
		{"Events", func(t *testing.T, s dispatch.Store) {
			o, evs := mustCreate(t, s, "mer_a", baseTime())
			next, more := advance(o, 3, "tick")
			ok(t, s.UpdateOrder(t.Context(), next, o.Version, more))
			all := slices.Concat(evs, more) // seq 1..5
			for _, after := range []int64{0, 1, 2, 4, 5, 9} {
				got, err := s.Events(t.Context(), o.ID, after)
				ok(t, err)
				var want []dispatch.Event
				for _, e := range all {
					if e.Seq > after {
						want = append(want, e)
					}
				}
				sameAll(t, fmt.Sprintf("events after %d", after), got, want, normEvent)
			}
			// Another order's log stays separate.
			other, otherEvs := mustCreate(t, s, "mer_a", baseTime())
			got, err := s.Events(t.Context(), other.ID, 0)
			ok(t, err)
			sameAll(t, "other order's events", got, otherEvs, normEvent)
		}},
		{"ListOrders", func(t *testing.T, s dispatch.Store) {
			at := baseTime()
			var mine, theirs []dispatch.Order
			for i := range 10 {
				// Interleave the merchants so a store ignoring the filter shows it.
				merchant := "mer_a"
				if i%3 == 1 {
					merchant = "mer_b"
				}
				o, _ := mustCreate(t, s, merchant, at.Add(time.Duration(i)*time.Millisecond))
				if merchant == "mer_a" {
					mine = append(mine, o)
				} else {
					theirs = append(theirs, o)
				}
			}
			byID := map[string]dispatch.Order{}
			for _, o := range slices.Concat(mine, theirs) {
				byID[o.ID] = o
			}
			// mer_a has 7 orders: pages of 3, 3, 1, then an empty one.
			var seen []dispatch.Order
			after := ""
			for page, want := range []int{3, 3, 1, 0} {
				got, err := s.ListOrders(t.Context(), "mer_a", after, 3)
				ok(t, err)
				if len(got) != want {
					t.Fatalf("page %d: got %d orders %v, want %d", page, len(got), ids(got), want)
				}
				for _, o := range got {
					if o.MerchantID != "mer_a" {
						t.Fatalf("page %d: order %s of merchant %s in mer_a's list", page, o.ID, o.MerchantID)
					}
					if o.ID <= after {
						t.Fatalf("page %d: order %s not after cursor %s", page, o.ID, after)
					}
					same(t, "listed order", o, byID[o.ID], normOrder)
					after = o.ID
				}
				seen = append(seen, got...)
			}
			if got, want := ids(seen), sortedIDs(mine); !slices.Equal(got, want) {
				t.Fatalf("pages of mer_a: got %v, want ascending %v", got, want)
			}
			got, err := s.ListOrders(t.Context(), "mer_b", "", 100)
			ok(t, err)
			if g, w := ids(got), sortedIDs(theirs); !slices.Equal(g, w) {
				t.Fatalf("mer_b's list: got %v, want %v", g, w)
			}
			got, err = s.ListOrders(t.Context(), "mer_a", "", 0)
			ok(t, err)
			if len(got) != 0 {
				t.Fatalf("limit 0: got %v, want none", ids(got))
			}
			got, err = s.ListOrders(t.Context(), "mer_nobody", "", 10)
			ok(t, err)
			if len(got) != 0 {
				t.Fatalf("unknown merchant: got %v, want none", ids(got))
			}
		}},
		{"OpenOrders", func(t *testing.T, s dispatch.Store) {
			var open []dispatch.Order
			var last dispatch.Order
			for _, st := range []dispatch.State{dispatch.PendingPayment, dispatch.Dispatching, dispatch.Assigned,
				dispatch.PickedUp, dispatch.Delivered, dispatch.Canceled, dispatch.Expired, dispatch.Failed} {
				o, evs := newOrder("mer_a", baseTime())
				o.State = st
				ok(t, s.CreateOrder(t.Context(), o, evs))
				if !st.Terminal() {
					open = append(open, o)
					last = o
				}
			}
			got, err := s.OpenOrders(t.Context())
			ok(t, err)
			if g, w := sortedIDs(got), sortedIDs(open); !slices.Equal(g, w) {
				t.Fatalf("open orders: got %v, want %v", g, w)
			}
			// Closing an order through UpdateOrder removes it.
			done, evs := advance(last, 1, "delivered")
			done.State = dispatch.Delivered
			ok(t, s.UpdateOrder(t.Context(), done, last.Version, evs))
			got, err = s.OpenOrders(t.Context())
			ok(t, err)
			if g, w := sortedIDs(got), sortedIDs(open[:len(open)-1]); !slices.Equal(g, w) {
				t.Fatalf("open orders after delivery: got %v, want %v", g, w)
			}
		}},
	}
}
