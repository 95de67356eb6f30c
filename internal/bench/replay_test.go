package bench

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/hummingbird-dispatch/hummingbird/internal/mdrp"
)

// sharedInstance finds an instance of the shared MDRPLIB next to the project; CI must
// have it, a bare checkout elsewhere skips.
func sharedInstance(t testing.TB, name string) string {
	t.Helper()
	dir, _ := os.Getwd()
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		p := filepath.Join(d, "..", "shared", "mdrplib", name)
		if isInstance(p) {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("shared MDRPLIB instance %s not found", name)
	}
	t.Skipf("shared MDRPLIB instance %s not found", name)
	return ""
}

func TestPlaneRoundTripIsExact(t *testing.T) {
	p := newPlane()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		pt := mdrp.Point{X: rng.IntN(40001) - 20000, Y: rng.IntN(40001) - 20000}
		if got := p.back(p.to(pt)); got != pt {
			t.Fatalf("%v came back as %v", pt, got)
		}
	}
}

func replayOK(t *testing.T, dir string) (*mdrp.Instance, *mdrp.Solution) {
	t.Helper()
	in, err := mdrp.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Config(in)
	if err != nil {
		t.Fatal(err)
	}
	sol, err := Replay(context.Background(), in, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range mdrp.Check(in, sol) {
		t.Errorf("%s: %s", in.Name, v)
	}
	return in, sol
}

func TestReplayTinyInstanceIsFeasible(t *testing.T) {
	in, sol := replayOK(t, filepath.Join("..", "mdrp", "testdata", "tiny"))
	if m := mdrp.Evaluate(in, sol); m.Delivered != len(in.Orders) {
		t.Fatalf("delivered %d of %d", m.Delivered, len(in.Orders))
	}
}

// A whole instance through the engine: feasible by the independent checker, every order
// delivered, and no order faster than physically possible.
func TestReplayInstanceIsFeasible(t *testing.T) {
	in, sol := replayOK(t, sharedInstance(t, "0o50t75s2p100"))
	m := mdrp.Evaluate(in, sol)
	if m.Delivered != len(in.Orders) {
		t.Fatalf("delivered %d of %d", m.Delivered, len(in.Orders))
	}
	for _, r := range sol.Orders {
		o, _ := in.Order(r.Order)
		rest, _ := in.Restaurant(o.Restaurant)
		fastest := o.Ready + in.Params.PickupService/2 + in.Travel(rest.At, o.Customer) + in.Params.DropoffService/2
		if r.Dropoff < fastest {
			t.Fatalf("order %s dropped at %d, before the fastest possible %d", r.Order, r.Dropoff, fastest)
		}
	}
}

func TestInstancesExpandsFolders(t *testing.T) {
	one := sharedInstance(t, "0o50t75s2p100")
	got, err := Instances([]string{filepath.Dir(one)})
	if err != nil || len(got) < 72 {
		t.Fatalf("%d instances, %v", len(got), err)
	}
	if _, err := Instances([]string{t.TempDir()}); err == nil {
		t.Fatal("an empty folder was accepted")
	}
}
