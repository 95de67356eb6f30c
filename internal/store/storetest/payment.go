package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// wantSeen fails unless PaymentEventSeen reports want for id.
func wantSeen(t *testing.T, s dispatch.Store, id string, want bool) {
	t.Helper()
	seen, err := s.PaymentEventSeen(t.Context(), id)
	ok(t, err)
	if seen != want {
		t.Fatalf("PaymentEventSeen(%s) = %v, want %v", id, seen, want)
	}
}

// applyPayment calls ApplyPayment and checks its fresh flag.
func applyPayment(t *testing.T, s dispatch.Store, id string, o dispatch.Order, prev int64, evs []dispatch.Event, wantFresh bool) {
	t.Helper()
	fresh, err := s.ApplyPayment(t.Context(), id, o, prev, evs)
	ok(t, err)
	if fresh != wantFresh {
		t.Fatalf("ApplyPayment(%s): fresh = %v, want %v", id, fresh, wantFresh)
	}
}

func paymentCases() []storeCase {
	return []storeCase{
		{"ApplyPayment", func(t *testing.T, s dispatch.Store) {
			o, evs := mustCreate(t, s, "mer_a", baseTime())
			wantSeen(t, s, "evt_1", false)
			next, more := advance(o, 2, "paid")
			next.State = dispatch.Dispatching
			applyPayment(t, s, "evt_1", next, o.Version, more, true)
			wantSeen(t, s, "evt_1", true)
			all := slices.Concat(evs, more)
			wantStored(t, s, next, all)
			// A repeat with a valid next version writes nothing.
			again, againEvs := advance(next, 1, "again")
			applyPayment(t, s, "evt_1", again, next.Version, againEvs, false)
			wantStored(t, s, next, all)
			// With no events only the id is recorded; the order passed is ignored.
			ignored, _ := advance(next, 0, "ignored")
			ignored.CourierID = "cou_ignored"
			applyPayment(t, s, "evt_2", ignored, next.Version, nil, true)
			wantSeen(t, s, "evt_2", true)
			applyPayment(t, s, "evt_2", ignored, next.Version, nil, false)
			wantStored(t, s, next, all)
			wantSeen(t, s, "evt_3", false)
		}},
		{"ApplyPaymentRefusedWrite", func(t *testing.T, s dispatch.Store) {
			o, evs := mustCreate(t, s, "mer_a", baseTime())
			v2, more := advance(o, 1, "first")
			ok(t, s.UpdateOrder(t.Context(), v2, o.Version, more))
			all := slices.Concat(evs, more)
			stale, staleEvs := advance(o, 1, "stale")
			_, err := s.ApplyPayment(t.Context(), "evt_stale", stale, o.Version, staleEvs)
			wantErr(t, "payment on a stale version", err, dispatch.ErrConflict)
			wantSeen(t, s, "evt_stale", false)
			wantStored(t, s, v2, all)
			bad, badEvs := advance(v2, 1, "bad version")
			bad.Version += 5
			_, err = s.ApplyPayment(t.Context(), "evt_bad", bad, v2.Version, badEvs)
			wantErr(t, "payment with a bad new version", err, dispatch.ErrConflict)
			wantSeen(t, s, "evt_bad", false)
			ghost, ghostEvs := newOrder("mer_a", baseTime())
			ghost, ghostEvs = advance(ghost, 1, "ghost")
			_, err = s.ApplyPayment(t.Context(), "evt_ghost", ghost, ghost.Version-1, ghostEvs[len(ghostEvs)-1:])
			wantErr(t, "payment for a missing order", err, dispatch.ErrNotFound)
			wantSeen(t, s, "evt_ghost", false)
			// The refused id is applied by a later, valid attempt.
			v3, v3Evs := advance(v2, 1, "retry")
			applyPayment(t, s, "evt_stale", v3, v2.Version, v3Evs, true)
			wantStored(t, s, v3, slices.Concat(all, v3Evs))
		}},
		{"ApplyPaymentConcurrent", func(t *testing.T, s dispatch.Store) {
			for round := range rounds {
				o, evs := mustCreate(t, s, "mer_a", baseTime())
				id := fmt.Sprintf("evt_race_%d", round)
				updates := make([]dispatch.Order, racers)
				batches := make([][]dispatch.Event, racers)
				fresh := make([]bool, racers)
				errs := make([]error, racers)
				for i := range racers {
					updates[i], batches[i] = advance(o, 1, fmt.Sprintf("payer %d", i))
					updates[i].CourierID = fmt.Sprintf("cou_%02d", i)
				}
				race(func(i int) { fresh[i], errs[i] = s.ApplyPayment(t.Context(), id, updates[i], o.Version, batches[i]) })
				winner := -1
				for i := range racers {
					switch {
					case errs[i] != nil:
						// Losing on the version instead of the id is allowed; writing is not.
						wantErr(t, fmt.Sprintf("round %d: payer %d", round, i), errs[i], dispatch.ErrConflict)
					case fresh[i] && winner >= 0:
						t.Fatalf("round %d: payers %d and %d both fresh for %s", round, winner, i, id)
					case fresh[i]:
						winner = i
					}
				}
				if winner < 0 {
					t.Fatalf("round %d: no payer was fresh: %v", round, errs)
				}
				wantSeen(t, s, id, true)
				wantStored(t, s, updates[winner], slices.Concat(evs, batches[winner]))
			}
		}},
		{"ApplyPaymentConcurrentIDs", func(t *testing.T, s dispatch.Store) {
			// Different events racing for one order version: one writes, the others
			// conflict and stay unrecorded so their retries can apply them.
			o, evs := mustCreate(t, s, "mer_a", baseTime())
			updates := make([]dispatch.Order, racers)
			batches := make([][]dispatch.Event, racers)
			errs := make([]error, racers)
			for i := range racers {
				updates[i], batches[i] = advance(o, 1, fmt.Sprintf("event %d", i))
			}
			race(func(i int) {
				_, errs[i] = s.ApplyPayment(t.Context(), fmt.Sprintf("evt_%02d", i), updates[i], o.Version, batches[i])
			})
			winner := -1
			for i, err := range errs {
				id := fmt.Sprintf("evt_%02d", i)
				if err == nil {
					if winner >= 0 {
						t.Fatalf("events %d and %d both wrote version %d", winner, i, o.Version+1)
					}
					winner = i
					wantSeen(t, s, id, true)
					continue
				}
				wantErr(t, "losing event "+id, err, dispatch.ErrConflict)
				wantSeen(t, s, id, false)
			}
			if winner < 0 {
				t.Fatalf("no event wrote: %v", errs)
			}
			wantStored(t, s, updates[winner], slices.Concat(evs, batches[winner]))
		}},
	}
}
