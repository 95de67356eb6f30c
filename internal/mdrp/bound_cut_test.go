package mdrp

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeInstance writes a hand-made instance (speed 100 m/min, pickup service 4,
// drop-off service 2, so both halves are 2 and 1) to a temporary folder and loads it.
// Rows are tab-separated without their header.
func writeInstance(t *testing.T, restaurants, orders, couriers []string) *Instance {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"instance_parameters.txt": "meters_per_minute\tpickup service minutes\tdropoff service minutes\ttarget click-to-door\tmaximum click-to-door\tpay per order\tguaranteed pay per hour\n100\t4\t2\t25\t60\t10\t15\n",
		"restaurants.txt":         "restaurant\tx\ty\n" + strings.Join(restaurants, "\n") + "\n",
		"orders.txt":              "order\tx\ty\tplacement_time\trestaurant\tready_time\n" + strings.Join(orders, "\n") + "\n",
		"couriers.txt":            "courier\tx\ty\ton_time\toff_time\n" + strings.Join(couriers, "\n") + "\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestCutBound(t *testing.T) {
	// r1 at the courier's start, r2 1 km east. o1's customer is 5 minutes from r1 and 9
	// from r2, o2's 5 from r2 and 12 from r1: τ = 5+5 = 10 each, w = 2×2 + 2×1 + 10 = 16.
	rs := []string{"r1\t0\t0", "r2\t1000\t0"}
	two := []string{"o1\t300\t400\t0\tr1\t10", "o2\t1000\t500\t0\tr2\t10"}
	courier := func(off int) []string { return []string{fmt.Sprintf("c1\t0\t0\t0\t%d", off)} }
	for _, tc := range []struct {
		name     string
		orders   []string
		couriers []string
		want     int
		cut      Cut
	}{
		// One courier, free from minute 10 (a = max(10, 0+0+2)) to 25: Supply 15. One of
		// the two bundles may be its last; the other needs 16 minutes before it. Truly one
		// is lost: o1 first puts the courier at r2 at 28 (pickup 30), o2 first at r1 at 33.
		{name: "one short", orders: two, couriers: courier(25), want: 1,
			cut: Cut{At: 10, Orders: 2, Restaurants: 2, Couriers: 1, Supply: 15, Demand: 32, Free: 16, Served: 1}},
		// Supply 16 is enough for the relaxation (the truth is still one lost: the bound
		// is not exact).
		{name: "relaxation fits", orders: two, couriers: courier(26), want: 0,
			cut: Cut{At: 10, Orders: 2, Restaurants: 2, Couriers: 1, Supply: 16, Demand: 32, Free: 16, Served: 2}},
		// Both orders from r1: one bundle, picked up last at 10, whatever its size.
		{name: "one restaurant bundles", orders: []string{"o1\t300\t400\t0\tr1\t10", "o2\t1000\t500\t0\tr1\t10"},
			couriers: courier(10), want: 0,
			// Only r1 is in the cut: τ(o2) = T(r1, (1000,500)) 12 + 12 back = 24;
			// w = 2×2 + 2×1×2 + 24 = 32.
			cut: Cut{At: 10, Orders: 2, Restaurants: 1, Couriers: 1, Supply: 0, Demand: 32, Free: 32, Served: 2}},
		// Three restaurants, each reachable by 12, off at 22: Supply 12 buys no bundle
		// (w ≥ 16) but the last, at best the largest group: o2 and o3 of r2 (τ(o3) = 6+6,
		// w = 4 + 4 + 12 = 20; o4 is 5 minutes from r3 and from r1, w 16). Truly so: after
		// o1 the courier reaches r2 at 28, r3 later still.
		{name: "one pickup", orders: append(slicesConcat(two, "o3\t1000\t600\t0\tr2\t10"), "o4\t0\t-500\t0\tr3\t10"),
			couriers: courier(22), want: 2,
			cut: Cut{At: 10, Orders: 4, Restaurants: 3, Couriers: 1, Supply: 12, Demand: 52, Free: 20, Served: 2}},
		// A second courier, 10 km away, reaches r1 at 100+2: active at the cut (its
		// pickup by 150), with 48 minutes: both served.
		{name: "second courier", orders: two, couriers: append(courier(25), "c2\t-10000\t0\t0\t150"), want: 0,
			cut: Cut{At: 10, Orders: 2, Restaurants: 2, Couriers: 2, Supply: 15 + 48, Demand: 32, Free: 32, Served: 2}},
		// An order ready after every shift is unservable and counted beside the cut.
		{name: "plus unservable", orders: append(slicesConcat(two), "o5\t0\t500\t0\tr1\t40"),
			couriers: courier(25), want: 2,
			cut: Cut{At: 10, Orders: 2, Restaurants: 2, Couriers: 1, Supply: 15, Demand: 32, Free: 16, Served: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := writeInstance(t, append(rs, "r3\t0\t-1000"), tc.orders, tc.couriers)
			got, cut := in.CutBound()
			if got != tc.want || cut != tc.cut {
				t.Errorf("CutBound = %d, %+v; want %d, %+v", got, cut, tc.want, tc.cut)
			}
			if u := len(in.Unservable()); got < u {
				t.Errorf("CutBound %d below Unservable %d", got, u)
			}
		})
	}
}

func slicesConcat(s []string, more ...string) []string {
	return append(append([]string(nil), s...), more...)
}

// TestCutBoundBelowGreedy checks the bound against solutions that pass Check on every
// shared instance: no feasible solution may leave fewer orders undelivered.
func TestCutBoundBelowGreedy(t *testing.T) {
	for _, dir := range instanceDirs(t) {
		in, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		s := greedySolve(in)
		if v := Check(in, s); v != nil {
			t.Fatalf("%s: greedy solution breaks %v", in.Name, v[0])
		}
		bound, cut := in.CutBound()
		undelivered := len(in.Orders) - len(s.Orders)
		if u := len(in.Unservable()); bound < u || bound > undelivered {
			t.Errorf("%s: CutBound %d, want between Unservable %d and greedy's undelivered %d", in.Name, bound, u, undelivered)
		}
		t.Logf("%s: orders %d unservable %d cut bound %d; tightest %+v slack %d", in.Name, len(in.Orders), len(in.Unservable()), bound, cut, cut.Slack())
	}
}
