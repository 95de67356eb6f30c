package dispatch

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// FleetCourier is one courier as the operators see it: every courier that has connected
// since the engine started, online or not.
type FleetCourier struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Kind      courier.Kind    `json:"kind"`
	StationID string          `json:"station_id,omitempty"`
	Vehicle   courier.Vehicle `json:"vehicle"`
	// State is the availability; a courier carrying orders stays busy while its
	// connection is down, so Connected tells whether it is reachable now.
	State     courier.State `json:"state"`
	Connected bool          `json:"connected"`
	Load      int           `json:"load"`
	Capacity  int           `json:"capacity"`
	// Pos and Seen are the last accepted fix (nil and zero before the first one).
	Pos  *geo.LatLng `json:"pos"`
	Seen time.Time   `json:"seen,omitzero"`
	// Late is set when one of its orders is late (see OpsOrder.Late).
	Late   bool     `json:"late"`
	Orders []string `json:"orders"`
}

// OpsOrder is an open order on the operators' map: waiting for a courier (dispatching)
// or with one (assigned … at_dropoff).
type OpsOrder struct {
	ID         string     `json:"id"`
	State      State      `json:"state"`
	Pickup     geo.LatLng `json:"pickup"`
	PickupName string     `json:"pickup_name,omitempty"`
	Dropoff    geo.LatLng `json:"dropoff"`
	PromisedAt time.Time  `json:"promised_at"`
	CourierID  string     `json:"courier_id,omitempty"`
	// Phase is the dispatch phase of a waiting order; WaitingSince is when it was queued.
	Phase        Phase     `json:"phase,omitempty"`
	WaitingSince time.Time `json:"waiting_since,omitzero"`
	// ETA is the estimated drop-off time of an order with a located courier.
	ETA time.Time `json:"eta,omitzero"`
	// Late: a waiting order is late once its promise has passed; an order with a courier
	// when its estimated drop-off (or, without an estimate, now) is after the promise.
	Late bool `json:"late"`
}

// OpsView is the live state of the city for the operators' map.
type OpsView struct {
	At       time.Time      `json:"at"`
	Couriers []FleetCourier `json:"couriers"`
	Orders   []OpsOrder     `json:"orders"`
	// Unassigned counts the paid orders waiting for a courier; InProgress the orders a
	// courier is working on.
	Unassigned int `json:"unassigned"`
	InProgress int `json:"in_progress"`
}

// CourierJobs is one courier's current work: its active orders and open offers.
type CourierJobs struct {
	Courier FleetCourier `json:"courier"`
	Orders  []OpsOrder   `json:"orders"`
	Offers  []Offer      `json:"offers"`
}

// located is what the ETAs of one courier's orders need, copied under the lock.
type located struct {
	speed float64
	fix   *courier.Fix // a copy; nil before the first fix
	ids   []string
}

// locatedLocked copies a session's fix, speed and active orders; the caller holds e.mu.
func locatedLocked(s *session) located {
	l := located{speed: s.c.Vehicle.Speed(), ids: sortedKeys(s.active)}
	if s.fix != nil {
		f := *s.fix
		l.fix = &f
	}
	return l
}

