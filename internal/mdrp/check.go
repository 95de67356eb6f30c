package mdrp

import (
	"fmt"
	"slices"
	"strings"
)

// Violation is one broken rule found by [Check].
type Violation struct {
	Rule   string // stable short name: one of the Rule* constants
	Detail string // what broke, with the ids and times involved
}

// String returns "rule: detail".
func (v Violation) String() string { return v.Rule + ": " + v.Detail }

// Rule names of [Violation]. They are stable: tests and reports may match on them.
const (
	// Ids and file consistency.
	RuleUnknownOrder         = "unknown_order"            // an order id the instance lacks
	RuleUnknownCourier       = "unknown_courier"          // a courier id the instance lacks
	RuleUnknownPlace         = "unknown_place"            // a move's origin or destination is no place (destination "0" included)
	RuleEmptyAssignment      = "empty_assignment"         // an assignment without orders
	RuleOrderTwoAssignments  = "order_in_two_assignments" // an order twice in one courier's assignments
	RuleOrderTwoCouriers     = "order_two_couriers"       // an order in assignments or order rows of two couriers
	RuleDuplicateOrderRow    = "duplicate_order_row"      // an order listed twice, same courier, in the orders file
	RuleOrderNotAssigned     = "order_not_assigned"       // an order row whose order is in no assignment
	RuleAssignedNotDelivered = "assigned_not_delivered"   // an assigned order without an order row
	RuleCourierMismatch      = "courier_mismatch"         // order row and assignment name different couriers
	RulePickupMismatch       = "pickup_mismatch"          // order row's pickup time differs from its bundle's
	RulePlacementMismatch    = "placement_mismatch"       // order row's placement time differs from the instance
	RuleReadyMismatch        = "ready_mismatch"           // order row's ready time differs from the instance

	// Bundles.
	RuleBundleAcrossRestaurants = "bundle_across_restaurants" // a bundle with orders of two restaurants
	RuleAssignedBeforePlacement = "assigned_before_placement" // assignment time before an order's placement (not online)
	RulePickupBeforeAssignment  = "pickup_before_assignment"  // pickup time before the assignment time
	RulePickupBeforeReady       = "pickup_before_ready"       // pickup before an order of the bundle is ready
	RulePickupBeforeOn          = "pickup_before_on"          // pickup before the courier's shift starts
	RulePickupAfterOff          = "pickup_after_off"          // pickup after the courier's shift ends

	// Courier routes.
	RuleFirstMoveNotFromStart = "first_move_not_from_start" // a courier's first move does not leave from "0"
	RuleDepartBeforeOn        = "depart_before_on"          // a courier's first move departs before its on time
	RuleTeleport              = "teleport"                  // a move does not start where the previous one ended
	RuleDiversion             = "diversion"                 // a move departs before the previous one arrived

	// Events on routes.
	RulePickupNotAtRestaurant     = "pickup_not_at_restaurant"     // the courier is never at the restaurant then, nor goes there later
	RulePickupBeforeArrival       = "pickup_before_arrival"        // pickup earlier than arrival + half the pickup service
	RuleDepartDuringPickup        = "depart_during_pickup"         // departure earlier than pickup + half the pickup service
	RuleDropoffNotAtCustomer      = "dropoff_not_at_customer"      // the courier is never at the customer then, nor goes there later
	RuleDropoffBeforeArrival      = "dropoff_before_arrival"       // drop-off earlier than arrival + half the drop-off service
	RuleDepartDuringDropoff       = "depart_during_dropoff"        // departure earlier than drop-off + half the drop-off service
	RuleDropoffBeforePickup       = "dropoff_before_pickup"        // an order dropped at a stop not after its bundle's pickup stop
	RuleDropoffOutOfSequence      = "dropoff_out_of_sequence"      // a bundle's drop-offs not in its listed sequence
	RulePickupLegBeforeAssignment = "pickup_leg_before_assignment" // the move into the pickup restaurant departs before the assignment and arrives after it
	RulePickupBeforeDropoffsDone  = "pickup_before_dropoffs_done"  // a bundle picked up before the previous bundle's drop-offs are done
)

// Check returns every rule the solution breaks on the instance (see the package doc for
// the rules), or nil when it is feasible. Violations come in a deterministic order: file
// consistency and bundles in file order, then couriers' routes in instance order.
func Check(in *Instance, s *Solution) []Violation {
	k := &checker{in: in, s: s, owner: map[string]int{}, row: map[string]int{}}
	k.assignments()
	k.orderRows()
	k.routes()
	return k.out
}

// checker holds the state of one Check run.
type checker struct {
	in  *Instance
	s   *Solution
	out []Violation

	owner map[string]int // order id -> index of the first assignment holding it
	row   map[string]int // order id -> index of its first row in the orders file
}

func (k *checker) add(rule, format string, args ...any) {
	k.out = append(k.out, Violation{Rule: rule, Detail: fmt.Sprintf(format, args...)})
}

// bundleName names assignment i in details.
func (k *checker) bundleName(i int) string {
	a := k.s.Assignments[i]
	return fmt.Sprintf("assignment %d (courier %s, orders %s)", i+1, a.Courier, strings.Join(a.Orders, " "))
}

