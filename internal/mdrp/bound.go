package mdrp

import (
	"cmp"
	"slices"
)

// halfUp is the part of a service time that lies on one side of its event, in the
// checker's sense: the half rounded up.
func halfUp(service int) int { return (service + 1) / 2 }

// EarliestPickup is the earliest minute courier c could pick order o up if it did nothing
// else all shift: it leaves its start point at its on time, rides straight to the
// restaurant and picks up at max(ready, arrival + half the pickup service). ok is false
// when that is after c's off time.
func (in *Instance) EarliestPickup(c Courier, o Order) (pickup int, ok bool) {
	r, _ := in.Restaurant(o.Restaurant)
	pickup = max(o.Ready, c.On+in.Travel(c.Start, r.At)+halfUp(in.Params.PickupService))
	return pickup, pickup <= c.Off
}

// Unservable returns the orders that no courier could pick up within its shift even if
// it did nothing else ([Instance.EarliestPickup]), in file order. No solution, online or
// clairvoyant, delivers any of them, so len(Unservable()) is a lower bound on every
// solution's undelivered orders.
func (in *Instance) Unservable() []string {
	var out []string
	for _, o := range in.Orders {
		if !slices.ContainsFunc(in.Couriers, func(c Courier) bool { _, ok := in.EarliestPickup(c, o); return ok }) {
			out = append(out, o.ID)
		}
	}
	return out
}

// Rescue says how close an undelivered order came to being served in a solution.
type Rescue struct {
	Order string
	// Able counts the couriers that could have picked it up fresh from their start point
	// ([Instance.EarliestPickup]); zero means the order is [Instance.Unservable].
	Able int
	// Fits lists the couriers whose route in the solution had room for it: a gap between
	// two of their bundles (or after the last one, or before the first) in which they
	// could have been told of it no earlier than its placement, picked it up by their off
	// time, dropped it off, and still reached their next bundle's restaurant in time.
	Fits []string
	// Short is, when Fits is empty, the fewest minutes any courier's pickup would have
	// been after its off time, had it taken the order once its last bundle was done (or
	// fresh, if it had none).
	Short int
}

// gap is where a courier's route leaves room: free at minute at, standing at pos,
// until it must set off for the next bundle (next is nil after the last one).
type gap struct {
	at   int
	pos  Point
	next *Assignment
}

// Rescues diagnoses every undelivered order of s (see [Rescue]), in file order.
func Rescues(in *Instance, s *Solution) []Rescue {
	delivered := map[string]bool{}
	for _, r := range s.Orders {
		delivered[r.Order] = true
	}
	drops := map[string]OrderResult{}
	for _, r := range s.Orders {
		drops[r.Order] = r
	}
	byCourier := map[string][]Assignment{}
	for _, a := range s.Assignments {
		byCourier[a.Courier] = append(byCourier[a.Courier], a)
	}
	pickHalf, dropHalf := halfUp(in.Params.PickupService), halfUp(in.Params.DropoffService)
	// Each courier's gaps: from its start, and after each bundle's last drop-off.
	gaps := map[string][]gap{}
	for _, c := range in.Couriers {
		as := byCourier[c.ID]
		slices.SortFunc(as, func(a, b Assignment) int { return cmp.Compare(a.Pickup, b.Pickup) })
		at, pos := c.On, c.Start
		for i := range as {
			gaps[c.ID] = append(gaps[c.ID], gap{at: at, pos: pos, next: &as[i]})
			last := as[i].Orders[len(as[i].Orders)-1]
			o, _ := in.Order(last)
			at, pos = drops[last].Dropoff+dropHalf, o.Customer
		}
		gaps[c.ID] = append(gaps[c.ID], gap{at: at, pos: pos})
	}
	var out []Rescue
	for _, o := range in.Orders {
		if delivered[o.ID] {
			continue
		}
		r, _ := in.Restaurant(o.Restaurant)
		res := Rescue{Order: o.ID, Short: -1}
		for _, c := range in.Couriers {
			if _, ok := in.EarliestPickup(c, o); ok {
				res.Able++
			}
			for _, g := range gaps[c.ID] {
				pickup := max(o.Ready, max(g.at, o.Placement)+in.Travel(g.pos, r.At)+pickHalf)
				if g.next == nil {
					if short := pickup - c.Off; short > 0 && (res.Short < 0 || short < res.Short) {
						res.Short = short
					}
				}
				if pickup > c.Off {
					continue
				}
				free := pickup + pickHalf + in.Travel(r.At, o.Customer) + 2*dropHalf
				if g.next != nil {
					nr, _ := in.Order(g.next.Orders[0])
					rest, _ := in.Restaurant(nr.Restaurant)
					if free+in.Travel(o.Customer, rest.At)+pickHalf > g.next.Pickup {
						continue
					}
				}
				res.Fits = append(res.Fits, c.ID)
				break
			}
		}
		if len(res.Fits) > 0 {
			res.Short = 0
		}
		out = append(out, res)
	}
	return out
}
