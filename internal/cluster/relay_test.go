package cluster

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// recordingNotifier keeps the calls it gets as short strings.
type recordingNotifier struct {
	mu    sync.Mutex
	calls []string
}

func (r *recordingNotifier) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, s)
}

func (r *recordingNotifier) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

func (r *recordingNotifier) OrderEvent(o dispatch.Order, e dispatch.Event) {
	r.add("order " + o.ID + " " + string(e.State) + " " + o.HandoffCode)
}
func (r *recordingNotifier) Offer(o dispatch.Offer) { r.add("offer " + o.ID + " " + o.CourierID) }
func (r *recordingNotifier) OfferWithdrawn(c, o, why string) {
	r.add("withdrawn " + c + " " + o + " " + why)
}
func (r *recordingNotifier) CourierMoved(c string, p geo.LatLng, ids []string) {
	r.add("moved " + c + " " + slices.Concat(ids)[0])
}

// loopBus hands every publish to the receiving side at once, except those it is told
// to lose.
type loopBus struct {
	to   *Receiver
	mu   sync.Mutex
	lose int // how many of the next publishes vanish
}

func (b *loopBus) Publish(_ context.Context, topic string, payload []byte) error {
	b.mu.Lock()
	lost := b.lose > 0
	if lost {
		b.lose--
	}
	b.mu.Unlock()
	if topic == NotifyTopic && !lost {
		b.to.Deliver(payload)
	}
	return nil
}

func TestRelayGivesEveryInstanceTheSameStream(t *testing.T) {
	local, remote := &recordingNotifier{}, &recordingNotifier{}
	gaps := 0
	r := NewRelay(local, &loopBus{to: NewReceiver(remote, func() { gaps++ }, nil)}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.Run(ctx)
	}()
	o := dispatch.Order{ID: "ord_1", HandoffCode: "4242"}
	r.OrderEvent(o, dispatch.Event{OrderID: "ord_1", State: dispatch.Assigned})
	r.Offer(dispatch.Offer{ID: "off_1", CourierID: "cou_1"})
	r.OfferWithdrawn("cou_1", "off_1", "taken")
	r.CourierMoved("cou_1", geo.LatLng{Lat: 1, Lng: 2}, []string{"ord_1"})
	want := []string{"order ord_1 assigned 4242", "offer off_1 cou_1", "withdrawn cou_1 off_1 taken", "moved cou_1 ord_1"}
	if got := local.got(); !slices.Equal(got, want) {
		t.Fatalf("local feed got %v, want %v", got, want)
	}
	waitFor(t, "the remote feed to get all four calls", func() bool { return len(remote.got()) == len(want) })
	cancel()
	<-done
	if got := remote.got(); !slices.Equal(got, want) || gaps != 0 {
		t.Fatalf("remote feed got %v (%d gaps), want the same stream in the same order %v and no gap", got, gaps, want)
	}
}

func TestReceiverNoticesALostNotification(t *testing.T) {
	remote := &recordingNotifier{}
	var gaps atomic.Int32
	bus := &loopBus{to: NewReceiver(remote, func() { gaps.Add(1) }, nil)}
	r := NewRelay(&recordingNotifier{}, bus, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.Run(ctx)
	}()
	r.Offer(dispatch.Offer{ID: "off_1", CourierID: "cou_1"})
	waitFor(t, "the first offer", func() bool { return len(remote.got()) == 1 })
	bus.mu.Lock()
	bus.lose = 1
	bus.mu.Unlock()
	r.Offer(dispatch.Offer{ID: "off_2", CourierID: "cou_1"}) // lost on the way
	r.Offer(dispatch.Offer{ID: "off_3", CourierID: "cou_1"})
	waitFor(t, "the third offer", func() bool { return len(remote.got()) == 2 })
	cancel()
	<-done
	if n := gaps.Load(); n != 1 {
		t.Fatalf("%d gaps reported after one lost notification, want 1", n)
	}
}

func TestDeliverDropsGarbage(t *testing.T) {
	to := &recordingNotifier{}
	NewReceiver(to, func() { t.Fatal("garbage reported as a gap") }, nil).Deliver([]byte("not gob"))
	if n := len(to.got()); n != 0 {
		t.Fatalf("garbage produced %d notifications", n)
	}
}
