package bench

import (
	"container/heap"
	"context"
	"fmt"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/mdrp"
)

// simCourier is one MDRP courier shift following the engine's instructions exactly.
type simCourier struct {
	mdrp.Courier
	eid     string     // engine courier id
	place   string     // where it is or is heading: mdrp.StartPlace, a restaurant or an order id
	at      mdrp.Point // that place
	free    int        // minute it may leave place
	trips   int        // trips accepted and not yet finished
	online  bool
	retired bool // shift over, signed off
}

// startShift brings a courier online at its start point.
func (r *replay) startShift(ctx context.Context, c *simCourier) error {
	if _, err := r.eng.Connect(ctx, c.eid); err != nil {
		return err
	}
	if err := r.eng.SetShiftEnd(c.eid, epoch.Add(minutes(c.Off))); err != nil {
		return err
	}
	if err := r.locate(ctx, c, c.Start); err != nil {
		return err
	}
	if _, err := r.eng.SetAvailability(ctx, c.eid, courier.Available); err != nil {
		return err
	}
	c.online = true
	return nil
}

// endShifts signs off the couriers whose shift is over and who have nothing left to do.
func (r *replay) endShifts(now int) error {
	for _, c := range r.byOn {
		if !c.online || c.retired || c.Off > now || c.trips > 0 || c.free > now {
			continue
		}
		if _, err := r.eng.SetAvailability(context.Background(), c.eid, courier.Offline); err != nil {
			return fmt.Errorf("courier %s sign off: %w", c.ID, err)
		}
		c.retired = true
	}
	return nil
}

func (r *replay) locate(ctx context.Context, c *simCourier, p mdrp.Point) error {
	return r.eng.Locate(ctx, c.eid, courier.Fix{Pos: r.plane.to(p), Accuracy: 5, At: r.clock.Now()})
}

// trip plans an accepted offer by the instance's rules: leave when free (never before
// the assignment), pick up at max(ready, arrival + half the service), deliver in the
// offer's sequence; and schedules the engine calls the courier's app would make.
func (r *replay) trip(ctx context.Context, c *simCourier, of dispatch.Offer) error {
	now := r.clock.minute
	ids := make([]string, len(of.OrderIDs))
	ready := 0
	var rest mdrp.Restaurant
	for i, eid := range of.OrderIDs {
		ids[i] = r.orderIDs[eid]
		o, _ := r.in.Order(ids[i])
		ready = max(ready, o.Ready)
		rest, _ = r.in.Restaurant(o.Restaurant)
	}
	depart := max(now, c.free)
	arrive := depart + r.in.Travel(c.at, rest.At)
	pickup := max(ready, arrive+r.pickHalf)
	if pickup > c.Off {
		return fmt.Errorf("courier %s: the engine planned a pickup at minute %d, after its shift ends at %d", c.ID, pickup, c.Off)
	}
	r.sol.Moves = append(r.sol.Moves, mdrp.Move{Courier: c.ID, Departure: depart, Origin: c.place, Destination: rest.ID})
	r.sol.Assignments = append(r.sol.Assignments, mdrp.Assignment{Time: now, Pickup: pickup, Courier: c.ID, Orders: ids})
	r.events.at(arrive, func() error {
		if err := r.locate(ctx, c, rest.At); err != nil {
			return err
		}
		return r.each(of.OrderIDs, func(id string) error { _, err := r.eng.Arrived(ctx, c.eid, id); return err })
	})
	r.events.at(pickup, func() error {
		return r.each(of.OrderIDs, func(id string) error { _, err := r.eng.PickedUp(ctx, c.eid, id); return err })
	})
	t, place, pt := pickup+r.pickHalf, rest.ID, rest.At
	for i, eid := range of.OrderIDs {
		o, _ := r.in.Order(ids[i])
		r.sol.Moves = append(r.sol.Moves, mdrp.Move{Courier: c.ID, Departure: t, Origin: place, Destination: o.ID})
		arr := t + r.in.Travel(pt, o.Customer)
		drop := arr + r.dropHalf
		r.sol.Orders = append(r.sol.Orders, mdrp.OrderResult{Order: o.ID, Placement: o.Placement, Ready: o.Ready,
			Pickup: pickup, Dropoff: drop, Courier: c.ID})
		r.events.at(arr, func() error {
			if err := r.locate(ctx, c, o.Customer); err != nil {
				return err
			}
			_, err := r.eng.Arrived(ctx, c.eid, eid)
			return err
		})
		last := i == len(of.OrderIDs)-1
		r.events.at(drop, func() error {
			if _, err := r.eng.Delivered(ctx, c.eid, eid, r.orders[eid].HandoffCode); err != nil {
				return err
			}
			if last {
				c.trips--
			}
			return nil
		})
		t, place, pt = drop+r.dropHalf, o.ID, o.Customer
	}
	c.free, c.place, c.at = t, place, pt
	c.trips++
	return nil
}

// each calls fn for every id, stopping at the first error.
func (r *replay) each(ids []string, fn func(string) error) error {
	for _, id := range ids {
		if err := fn(id); err != nil {
			return fmt.Errorf("order %s: %w", r.orderIDs[id], err)
		}
	}
	return nil
}

// event is something a courier does at a minute; seq keeps scheduling order among
// events of the same minute.
type event struct {
	minute, seq int
	do          func() error
}

// eventQueue is a min-heap of events by (minute, seq).
type eventQueue struct {
	items []event
	seq   int
}

func (q *eventQueue) Len() int { return len(q.items) }
func (q *eventQueue) Less(i, j int) bool {
	a, b := q.items[i], q.items[j]
	return a.minute < b.minute || (a.minute == b.minute && a.seq < b.seq)
}
func (q *eventQueue) Swap(i, j int) { q.items[i], q.items[j] = q.items[j], q.items[i] }
func (q *eventQueue) Push(x any)    { q.items = append(q.items, x.(event)) }
func (q *eventQueue) Pop() any {
	x := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	return x
}

// at schedules do at minute.
func (q *eventQueue) at(minute int, do func() error) {
	q.seq++
	heap.Push(q, event{minute: minute, seq: q.seq, do: do})
}

// runDue runs, in order, every event due by now.
func (q *eventQueue) runDue(now int) error {
	for len(q.items) > 0 && q.items[0].minute <= now {
		if err := heap.Pop(q).(event).do(); err != nil {
			return err
		}
	}
	return nil
}

func (q *eventQueue) empty() bool { return len(q.items) == 0 }
