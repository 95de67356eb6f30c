package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// createIn saves a fresh order of mer_a in state st with no courier.
func createIn(t *testing.T, s dispatch.Store, st dispatch.State) (dispatch.Order, []dispatch.Event) {
	t.Helper()
	o, evs := newOrder("mer_a", baseTime())
	o.State, o.CourierID = st, ""
	ok(t, s.CreateOrder(t.Context(), o, evs))
	return o, evs
}

// moveTo returns o one version later in state st with courier courierID and the state
// event.
func moveTo(o dispatch.Order, st dispatch.State, courierID string) (dispatch.Order, []dispatch.Event) {
	next, evs := advance(o, 1, "to "+string(st))
	next.State, next.CourierID = st, courierID
	evs[0].Type, evs[0].State, evs[0].CourierID = dispatch.StateEvent(st), st, courierID
	return next, evs
}

// wantOpen fails unless OpenOrders lists exactly the orders with the given ids.
func wantOpen(t *testing.T, s dispatch.Store, what string, want []dispatch.Order) {
	t.Helper()
	got, err := s.OpenOrders(t.Context())
	ok(t, err)
	if g, w := sortedIDs(got), sortedIDs(want); !slices.Equal(g, w) {
		t.Fatalf("%s: open orders %v, want %v", what, g, w)
	}
}

func lifecycleCases() []storeCase {
	return []storeCase{
		{"AssignThroughDelivery", func(t *testing.T, s dispatch.Store) {
			o, all := createIn(t, s, dispatch.Dispatching)
			// Two orders of one courier are both active at once.
			other, _ := createIn(t, s, dispatch.Dispatching)
			otherNext, otherEvs := moveTo(other, dispatch.Assigned, "cou_1")
			ok(t, s.UpdateOrder(t.Context(), otherNext, other.Version, otherEvs))
			for _, st := range []dispatch.State{dispatch.Assigned, dispatch.AtPickup, dispatch.PickedUp,
				dispatch.AtDropoff, dispatch.Delivered} {
				next, evs := moveTo(o, st, "cou_1")
				ok(t, s.UpdateOrder(t.Context(), next, o.Version, evs))
				o, all = next, slices.Concat(all, evs)
				wantStored(t, s, o, all)
			}
			wantOpen(t, s, "after delivery", []dispatch.Order{otherNext})
		}},
		{"AssignConcurrent", func(t *testing.T, s dispatch.Store) {
			for round := range rounds {
				o, evs := createIn(t, s, dispatch.Dispatching)
				updates := make([]dispatch.Order, racers)
				batches := make([][]dispatch.Event, racers)
				errs := make([]error, racers)
				for i := range racers {
					updates[i], batches[i] = moveTo(o, dispatch.Assigned, fmt.Sprintf("cou_%02d", i))
				}
				race(func(i int) { errs[i] = s.UpdateOrder(t.Context(), updates[i], o.Version, batches[i]) })
				winner := -1
				for i, err := range errs {
					switch {
					case err == nil && winner >= 0:
						t.Fatalf("round %d: couriers %d and %d both assigned", round, winner, i)
					case err == nil:
						winner = i
					default:
						wantErr(t, fmt.Sprintf("round %d: courier %d", round, i), err, dispatch.ErrConflict)
					}
				}
				if winner < 0 {
					t.Fatalf("round %d: nobody assigned: %v", round, errs)
				}
				wantStored(t, s, updates[winner], slices.Concat(evs, batches[winner]))
			}
		}},
		{"OpenOrdersAfterTerminalMoves", func(t *testing.T, s dispatch.Store) {
			// Assigned orders leave the open list by every terminal state, one at a time.
			var open []dispatch.Order
			for range 4 {
				o, _ := createIn(t, s, dispatch.Dispatching)
				next, evs := moveTo(o, dispatch.Assigned, "cou_1")
				ok(t, s.UpdateOrder(t.Context(), next, o.Version, evs))
				open = append(open, next)
			}
			unpaid, _ := createIn(t, s, dispatch.PendingPayment)
			wantOpen(t, s, "before", append(slices.Clone(open), unpaid))
			for i, st := range []dispatch.State{dispatch.Canceled, dispatch.Delivered, dispatch.Failed, dispatch.Expired} {
				o := open[0]
				next, evs := moveTo(o, st, o.CourierID)
				ok(t, s.UpdateOrder(t.Context(), next, o.Version, evs))
				open = open[1:]
				wantOpen(t, s, fmt.Sprintf("after move %d to %s", i, st), append(slices.Clone(open), unpaid))
			}
			gone, evs := moveTo(unpaid, dispatch.Expired, "")
			ok(t, s.UpdateOrder(t.Context(), gone, unpaid.Version, evs))
			wantOpen(t, s, "after the unpaid order expired", nil)
		}},
		{"EventsConcurrentAppends", func(t *testing.T, s dispatch.Store) {
			// Each goroutine writes its own order five times while the others write
			// theirs: every log comes back complete, in seq order, and unmixed.
			const writes = 5
			orders := make([]dispatch.Order, racers)
			logs := make([][]dispatch.Event, racers)
			for i := range racers {
				orders[i], logs[i] = mustCreate(t, s, "mer_a", baseTime())
			}
			errs := make([]error, racers)
			race(func(i int) {
				for w := range writes {
					next, evs := advance(orders[i], 1+w%3, fmt.Sprintf("order %d write %d", i, w))
					if errs[i] = s.UpdateOrder(t.Context(), next, orders[i].Version, evs); errs[i] != nil {
						return
					}
					orders[i], logs[i] = next, slices.Concat(logs[i], evs)
				}
			})
			for i := range racers {
				ok(t, errs[i])
				wantStored(t, s, orders[i], logs[i])
				got, err := s.Events(t.Context(), orders[i].ID, 4)
				ok(t, err)
				sameAll(t, fmt.Sprintf("order %d events after seq 4", i), got, logs[i][4:], normEvent)
			}
		}},
	}
}
