package mdrp

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestCheckAcceptsHandMadeSolution(t *testing.T) {
	in, s := loadTiny(t)
	if v := Check(in, s); v != nil {
		t.Fatalf("Check found violations in a valid solution: %v", v)
	}
}

// rowOf returns the orders-file row of order id.
func rowOf(t *testing.T, s *Solution, id string) *OrderResult {
	for i := range s.Orders {
		if s.Orders[i].Order == id {
			return &s.Orders[i]
		}
	}
	t.Fatalf("no row for %s", id)
	return nil
}

// setCourier changes courier id of the instance.
func setCourier(in *Instance, id string, f func(*Courier)) {
	f(&in.Couriers[in.courierIdx[id]])
}

// TestCheckViolations breaks the hand-made solution (see testdata/tiny/README.md) one
// way at a time and expects exactly the rules that break. Its assignments are A1 =
// (3, 12, c1, o1 o2) and A2 = (21, 39, c1, o3); c1's moves M0..M4 are 0→r1 at 3 (arrive
// 6), r1→o1 at 14 (19), o1→o2 at 21 (26), o2→r2 at 28 (37), r2→o3 at 41 (46).
func TestCheckViolations(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(t *testing.T, in *Instance, s *Solution)
		want   []string
	}{
		{"pickup before ready", func(t *testing.T, in *Instance, s *Solution) {
			s.Assignments[0].Pickup = 11 // o2 is ready at 12
			rowOf(t, s, "o1").Pickup, rowOf(t, s, "o2").Pickup = 11, 11
		}, []string{RulePickupBeforeReady}},
		{"two couriers in assignments", func(t *testing.T, in *Instance, s *Solution) {
			s.Assignments = append(s.Assignments, Assignment{Time: 3, Pickup: 40, Courier: "c2", Orders: []string{"o1"}})
		}, []string{RuleOrderTwoCouriers}},
		{"two couriers in orders file", func(t *testing.T, in *Instance, s *Solution) {
			r := *rowOf(t, s, "o1")
			r.Courier = "c2"
			s.Orders = append(s.Orders, r)
		}, []string{RuleOrderTwoCouriers}},
		{"one order twice for one courier", func(t *testing.T, in *Instance, s *Solution) {
			s.Assignments[1].Orders = []string{"o3", "o3"}
		}, []string{RuleOrderTwoAssignments}},
		{"order row twice", func(t *testing.T, in *Instance, s *Solution) {
			s.Orders = append(s.Orders, *rowOf(t, s, "o1"))
		}, []string{RuleDuplicateOrderRow}},
		{"pickup after off", func(t *testing.T, in *Instance, s *Solution) {
			setCourier(in, "c1", func(c *Courier) { c.Off = 38 }) // A2 picks up at 39
		}, []string{RulePickupAfterOff}},
		{"pickup before on", func(t *testing.T, in *Instance, s *Solution) {
			setCourier(in, "c1", func(c *Courier) { c.On = 13 }) // A1 picks up at 12, M0 leaves at 3
		}, []string{RulePickupBeforeOn, RuleDepartBeforeOn}},
		{"departure before on", func(t *testing.T, in *Instance, s *Solution) {
			setCourier(in, "c1", func(c *Courier) { c.On = 5 })
		}, []string{RuleDepartBeforeOn}},
		{"first move not from start", func(t *testing.T, in *Instance, s *Solution) {
			s.Moves[0].Origin = "r1"
		}, []string{RuleFirstMoveNotFromStart}},
		{"teleport", func(t *testing.T, in *Instance, s *Solution) {
			s.Moves[3].Origin = "o1" // c1 is at o2; o1→r2 also takes 9 minutes
		}, []string{RuleTeleport}},
		{"diversion", func(t *testing.T, in *Instance, s *Solution) {
			s.Moves[3].Departure = 25 // c1 reaches o2 at 26 and drops o2 at 27
		}, []string{RuleDiversion, RuleDropoffNotAtCustomer}},
		{"bundle across restaurants", func(t *testing.T, in *Instance, s *Solution) {
			in.Orders[in.orderIdx["o2"]].Restaurant = "r2"
		}, []string{RuleBundleAcrossRestaurants}},
		{"assignment before placement", func(t *testing.T, in *Instance, s *Solution) {
			s.Assignments[1].Time = 19 // o3 placed at 20
		}, []string{RuleAssignedBeforePlacement}},
		{"pickup before assignment", func(t *testing.T, in *Instance, s *Solution) {
			s.Assignments[1].Time = 40 // c1 already waits at r2 since 37
		}, []string{RulePickupBeforeAssignment}},
		{"pickup leg before assignment", func(t *testing.T, in *Instance, s *Solution) {
			s.Assignments[1].Time = 30 // c1 left for r2 at 28, arrives 37
		}, []string{RulePickupLegBeforeAssignment}},
		{"pickup before arrival", func(t *testing.T, in *Instance, s *Solution) {
			s.Assignments[1].Pickup = 38 // arrival 37 + 2
			rowOf(t, s, "o3").Pickup = 38
		}, []string{RulePickupBeforeArrival}},
		{"pickup after leaving", func(t *testing.T, in *Instance, s *Solution) {
			s.Assignments[1].Pickup = 45 // c1 left r2 at 41
			rowOf(t, s, "o3").Pickup = 45
		}, []string{RulePickupNotAtRestaurant}},
		{"departure during pickup", func(t *testing.T, in *Instance, s *Solution) {
			s.Moves[1].Departure = 13 // pickup 12 + 2
		}, []string{RuleDepartDuringPickup}},
		{"drop-off too early", func(t *testing.T, in *Instance, s *Solution) {
			rowOf(t, s, "o1").Dropoff = 19 // arrival 19 + 1
		}, []string{RuleDropoffBeforeArrival}},
		{"drop-off before the courier comes", func(t *testing.T, in *Instance, s *Solution) {
			rowOf(t, s, "o1").Dropoff = 15
		}, []string{RuleDropoffBeforeArrival}},
		{"drop-off after leaving", func(t *testing.T, in *Instance, s *Solution) {
			rowOf(t, s, "o2").Dropoff = 40 // c1 left o2 at 28
		}, []string{RuleDropoffNotAtCustomer}},
		{"departure during drop-off", func(t *testing.T, in *Instance, s *Solution) {
			s.Moves[2].Departure = 20 // drop-off 20 + 1
		}, []string{RuleDepartDuringDropoff}},
		{"drop-offs out of sequence", func(t *testing.T, in *Instance, s *Solution) {
			s.Assignments[0].Orders = []string{"o2", "o1"}
		}, []string{RuleDropoffOutOfSequence}},
		{"drop-off before pickup", func(t *testing.T, in *Instance, s *Solution) {
			// c1 visits o1's customer first: 0→o1 at 3 (316 m, arrive 7, drop 8),
			// o1→r1 at 9 (arrive 14, pickup 16), r1→o2 at 18 (arrive 28, drop 29),
			// o2→r2 at 30 (arrive 39, pickup 41), r2→o3 at 43 (arrive 48, drop 49).
			s.Moves = []Move{{"c1", 3, "0", "o1"}, {"c1", 9, "o1", "r1"}, {"c1", 18, "r1", "o2"}, {"c1", 30, "o2", "r2"}, {"c1", 43, "r2", "o3"}}
			s.Assignments[0].Pickup, s.Assignments[1].Pickup = 16, 41
			*rowOf(t, s, "o1") = OrderResult{"o1", 0, 10, 16, 8, "c1"}
			*rowOf(t, s, "o2") = OrderResult{"o2", 2, 12, 16, 29, "c1"}
			*rowOf(t, s, "o3") = OrderResult{"o3", 20, 30, 41, 49, "c1"}
		}, []string{RuleDropoffBeforePickup}},
		{"new pickup before drop-offs done", func(t *testing.T, in *Instance, s *Solution) {
			// After o1, c1 fetches o3 at r2 with o2 still on board: o1→r2 at 21
			// (806 m, arrive 30, pickup 32), r2→o2 at 34 (arrive 43, drop 44),
			// o2→o3 at 45 (arrive 50, drop 51).
			s.Moves = append(s.Moves[:2], Move{"c1", 21, "o1", "r2"}, Move{"c1", 34, "r2", "o2"}, Move{"c1", 45, "o2", "o3"})
			s.Assignments[1].Pickup = 32
			rowOf(t, s, "o2").Dropoff = 44
			o3 := rowOf(t, s, "o3")
			o3.Pickup, o3.Dropoff = 32, 51
		}, []string{RulePickupBeforeDropoffsDone}},
		{"courier mismatch", func(t *testing.T, in *Instance, s *Solution) {
			rowOf(t, s, "o3").Courier = "c2"
		}, []string{RuleCourierMismatch}},
		{"pickup mismatch within a bundle", func(t *testing.T, in *Instance, s *Solution) {
			rowOf(t, s, "o1").Pickup = 13
		}, []string{RulePickupMismatch}},
		{"placement mismatch", func(t *testing.T, in *Instance, s *Solution) {
			rowOf(t, s, "o2").Placement = 3
		}, []string{RulePlacementMismatch}},
		{"ready mismatch", func(t *testing.T, in *Instance, s *Solution) {
			rowOf(t, s, "o2").Ready = 13
		}, []string{RuleReadyMismatch}},
		{"unknown order in assignment", func(t *testing.T, in *Instance, s *Solution) {
			s.Assignments[1].Orders = append(s.Assignments[1].Orders, "o99")
		}, []string{RuleUnknownOrder}},
		{"unknown order row", func(t *testing.T, in *Instance, s *Solution) {
			s.Orders = append(s.Orders, OrderResult{"o99", 0, 0, 12, 30, "c1"})
		}, []string{RuleUnknownOrder}},
		{"unknown courier moves", func(t *testing.T, in *Instance, s *Solution) {
			s.Moves = append(s.Moves, Move{"c9", 0, "0", "r1"})
		}, []string{RuleUnknownCourier}},
		{"unknown courier assigned", func(t *testing.T, in *Instance, s *Solution) {
			s.Assignments[1].Courier = "c9"
		}, []string{RuleUnknownCourier, RuleCourierMismatch}},
		{"unknown place", func(t *testing.T, in *Instance, s *Solution) {
			s.Moves = append(s.Moves, Move{"c1", 48, "o3", "zz"})
		}, []string{RuleUnknownPlace}},
		{"move back to start", func(t *testing.T, in *Instance, s *Solution) {
			s.Moves = append(s.Moves, Move{"c1", 48, "o3", "0"})
		}, []string{RuleUnknownPlace}},
		{"order delivered but not assigned", func(t *testing.T, in *Instance, s *Solution) {
			s.Orders = append(s.Orders, OrderResult{"o4", 100, 110, 120, 130, "c2"})
		}, []string{RuleOrderNotAssigned}},
		{"order assigned but not delivered", func(t *testing.T, in *Instance, s *Solution) {
			s.Orders = s.Orders[:2] // drops o3's row
		}, []string{RuleAssignedNotDelivered}},
		{"empty assignment", func(t *testing.T, in *Instance, s *Solution) {
			s.Assignments = append(s.Assignments, Assignment{Time: 50, Pickup: 50, Courier: "c2"})
		}, []string{RuleEmptyAssignment}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in, s := loadTiny(t)
			tc.break_(t, in, s)
			got := Check(in, s)
			var rules []string
			for _, v := range got {
				if v.Rule == "" || v.Detail == "" {
					t.Errorf("violation without rule or detail: %+v", v)
				}
				if !slices.Contains(rules, v.Rule) {
					rules = append(rules, v.Rule)
				}
			}
			slices.Sort(rules)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(rules, want) {
				t.Errorf("rules %v, want %v; violations:\n%s", rules, want, list(got))
			}
		})
	}
}

func list(vs []Violation) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "  %v\n", v)
	}
	return b.String()
}

// TestCheckIsDeterministic runs Check twice on a solution with many violations.
func TestCheckIsDeterministic(t *testing.T) {
	in, s := loadTiny(t)
	s.Moves = append(s.Moves, Move{"c9", 0, "0", "r1"}, Move{"c8", 0, "0", "r1"}, Move{"c2", 0, "o1", "zz"})
	s.Assignments[0].Orders = []string{"o2", "o1", "o3", "o77"}
	s.Orders[0].Courier = "c2"
	first := list(Check(in, s))
	for range 10 {
		if again := list(Check(in, s)); again != first {
			t.Fatalf("Check output changed:\n%s\nthen\n%s", first, again)
		}
	}
}
