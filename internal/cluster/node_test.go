package cluster

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/memory"
)

// instance is one simulated server: a switch, its node and the HTTP front other
// instances forward to.
type instance struct {
	sw   *Switch
	node *Node
	srv  *httptest.Server
	stop context.CancelFunc
	done chan struct{}
}

func startInstance(t *testing.T, name string, leases Leases, store dispatch.Store) *instance {
	t.Helper()
	in := &instance{done: make(chan struct{})}
	in.srv = httptest.NewServer(Handler(func() apiDispatcher { return in.sw.Leader() }, testToken, nil))
	t.Cleanup(in.srv.Close)
	var node *Node
	remote := NewRemote(in.srv.Client(), testToken, func(ctx context.Context) (string, error) { return node.LeaderURL(ctx) }, nil)
	in.sw = NewSwitch(remote, nil)
	node = NewNode(Config{Instance: name, Addr: in.srv.URL, TTL: 300 * time.Millisecond}, leases, in.sw,
		func(ctx context.Context, epoch int64) (Term, error) {
			e := dispatch.New(dispatch.Config{}, store, nil, nil, nil)
			if err := e.Start(ctx); err != nil {
				return Term{}, err
			}
			return Term{Engine: e, Run: e.Run}, nil
		}, nil)
	in.node = node
	ctx, cancel := context.WithCancel(context.Background())
	in.stop = func() { cancel(); <-in.done }
	go func() {
		defer close(in.done)
		_ = node.Run(ctx)
	}()
	t.Cleanup(in.stop)
	return in
}

func TestLeadershipMovesAndCouriersFollow(t *testing.T) {
	store := memory.New()
	seed := dispatch.New(dispatch.Config{}, store, nil, nil, nil)
	if err := seed.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	st, err := seed.CreateStation(ctx, dispatch.Station{Name: "North", Zone: square(center, 0.04)})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := seed.CreateCourier(ctx, courier.Courier{Name: "Ada", Kind: courier.Franchise, StationID: st.ID, Vehicle: courier.Bicycle})
	if err != nil {
		t.Fatal(err)
	}

	leases := &fakeLeases{}
	a := startInstance(t, "a", leases, store)
	waitFor(t, "a to lead", func() bool { return a.sw.Local() != nil })
	b := startInstance(t, "b", leases, store)
	waitFor(t, "b to learn the leader", func() bool { return b.node.Leader().Holder == "a" })
	if b.sw.Local() != nil {
		t.Fatal("b runs an engine while a holds the lease")
	}

	// A courier whose socket is on b works through a's engine.
	if _, err := b.sw.Connect(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := b.sw.Locate(ctx, c.ID, courier.Fix{Pos: center, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if got, err := b.sw.SetAvailability(ctx, c.ID, courier.Available); err != nil || got != courier.Available {
		t.Fatalf("availability through b: %v %v", got, err)
	}
	if n := a.sw.Local().Snapshot().Couriers[courier.Available]; n != 1 {
		t.Fatalf("a's engine sees %d available couriers, want 1", n)
	}

	// a stops: it releases the lease, b takes over with a higher epoch and registers
	// the courier it holds with its own new engine.
	first := leases.current().Epoch
	a.stop()
	waitFor(t, "b to lead", func() bool { return b.sw.Local() != nil })
	if l := leases.current(); l.Holder != "b" || l.Epoch <= first {
		t.Fatalf("lease after takeover: %+v, want b with an epoch above %d", l, first)
	}
	waitFor(t, "the courier to be available on b's engine", func() bool {
		return b.sw.Local().Snapshot().Couriers[courier.Available] == 1
	})
}

func TestOnlyOneLeaderAtATime(t *testing.T) {
	store := memory.New()
	leases := &fakeLeases{}
	var ins []*instance
	for _, name := range []string{"a", "b", "c"} {
		ins = append(ins, startInstance(t, name, leases, store))
	}
	var mu sync.Mutex
	leading := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, in := range ins {
			if in.sw.Local() != nil {
				n++
			}
		}
		return n
	}
	waitFor(t, "a leader", func() bool { return leading() == 1 })
	holder := leases.current().Holder
	for _, in := range ins {
		if in.node.cfg.Instance == holder {
			in.stop()
		}
	}
	waitFor(t, "a new leader", func() bool { return leading() == 1 && leases.current().Holder != holder })
	if n := leading(); n != 1 {
		t.Fatalf("%d instances lead, want 1", n)
	}
}

// A leader that cannot renew its lease stops its engine before the lease could pass to
// anyone else, and leads again once it can.
func TestLeaderStepsDownWhenItCannotRenew(t *testing.T) {
	leases := &fakeLeases{}
	a := startInstance(t, "a", leases, memory.New())
	waitFor(t, "a to lead", func() bool { return a.sw.Local() != nil })
	leases.setDown(true)
	waitFor(t, "a to step down", func() bool { return a.sw.Local() == nil })
	leases.setDown(false)
	waitFor(t, "a to lead again", func() bool { return a.sw.Local() != nil })
}
