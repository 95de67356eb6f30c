package mdrp

import (
	"cmp"
	"fmt"
	"slices"
)

// stop is a courier's stay at one place, from its arrival to its next departure.
type stop struct {
	place        string
	arrive       int
	leave        int  // departure of the next move, when !last
	last         bool // no move leaves this stop
	legDeparture int  // departure of the move that arrived here
}

// route is one courier's chain of stops; stops[0] is its start point.
type route struct {
	courier Courier
	stops   []stop
}

// find returns the index of r's stop at place that holds an event at minute t: the
// first stop there whose stay contains t; failing that, the first stop there arrived at
// after t (early is then true). ok is false when neither exists.
func (r *route) find(place string, t int) (idx int, early, ok bool) {
	later := -1
	for j := 1; j < len(r.stops); j++ {
		s := r.stops[j]
		if s.place != place {
			continue
		}
		if s.arrive <= t && (s.last || t <= s.leave) {
			return j, false, true
		}
		if s.arrive > t && later < 0 {
			later = j
		}
	}
	if later >= 0 {
		return later, true, true
	}
	return 0, false, false
}

// routes checks every courier's moves and the pickups and drop-offs on them.
func (k *checker) routes() {
	moves := map[string][]Move{}
	var unknown []string
	for _, m := range k.s.Moves {
		if _, ok := k.in.Courier(m.Courier); !ok && !slices.Contains(unknown, m.Courier) {
			unknown = append(unknown, m.Courier)
			k.add(RuleUnknownCourier, "moves of unknown courier %q", m.Courier)
		}
		moves[m.Courier] = append(moves[m.Courier], m)
	}
	bundles := map[string][]int{}
	for i, a := range k.s.Assignments {
		bundles[a.Courier] = append(bundles[a.Courier], i)
	}
	for _, c := range k.in.Couriers {
		ms, bs := moves[c.ID], bundles[c.ID]
		if len(ms) == 0 && len(bs) == 0 {
			continue
		}
		k.events(k.route(c, ms), bs)
	}
}

// route builds courier c's chain of stops from its moves, checking the chain itself:
// start, continuity, no diversion, known places.
func (k *checker) route(c Courier, moves []Move) *route {
	r := &route{courier: c, stops: []stop{{place: StartPlace, arrive: c.On, last: true}}}
	for i, m := range moves {
		here := &r.stops[len(r.stops)-1]
		name := fmt.Sprintf("courier %s move %d (%s→%s departing %d)", c.ID, i+1, m.Origin, m.Destination, m.Departure)
		if i == 0 {
			if m.Origin != StartPlace {
				k.add(RuleFirstMoveNotFromStart, "%s: the first move must leave from %q", name, StartPlace)
			}
			if m.Departure < c.On {
				k.add(RuleDepartBeforeOn, "%s: on time is %d", name, c.On)
			}
		} else {
			if m.Origin != here.place {
				k.add(RuleTeleport, "%s: the courier is at %s", name, here.place)
			}
			if m.Departure < here.arrive {
				k.add(RuleDiversion, "%s: the previous move arrives at %s at %d", name, here.place, here.arrive)
			}
		}
		here.leave, here.last = m.Departure, false
		from, okFrom := k.in.place(c, m.Origin)
		to, okTo := k.in.place(c, m.Destination)
		if !okFrom {
			k.add(RuleUnknownPlace, "%s: unknown origin %q", name, m.Origin)
		}
		if !okTo || m.Destination == StartPlace {
			k.add(RuleUnknownPlace, "%s: destination %q is no customer or restaurant", name, m.Destination)
		}
		arrive := m.Departure
		if okFrom && okTo {
			arrive += k.in.Travel(from, to)
		}
		r.stops = append(r.stops, stop{place: m.Destination, arrive: arrive, last: true, legDeparture: m.Departure})
	}
	return r
}

