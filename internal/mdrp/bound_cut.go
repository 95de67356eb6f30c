package mdrp

import (
	"math"
	"slices"
)

// Cut describes one time cut of [Instance.CutBound]: the orders ready at or after
// minute At that some courier can reach ([Instance.EarliestPickup]), and the courier
// time left to serve them.
type Cut struct {
	At          int // the cut minute t: the ready time of one of the orders
	Orders      int // orders ready at or after t, [Instance.Unservable] ones left out
	Restaurants int // restaurants those orders come from
	// Couriers counts the couriers that could pick any of them up: whose first possible
	// pickup at one of those restaurants, and no earlier than t, is by their off time.
	Couriers int
	// Supply is those couriers' minutes from that first possible pickup to their off
	// time, summed: the most time that can lie between their first and last pickups
	// of these orders.
	Supply int
	// Demand is the least work the orders ask for: each restaurant's orders as one
	// bundle, 2×half the pickup service + 2×half the drop-off service per order + the
	// longest ride from the restaurant to one of its customers and on to the nearest of
	// the cut's restaurants.
	Demand int
	// Free is the demand of the Couriers largest restaurants: the bundles the couriers
	// could pick up last, whose work may run past their off time.
	Free int
	// Served is the most of the Orders the relaxation lets the couriers serve; Orders −
	// Served of them are undelivered in every solution.
	Served int
}

// Slack is the relaxation's spare courier minutes if every order of the cut is served:
// Supply − (Demand − Free). Served < Orders exactly when it is negative.
func (c Cut) Slack() int { return c.Supply - (c.Demand - c.Free) }

