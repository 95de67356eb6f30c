package dispatch

import (
	"math"
	"slices"
	"strings"
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

// bundle groups open orders into jobs: orders of one shop and station whose ready times
// lie within BundleWindow share a job, up to MaxBundle orders, as long as delivering them
// in sequence by bicycle still keeps every promise.
func (e *Engine) bundle(open []*pending, now time.Time) []*job {
	slices.SortFunc(open, func(a, b *pending) int {
		if c := strings.Compare(a.order.StationID+"\x00"+a.order.ShopID, b.order.StationID+"\x00"+b.order.ShopID); c != 0 {
			return c
		}
		if c := a.order.ReadyAt.Compare(b.order.ReadyAt); c != 0 {
			return c
		}
		return strings.Compare(a.order.ID, b.order.ID)
	})
	var jobs []*job
	var cur *job
	for _, p := range open {
		if cur != nil && e.fits(cur, p, now) {
			cur.add(p)
			continue
		}
		cur = e.single(p)
		jobs = append(jobs, cur)
	}
	return jobs
}

// fits reports whether p may join j.
func (e *Engine) fits(j *job, p *pending, now time.Time) bool {
	first := j.orders[0].order
	if p.order.ShopID != first.ShopID || p.order.StationID != first.StationID ||
		len(j.orders) >= e.cfg.MaxBundle || p.order.ReadyAt.Sub(j.ready) > e.cfg.BundleWindow ||
		j.units+p.order.Units > courier.MaxCapacity {
		return false
	}
	trial := &job{orders: slices.Clone(j.orders), station: j.station, pickup: j.pickup, ready: j.ready, units: j.units}
	trial.add(p)
	pickupAt := trial.ready
	if reach := now.Add(5 * time.Minute); reach.After(pickupAt) {
		pickupAt = reach
	}
	late, _ := e.route(trial, pickupAt, courier.Bicycle.Speed())
	return late == 0
}

// route plans the drop-offs of j in nearest-next order from the pickup, starting at
// pickupAt, and returns the total lateness against the promises and the finish time.
func (e *Engine) route(j *job, pickupAt time.Time, speed float64) (late time.Duration, done time.Time) {
	t := pickupAt.Add(e.cfg.ServiceTime)
	at := j.pickup
	left := slices.Clone(j.orders)
	for len(left) > 0 {
		best, bestD := 0, math.Inf(1)
		for i, p := range left {
			if d := geo.FastDistance(at, p.order.Dropoff.Pos); d < bestD {
				best, bestD = i, d
			}
		}
		p := left[best]
		t = t.Add(e.cfg.Travel.Travel(at, p.order.Dropoff.Pos, speed))
		if t.After(p.order.PromisedAt) {
			late += t.Sub(p.order.PromisedAt)
		}
		t = t.Add(e.cfg.ServiceTime)
		at = p.order.Dropoff.Pos
		left = slices.Delete(left, best, best+1)
	}
	return late, t
}

// cost is the price of giving job j to candidate c now, in seconds: travel to the pickup,
// weighted idle wait for the goods, weighted lateness against the promises, and a penalty
// per order the courier already carries. ok is false when c cannot reach the shop in time.
func (e *Engine) cost(j *job, c courier.Candidate, now time.Time) (float64, bool) {
	speed := c.Vehicle.Speed()
	reach := e.cfg.Travel.Travel(c.Pos, j.pickup, speed)
	if reach > e.cfg.MaxPickupTravel {
		return 0, false
	}
	arrive := now.Add(reach)
	pickupAt := arrive
	if j.ready.After(pickupAt) {
		pickupAt = j.ready
	}
	wait := pickupAt.Sub(arrive)
	var late time.Duration
	if len(j.orders) == 1 {
		p := j.orders[0].order
		drop := pickupAt.Add(e.cfg.ServiceTime + e.cfg.Travel.Travel(j.pickup, p.Dropoff.Pos, speed))
		if drop.After(p.PromisedAt) {
			late = drop.Sub(p.PromisedAt)
		}
	} else {
		late, _ = e.route(j, pickupAt, speed)
	}
	return reach.Seconds() + e.cfg.WaitWeight*wait.Seconds() + e.cfg.LateWeight*late.Seconds() +
		e.cfg.LoadCost*float64(c.Load), true
}
