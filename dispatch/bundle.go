package dispatch

import (
	"math"
	"slices"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// job is what one courier is offered: one order, or a bundle of orders from one shop.
type job struct {
	orders  []*pending
	station string
	pickup  geo.LatLng
	ready   time.Time
	units   int
}

func (e *Engine) single(p *pending) *job {
	return &job{orders: []*pending{p}, station: p.order.StationID, pickup: p.order.Pickup.Pos,
		ready: p.order.ReadyAt, units: p.order.Units}
}

func (j *job) excluded(courierID string) bool {
	for _, p := range j.orders {
		if p.excluded[courierID] {
			return true
		}
	}
	return false
}

func (j *job) add(p *pending) {
	j.orders = append(j.orders, p)
	j.units += p.order.Units
	if p.order.ReadyAt.After(j.ready) {
		j.ready = p.order.ReadyAt
	}
}

// joinable reports whether p may join j at all: same shop and station, room in the
// bundle and the bag, and goods that can be collected close together in time. Goods
// already waiting count as collectable now: an order ready half an hour ago and still
// unserved loses nothing by leaving with an order ready now.
func (e *Engine) joinable(j *job, p *pending, now time.Time) bool {
	first := j.orders[0].order
	return p.order.ShopID == first.ShopID && p.order.StationID == first.StationID &&
		len(j.orders) < e.cfg.MaxBundle && j.units+p.order.Units <= courier.MaxCapacity &&
		later(p.order.ReadyAt, now).Sub(later(j.ready, now)).Abs() <= e.cfg.BundleWindow
}

// with returns a copy of j with p added, its drop-offs sequenced.
func (e *Engine) with(j *job, p *pending) *job {
	n := &job{orders: slices.Clone(j.orders), station: j.station, pickup: j.pickup, ready: j.ready, units: j.units}
	n.add(p)
	e.sequence(n)
	return n
}

// sequence orders a bundle's drop-offs nearest-next from the shop.
func (e *Engine) sequence(j *job) {
	at := j.pickup
	for i := range j.orders {
		best, bestD := i, math.Inf(1)
		for k := i; k < len(j.orders); k++ {
			if d := geo.FastDistance(at, j.orders[k].order.Dropoff.Pos); d < bestD {
				best, bestD = k, d
			}
		}
		j.orders[i], j.orders[best] = j.orders[best], j.orders[i]
		at = j.orders[i].order.Dropoff.Pos
	}
}

// route returns the drop-off time of each order of j, in j's sequence, for a pickup at
// pickupAt. Half of each service time is spent before its event and half after.
func (e *Engine) route(j *job, pickupAt time.Time, speed float64) []time.Time {
	t := pickupAt.Add(e.pickHalf())
	half := e.dropHalf()
	at := j.pickup
	out := make([]time.Time, len(j.orders))
	for i, p := range j.orders {
		t = t.Add(e.cfg.Travel.Travel(at, p.order.Dropoff.Pos, speed) + half)
		out[i] = t
		t = t.Add(half)
		at = p.order.Dropoff.Pos
	}
	return out
}

// plan is one priced (job, courier) pair.
type plan struct {
	cost  float64
	reach float64 // the travel-to-the-shop part of cost
	// leave is when the courier has to set off for the shop: when it is free, or later
	// if it would otherwise wait for the goods.
	leave time.Time
	// end and endPos are when and where the courier is free again after the job: the
	// last drop-off's service over, at its customer.
	end    time.Time
	endPos geo.LatLng
}

// price plans job j for the courier in slot sl, in seconds of cost: the courier's travel
// to the shop, its weighted idle wait there, each order's weighted delay over its
// fastest possible delivery, and weighted lateness against the promises. ok is false when
// the courier cannot take it: too far (MaxPickupTravel, twice that once the goods are
// ready), or the pickup would fall after its shift.
func (e *Engine) price(j *job, sl slot, now time.Time) (plan, bool) {
	speed := sl.s.c.Vehicle.Speed()
	reach := e.cfg.Travel.Travel(sl.pos, j.pickup, speed)
	limit := e.cfg.MaxPickupTravel
	if !now.Before(j.ready) {
		limit *= 2 // goods ready and nobody on the way: a far courier beats none
	}
	if reach > limit {
		return plan{}, false
	}
	half := e.pickHalf()
	depart := later(now, sl.at)
	arrive := depart.Add(reach + half)
	pickupAt := later(j.ready, arrive)
	if !sl.s.shiftEnd.IsZero() && pickupAt.After(sl.s.shiftEnd) {
		return plan{}, false
	}
	var delay, late time.Duration
	drops := e.route(j, pickupAt, speed)
	for i, at := range drops {
		o := j.orders[i].order
		best := later(o.ReadyAt, now).Add(half + e.dropHalf() + e.cfg.Travel.Travel(j.pickup, o.Dropoff.Pos, speed))
		delay += max(0, at.Sub(best))
		late += max(0, at.Sub(o.PromisedAt))
	}
	wait := pickupAt.Sub(arrive)
	cost := reach.Seconds() + e.cfg.WaitWeight*wait.Seconds() + e.cfg.DelayWeight*delay.Seconds() +
		e.cfg.LateWeight*late.Seconds()
	return plan{cost: cost, reach: reach.Seconds(), leave: later(depart, j.ready.Add(-reach-half)),
		end: drops[len(drops)-1].Add(e.dropHalf()), endPos: j.orders[len(j.orders)-1].order.Dropoff.Pos}, true
}