// Ops returns the operators' live view: every known courier and every open order that is
// paid. The engine's lock is held only to copy its state; the orders of couriers are then
// read from the store.
func (e *Engine) Ops(ctx context.Context) (OpsView, error) {
	e.mu.Lock()
	now := e.clock.Now()
	v := OpsView{At: now, Couriers: make([]FleetCourier, 0, len(e.sessions)), Orders: make([]OpsOrder, 0, len(e.queue)),
		Unassigned: len(e.queue)}
	for _, p := range e.queue {
		o := p.order
		v.Orders = append(v.Orders, OpsOrder{ID: o.ID, State: o.State, Pickup: o.Pickup.Pos, PickupName: o.Pickup.Name,
			Dropoff: o.Dropoff.Pos, PromisedAt: o.PromisedAt, Phase: o.Escalation.Phase, WaitingSince: p.since,
			Late: now.After(o.PromisedAt)})
	}
	var busy []located
	for _, s := range e.sessions {
		v.Couriers = append(v.Couriers, fleetCourierLocked(s))
		if len(s.active) > 0 {
			busy = append(busy, locatedLocked(s))
		}
	}
	e.mu.Unlock()

	late := map[string]bool{}
	for _, b := range busy {
		orders, err := e.activeOrders(ctx, b, now)
		if err != nil {
			return OpsView{}, err
		}
		for _, o := range orders {
			late[o.CourierID] = late[o.CourierID] || o.Late
		}
		v.Orders = append(v.Orders, orders...)
		v.InProgress += len(orders)
	}
	for i := range v.Couriers {
		v.Couriers[i].Late = late[v.Couriers[i].ID]
	}
	slices.SortFunc(v.Couriers, func(a, b FleetCourier) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(v.Orders, func(a, b OpsOrder) int { return strings.Compare(a.ID, b.ID) })
	return v, nil
}

// CourierJobs returns a known courier's active orders and open offers; ErrNotFound for a
// courier that has not connected since the engine started.
func (e *Engine) CourierJobs(ctx context.Context, courierID string) (CourierJobs, error) {
	e.mu.Lock()
	now := e.clock.Now()
	s := e.sessions[courierID]
	if s == nil {
		e.mu.Unlock()
		return CourierJobs{}, ErrNotFound
	}
	j := CourierJobs{Courier: fleetCourierLocked(s), Offers: []Offer{}}
	for id := range s.offers {
		if of := e.offers[id]; of != nil {
			j.Offers = append(j.Offers, *of)
		}
	}
	b := locatedLocked(s)
	e.mu.Unlock()

	slices.SortFunc(j.Offers, func(a, b Offer) int { return strings.Compare(a.ID, b.ID) })
	orders, err := e.activeOrders(ctx, b, now)
	if err != nil {
		return CourierJobs{}, err
	}
	j.Orders = orders
	for _, o := range orders {
		j.Courier.Late = j.Courier.Late || o.Late
	}
	return j, nil
}

// activeOrders reads a courier's active orders and estimates each one's drop-off from
// the courier's fix as copied. Orders that left the active states meanwhile are skipped.
func (e *Engine) activeOrders(ctx context.Context, b located, now time.Time) ([]OpsOrder, error) {
	out := make([]OpsOrder, 0, len(b.ids))
	for _, id := range b.ids {
		o, err := e.store.Order(ctx, id)
		if err != nil {
			return nil, err
		}
		if !o.State.Active() {
			continue
		}
		x := OpsOrder{ID: o.ID, State: o.State, Pickup: o.Pickup.Pos, PickupName: o.Pickup.Name, Dropoff: o.Dropoff.Pos,
			PromisedAt: o.PromisedAt, CourierID: o.CourierID}
		due := now
		if b.fix != nil {
			x.ETA = e.eta(o, b.fix.Pos, b.speed, now)
			due = x.ETA
		}
		x.Late = due.After(o.PromisedAt)
		out = append(out, x)
	}
	return out, nil
}

// fleetCourierLocked describes a session; the caller holds e.mu.
func fleetCourierLocked(s *session) FleetCourier {
	fc := FleetCourier{ID: s.c.ID, Name: s.c.Name, Kind: s.c.Kind, StationID: s.c.StationID, Vehicle: s.c.Vehicle,
		State: s.state, Connected: s.connected, Load: s.load(), Capacity: s.c.Capacity, Orders: sortedKeys(s.active)}
	if s.fix != nil {
		pos := s.fix.Pos
		fc.Pos, fc.Seen = &pos, s.fix.At
	}
	return fc
}

// sortedKeys returns a set's members in ascending order, never nil.
func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