// CutBound returns a lower bound on the undelivered orders of every solution, online or
// clairvoyant, that counts courier time and not only reachability: the
// [Instance.Unservable] orders plus, at the cut that proves most, the orders of the cut
// that the couriers' time cannot serve. It is never below len(Unservable()). tightest
// is that cut; when no cut proves anything, the one with the least [Cut.Slack].
//
// # Proof
//
// Write hp and hd for the halves (rounded up) of the pickup and drop-off services and
// T for [Instance.Travel]. T obeys the triangle inequality: ⌈a⌉+⌈b⌉ ≥ ⌈a+b⌉ ≥ ⌈c⌉ when
// the distances satisfy a+b ≥ c.
//
// Fix a minute t, let S be the orders ready at or after t less the unservable ones, R
// the restaurants of S, and for a customer x let near(x) = min over r ∈ R of T(x, r).
// Take any feasible solution and let D ⊆ S be its delivered orders of S. Keep, of each
// courier c's bundles, those holding an order of D, each reduced to its orders of D,
// and number them B1, …, Bm by pickup time p1 < … < pm. Then:
//
//  1. t ≤ p1 (each Bi holds an order ready at or after t) and pm ≤ off(c).
//  2. p1 ≥ on(c) + T(start(c), r(B1)) + hp: the courier leaves its start point no
//     earlier than its on time, its path to the restaurant is no shorter than the direct
//     ride, and the pickup comes at least hp after the arrival. So a courier holding any
//     Bi has a(c) = max(t, min over r ∈ R of on(c) + T(start(c), r) + hp) ≤ off(c); call
//     such couriers active, F their number.
//  3. For i < m, p(i+1) − p(i) ≥ w(Bi), where for an order o, τ(o) = T(r(o), x(o)) +
//     near(x(o)), and for a set B of orders of one restaurant, w(B) = 2hp + 2hd×|B| +
//     max over o ∈ B of τ(o). Indeed after the pickup the courier stays hp; each order of
//     Bi is dropped at its own stop (its customer's place), after the pickup stop and
//     before the stop of the next pickup, and a stop holding a drop-off lasts at least
//     2hd; the next pickup comes at least hp after the arrival at r(B(i+1)) ∈ R; and the
//     rides between, whatever else the courier does on the way, pass through each
//     customer o of Bi, so they take at least T(r(Bi), x(o)) + T(x(o), r(B(i+1))) ≥ τ(o).
//
// Summing 3 over i < m and using 1 and 2: the non-last bundles of c have total w at most
// off(c) − a(c). So, with Supply the sum of off(c) − a(c) over active couriers, the
// kept bundles are a partition of D into one-restaurant sets of which at most F (one per
// active courier: its last) are exempt, and the others' w sum to at most Supply. w only
// falls when two sets of one restaurant merge (w(A∪B) ≤ w(A) + w(B)), so D is served
// only if, for some choice of at most F restaurants counted exempt with all their
// orders of S (those holding an exempt set), the other restaurants' orders of D, one
// set per restaurant, have w summing to at most Supply. Given k orders of a restaurant,
// w is least for the k with the smallest τ. A dynamic programme over restaurants, the
// number exempt and the number of orders served finds the largest count those
// conditions allow, Served ≥ |D|; every solution leaves at
// least |S| − Served orders of S undelivered, besides the unservable orders, which are
// not in S. Taking t at each distinct ready time covers every cut: S only changes there,
// and a later t with the same S only lowers Supply.
func (in *Instance) CutBound() (undelivered int, tightest Cut) {
	unservable := in.Unservable()
	skip := map[string]bool{}
	for _, id := range unservable {
		skip[id] = true
	}
	var cuts []int
	for _, o := range in.Orders {
		if !skip[o.ID] {
			cuts = append(cuts, o.Ready)
		}
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	best, found := -1, false
	for _, t := range cuts {
		c := in.cut(t, skip)
		short := c.Orders - c.Served
		if !found || short > best || (short == best && c.Slack() < tightest.Slack()) {
			best, tightest, found = short, c, true
		}
	}
	return len(unservable) + max(best, 0), tightest
}

// cut evaluates the cut at minute t (see CutBound), leaving out the orders in skip.
func (in *Instance) cut(t int, skip map[string]bool) Cut {
	hp, hd := halfUp(in.Params.PickupService), halfUp(in.Params.DropoffService)
	byRestaurant := map[string][]Order{}
	var order []string // restaurants in first-seen order, for determinism
	n := 0
	for _, o := range in.Orders {
		if o.Ready < t || skip[o.ID] {
			continue
		}
		if _, ok := byRestaurant[o.Restaurant]; !ok {
			order = append(order, o.Restaurant)
		}
		byRestaurant[o.Restaurant] = append(byRestaurant[o.Restaurant], o)
		n++
	}
	places := make([]Point, len(order))
	for i, id := range order {
		r, _ := in.Restaurant(id)
		places[i] = r.At
	}
	c := Cut{At: t, Orders: n, Restaurants: len(order)}
	for _, k := range in.Couriers {
		a := math.MaxInt
		for _, p := range places {
			a = min(a, k.On+in.Travel(k.Start, p)+hp)
		}
		if a = max(a, t); a <= k.Off {
			c.Couriers++
			c.Supply += k.Off - a
		}
	}
	// taus[g] holds restaurant g's τ values, ascending.
	taus := make([][]int, len(order))
	var full []int // w of each restaurant's whole group
	for g, id := range order {
		r, _ := in.Restaurant(id)
		for _, o := range byRestaurant[id] {
			near := math.MaxInt
			for _, p := range places {
				near = min(near, in.Travel(o.Customer, p))
			}
			taus[g] = append(taus[g], in.Travel(r.At, o.Customer)+near)
		}
		slices.Sort(taus[g])
		w := 2*hp + 2*hd*len(taus[g]) + taus[g][len(taus[g])-1]
		full = append(full, w)
		c.Demand += w
	}
	slices.SortFunc(full, func(a, b int) int { return b - a })
	for _, w := range full[:min(c.Couriers, len(full))] {
		c.Free += w
	}
	if c.Slack() >= 0 {
		c.Served = n
		return c
	}
	c.Served = served(taus, c.Couriers, c.Supply, hp, hd)
	return c
}

// served is the dynamic programme of CutBound: the most orders servable when up to free
// restaurant groups are exempt and the others' work w must total at most supply. taus
// holds each group's τ values, ascending.
func served(taus [][]int, free, supply, hp, hd int) int {
	free = min(free, len(taus))
	total := 0
	for _, g := range taus {
		total += len(g)
	}
	const inf = math.MaxInt / 2
	// cost[j][s]: least work to serve s orders with j groups exempt.
	cost := make([][]int, free+1)
	for j := range cost {
		cost[j] = slices.Repeat([]int{inf}, total+1)
	}
	cost[0][0] = 0
	done := 0
	for _, g := range taus {
		next := make([][]int, free+1)
		for j := range next {
			next[j] = slices.Repeat([]int{inf}, total+1)
		}
		for j := 0; j <= free; j++ {
			for s := 0; s <= done; s++ {
				base := cost[j][s]
				if base >= inf {
					continue
				}
				next[j][s] = min(next[j][s], base) // none of the group
				if j < free {
					next[j+1][s+len(g)] = min(next[j+1][s+len(g)], base) // the group exempt
				}
				for k := 1; k <= len(g); k++ {
					w := 2*hp + 2*hd*k + g[k-1]
					next[j][s+k] = min(next[j][s+k], base+w)
				}
			}
		}
		cost = next
		done += len(g)
	}
	for s := total; s > 0; s-- {
		for j := 0; j <= free; j++ {
			if cost[j][s] <= supply {
				return s
			}
		}
	}
	return 0
}