// assignments checks each assignment on its own and records which assignment owns each
// order.
func (k *checker) assignments() {
	for i, a := range k.s.Assignments {
		name := k.bundleName(i)
		c, courierKnown := k.in.Courier(a.Courier)
		if !courierKnown {
			k.add(RuleUnknownCourier, "%s: unknown courier %q", name, a.Courier)
		}
		if len(a.Orders) == 0 {
			k.add(RuleEmptyAssignment, "%s has no orders", name)
		}
		if a.Pickup < a.Time {
			k.add(RulePickupBeforeAssignment, "%s: pickup %d before assignment time %d", name, a.Pickup, a.Time)
		}
		if courierKnown && a.Pickup < c.On {
			k.add(RulePickupBeforeOn, "%s: pickup %d before on time %d", name, a.Pickup, c.On)
		}
		if courierKnown && a.Pickup > c.Off {
			k.add(RulePickupAfterOff, "%s: pickup %d after off time %d", name, a.Pickup, c.Off)
		}
		restaurant := ""
		for _, id := range a.Orders {
			o, ok := k.in.Order(id)
			if !ok {
				k.add(RuleUnknownOrder, "%s: unknown order %q", name, id)
				continue
			}
			k.claim(i, id)
			if restaurant == "" {
				restaurant = o.Restaurant
			} else if o.Restaurant != restaurant {
				k.add(RuleBundleAcrossRestaurants, "%s: order %s is from %s, the bundle from %s", name, id, o.Restaurant, restaurant)
			}
			if a.Time < o.Placement {
				k.add(RuleAssignedBeforePlacement, "%s: assigned at %d, order %s placed at %d", name, a.Time, id, o.Placement)
			}
			if a.Pickup < o.Ready {
				k.add(RulePickupBeforeReady, "%s: pickup %d, order %s ready at %d", name, a.Pickup, id, o.Ready)
			}
		}
	}
}

// claim records that assignment i holds order id, reporting a second holder.
func (k *checker) claim(i int, id string) {
	j, taken := k.owner[id]
	if !taken {
		k.owner[id] = i
		return
	}
	if first := k.s.Assignments[j].Courier; first != k.s.Assignments[i].Courier {
		k.add(RuleOrderTwoCouriers, "order %s in %s and %s", id, k.bundleName(j), k.bundleName(i))
	} else {
		k.add(RuleOrderTwoAssignments, "order %s in %s and %s", id, k.bundleName(j), k.bundleName(i))
	}
}

// orderRows checks the orders file against the instance and the assignments.
func (k *checker) orderRows() {
	for i, r := range k.s.Orders {
		o, ok := k.in.Order(r.Order)
		if !ok {
			k.add(RuleUnknownOrder, "orders row %d: unknown order %q", i+1, r.Order)
			continue
		}
		if j, dup := k.row[r.Order]; dup {
			if prev := k.s.Orders[j].Courier; prev != r.Courier {
				k.add(RuleOrderTwoCouriers, "order %s delivered by %s (row %d) and %s (row %d)", r.Order, prev, j+1, r.Courier, i+1)
			} else {
				k.add(RuleDuplicateOrderRow, "order %s in orders rows %d and %d", r.Order, j+1, i+1)
			}
			continue
		}
		k.row[r.Order] = i
		if _, ok := k.in.Courier(r.Courier); !ok {
			k.add(RuleUnknownCourier, "order %s: unknown courier %q", r.Order, r.Courier)
		}
		if r.Placement != o.Placement {
			k.add(RulePlacementMismatch, "order %s: placement_time %d, instance says %d", r.Order, r.Placement, o.Placement)
		}
		if r.Ready != o.Ready {
			k.add(RuleReadyMismatch, "order %s: ready_time %d, instance says %d", r.Order, r.Ready, o.Ready)
		}
		j, assigned := k.owner[r.Order]
		if !assigned {
			k.add(RuleOrderNotAssigned, "order %s is delivered but in no assignment", r.Order)
			continue
		}
		a := k.s.Assignments[j]
		if r.Courier != a.Courier {
			k.add(RuleCourierMismatch, "order %s: orders file says courier %s, %s", r.Order, r.Courier, k.bundleName(j))
		}
		if r.Pickup != a.Pickup {
			k.add(RulePickupMismatch, "order %s: orders file says pickup %d, %s picks up at %d", r.Order, r.Pickup, k.bundleName(j), a.Pickup)
		}
	}
	for i := range k.s.Assignments {
		for _, id := range k.owned(i) {
			if _, delivered := k.row[id]; !delivered {
				k.add(RuleAssignedNotDelivered, "order %s of %s has no row in the orders file", id, k.bundleName(i))
			}
		}
	}
}

// owned returns the orders of assignment i that it owns (known orders not held by an
// earlier assignment), each once, in listed sequence.
func (k *checker) owned(i int) []string {
	var ids []string
	for _, id := range k.s.Assignments[i].Orders {
		if j, ok := k.owner[id]; ok && j == i && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}
