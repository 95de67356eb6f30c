package mdrp

import (
	"cmp"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// greedySolve is a deliberately plain dispatcher for tests: orders in placement order,
// each alone, to the courier that can drop it off first, assigned at placement. It
// follows the rules by construction (whole-minute travel, half services, no diversion,
// one bundle at a time), so Check must accept what it builds.
func greedySolve(in *Instance) *Solution {
	half := func(service int) int { return (service + 1) / 2 }
	ps, ds := in.Params.PickupService, in.Params.DropoffService
	type state struct {
		place string
		at    Point
		free  int // earliest departure from place
	}
	st := make([]state, len(in.Couriers))
	for i, c := range in.Couriers {
		st[i] = state{place: StartPlace, at: c.Start, free: c.On}
	}
	orders := slices.Clone(in.Orders)
	slices.SortStableFunc(orders, func(a, b Order) int { return cmp.Compare(a.Placement, b.Placement) })
	s := &Solution{}
	for _, o := range orders {
		r, _ := in.Restaurant(o.Restaurant)
		best, dep, pick, drop := -1, 0, 0, 0
		for i, c := range in.Couriers {
			d := max(st[i].free, o.Placement)
			p := max(o.Ready, d+in.Travel(st[i].at, r.At)+half(ps))
			if p > c.Off {
				continue
			}
			if x := p + half(ps) + in.Travel(r.At, o.Customer) + half(ds); best < 0 || x < drop {
				best, dep, pick, drop = i, d, p, x
			}
		}
		if best < 0 {
			continue // undelivered
		}
		c := in.Couriers[best].ID
		s.Assignments = append(s.Assignments, Assignment{Time: o.Placement, Pickup: pick, Courier: c, Orders: []string{o.ID}})
		s.Orders = append(s.Orders, OrderResult{o.ID, o.Placement, o.Ready, pick, drop, c})
		s.Moves = append(s.Moves, Move{c, dep, st[best].place, r.ID}, Move{c, pick + half(ps), r.ID, o.ID})
		st[best] = state{place: o.ID, at: o.Customer, free: drop + half(ds)}
	}
	return s
}

// TestCheckAcceptsGreedyOnEveryInstance guards against false alarms on real data: a
// solution built by the rules passes Check on all shared instances, its metrics are sane,
// and it survives the trip through the solution files.
func TestCheckAcceptsGreedyOnEveryInstance(t *testing.T) {
	for _, dir := range instanceDirs(t) {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			in, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			s := greedySolve(in)
			if v := Check(in, s); v != nil {
				t.Fatalf("%d violations, first: %v", len(v), v[0])
			}
			m := Evaluate(in, s)
			if m.Delivered != len(s.Orders) || m.Delivered < m.Orders*8/10 || m.OrdersPerBundle != 1 {
				t.Errorf("delivered %d of %d (rows %d), %v orders per bundle", m.Delivered, m.Orders, len(s.Orders), m.OrdersPerBundle)
			}
			for i, f := range m.floats() {
				if math.IsNaN(*f) || *f < 0 {
					t.Errorf("figure %d = %v", i, *f)
				}
			}
			if m.UtilizationMean > 1 || m.CtDMean < 10 || m.CtDP90 < m.CtDMean {
				t.Errorf("implausible metrics %+v", m)
			}
			if name != "0o50t100s1p100" {
				return
			}
			out := t.TempDir()
			if err := WriteSolution(out, s); err != nil {
				t.Fatal(err)
			}
			back, err := ReadSolution(out)
			if err != nil {
				t.Fatal(err)
			}
			if v := Check(in, back); v != nil {
				t.Fatalf("after the files: %v", v[0])
			}
			if got := Evaluate(in, back); !reflect.DeepEqual(got, m) {
				t.Errorf("metrics after the files %+v, before %+v", got, m)
			}
		})
	}
}

// TestCheckCatchesShortLegs mimics legs a minute shorter than the instance rule (as a
// simulator that rounds legs to whole seconds produces): every drop-off comes a minute
// early. The authors' evaluator, which only asks that the courier has arrived, lets that
// through when half the service is at least a minute; Check must not.
func TestCheckCatchesShortLegs(t *testing.T) {
	in, err := Load(filepath.Join(mdrplibDir(t), "0o50t100s1p100"))
	if err != nil {
		t.Fatal(err)
	}
	s := greedySolve(in)
	for i := range s.Orders {
		s.Orders[i].Dropoff--
	}
	rules := map[string]int{}
	for _, v := range Check(in, s) {
		rules[v.Rule]++
	}
	if rules[RuleDropoffBeforeArrival] != len(s.Orders) || len(rules) != 1 {
		t.Errorf("rules %v, want %s for each of %d orders", rules, RuleDropoffBeforeArrival, len(s.Orders))
	}
}
