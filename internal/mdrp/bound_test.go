package mdrp

import (
	"slices"
	"testing"
)

func TestUnservableAndRescues(t *testing.T) {
	for _, tc := range []struct {
		name, old, new string
		unservable     []string
		able           int
		fits           []string
		short          int
	}{
		// o4 (ready 110 at r2) is left undelivered by the tiny solution; c2 (on 30, off
		// 150, never used) could have taken it, c1 (off 60) could not.
		{name: "servable", able: 1, fits: []string{"c2"}},
		// Ready at 200, after every shift: nobody could; c2 misses by 50 minutes.
		{name: "after every shift", old: "o4\t700\t0\t100\tr2\t110", new: "o4\t700\t0\t100\tr2\t200",
			unservable: []string{"o4"}, short: 50},
		// Ready at 148: c2 reaches r2 by 37 and picks up at 148 ≤ 150.
		{name: "just in time", old: "o4\t700\t0\t100\tr2\t110", new: "o4\t700\t0\t100\tr2\t148",
			able: 1, fits: []string{"c2"}},
		// Ready at 150, the off time itself: a pickup at the off time is allowed (the
		// service half after it may run past the shift, like the drop-offs).
		{name: "last minute", old: "o4\t700\t0\t100\tr2\t110", new: "o4\t700\t0\t100\tr2\t150",
			able: 1, fits: []string{"c2"}},
		{name: "one minute late", old: "o4\t700\t0\t100\tr2\t110", new: "o4\t700\t0\t100\tr2\t151",
			unservable: []string{"o4"}, short: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tinyDir
			if tc.old != "" {
				dir = editedCopy(t, tinyDir, "orders.txt", tc.old, tc.new)
			}
			in, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			_, sol := loadTiny(t)
			if got := in.Unservable(); !slices.Equal(got, tc.unservable) {
				t.Errorf("Unservable = %v, want %v", got, tc.unservable)
			}
			rs := Rescues(in, sol)
			if len(rs) != 1 || rs[0].Order != "o4" {
				t.Fatalf("Rescues = %+v, want one for o4", rs)
			}
			r := rs[0]
			if r.Able != tc.able || !slices.Equal(r.Fits, tc.fits) || r.Short != tc.short {
				t.Errorf("Rescue = %+v, want able %d fits %v short %d", r, tc.able, tc.fits, tc.short)
			}
		})
	}
}

// A courier busy with a later bundle only fits an order in between if it can still reach
// that bundle's restaurant by its pickup.
func TestRescueRespectsTheNextBundle(t *testing.T) {
	in, sol := loadTiny(t)
	// c2 now holds o4 from minute 100 (pickup 110). Offer o3's slot instead: drop o3
	// from the solution and ask whether c2 could have taken it before o4.
	sol.Assignments = []Assignment{sol.Assignments[0], {Time: 100, Pickup: 110, Courier: "c2", Orders: []string{"o4"}}}
	sol.Orders = []OrderResult{sol.Orders[0], sol.Orders[1], {Order: "o4", Placement: 100, Ready: 110, Pickup: 110, Dropoff: 116, Courier: "c2"}}
	rs := Rescues(in, sol)
	if len(rs) != 1 || rs[0].Order != "o3" {
		t.Fatalf("Rescues = %+v, want one for o3", rs)
	}
	// o3: ready 30 at r2. c2 from (500,0) at 30: pickup max(30, 30+5+2) = 37, drop at
	// 37+2+5+1 = 45, free 46, back to r2 by 46+5+2 = 53 ≤ 110: fits. c1, free at 28 at
	// o2's door (600,800): pickup max(30, 28+8+2) = 38 ≤ 60: fits too.
	if !slices.Equal(rs[0].Fits, []string{"c1", "c2"}) {
		t.Errorf("Fits = %v, want [c1 c2]", rs[0].Fits)
	}
}