// eventKind names the rules and service time of pickups or of drop-offs.
type eventKind struct {
	what                                  string
	notThere, beforeArrival, departDuring string
	service                               int
}

// event checks that an event at place at minute t fits a stop of r, and returns that
// stop's index, or -1 when the courier is never there.
func (k *checker) event(r *route, kind eventKind, place string, t int, name string) int {
	j, early, ok := r.find(place, t)
	if !ok {
		k.add(kind.notThere, "%s: %s at %d, but courier %s is not at %s then nor later", name, kind.what, t, r.courier.ID, place)
		return -1
	}
	s := r.stops[j]
	if early || 2*(t-s.arrive) < kind.service {
		k.add(kind.beforeArrival, "%s: %s at %d, but courier %s arrives at %s at %d and needs half of the %d service minutes before it",
			name, kind.what, t, r.courier.ID, place, s.arrive, kind.service)
	}
	if !s.last && 2*(s.leave-t) < kind.service {
		k.add(kind.departDuring, "%s: %s at %d, but courier %s leaves %s at %d, before half of the %d service minutes after it",
			name, kind.what, t, r.courier.ID, place, s.leave, kind.service)
	}
	return j
}

// pickedUp is a bundle whose pickup stop is known, with the stop of its last drop-off
// (-1 when none is known).
type pickedUp struct {
	assignment, pickup, lastDrop int
}

// events checks the pickups and drop-offs of courier r's assignments bs on its route.
func (k *checker) events(r *route, bs []int) {
	pickupKind := eventKind{"pickup", RulePickupNotAtRestaurant, RulePickupBeforeArrival, RuleDepartDuringPickup, k.in.Params.PickupService}
	dropKind := eventKind{"drop-off", RuleDropoffNotAtCustomer, RuleDropoffBeforeArrival, RuleDepartDuringDropoff, k.in.Params.DropoffService}
	var done []pickedUp
	for _, i := range bs {
		a, ids := k.s.Assignments[i], k.owned(i)
		if len(ids) == 0 {
			continue
		}
		name := k.bundleName(i)
		first, _ := k.in.Order(ids[0])
		p := k.event(r, pickupKind, first.Restaurant, a.Pickup, name)
		if p > 0 {
			if s := r.stops[p]; s.legDeparture < a.Time && s.arrive > a.Time {
				k.add(RulePickupLegBeforeAssignment, "%s: assigned at %d, but the courier left for %s at %d and arrives at %d",
					name, a.Time, s.place, s.legDeparture, s.arrive)
			}
		}
		last := -1
		for _, id := range ids {
			row, ok := k.row[id]
			if !ok {
				continue
			}
			d := k.event(r, dropKind, id, k.s.Orders[row].Dropoff, name+" order "+id)
			switch {
			case d < 0:
				continue
			case p > 0 && d <= p:
				k.add(RuleDropoffBeforePickup, "%s: order %s dropped at stop %d, picked up at stop %d", name, id, d, p)
			case d <= last:
				k.add(RuleDropoffOutOfSequence, "%s: order %s dropped at stop %d, before an order listed earlier (stop %d)", name, id, d, last)
			}
			last = max(last, d)
		}
		if p > 0 {
			done = append(done, pickedUp{assignment: i, pickup: p, lastDrop: last})
		}
	}
	slices.SortStableFunc(done, func(x, y pickedUp) int {
		return cmp.Or(cmp.Compare(x.pickup, y.pickup), cmp.Compare(k.s.Assignments[x.assignment].Pickup, k.s.Assignments[y.assignment].Pickup))
	})
	for n := 1; n < len(done); n++ {
		prev, next := done[n-1], done[n]
		if prev.lastDrop >= 0 && next.pickup <= prev.lastDrop {
			k.add(RulePickupBeforeDropoffsDone, "%s picked up at stop %d before %s finished its drop-offs (stop %d)",
				k.bundleName(next.assignment), next.pickup, k.bundleName(prev.assignment), prev.lastDrop)
		}
	}
}
