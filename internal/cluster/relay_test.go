package cluster

import (
	"context"
	"slices"
	"sync"
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

// loopBus hands every publish to the receiving side at once.
type loopBus struct {
	to  dispatch.Notifier
	err error
}

func (b *loopBus) Publish(_ context.Context, topic string, payload []byte) error {
	if b.err != nil {
		return b.err
	}
	if topic == NotifyTopic {
		Deliver(b.to, payload, nil)
	}
	return nil
}

func TestRelayGivesEveryInstanceTheSameStream(t *testing.T) {
	local, remote := &recordingNotifier{}, &recordingNotifier{}
	r := NewRelay(local, &loopBus{to: remote}, nil)
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
	if got := remote.got(); !slices.Equal(got, want) {
		t.Fatalf("remote feed got %v, want the same stream in the same order %v", got, want)
	}
}

func TestDeliverDropsGarbage(t *testing.T) {
	to := &recordingNotifier{}
	Deliver(to, []byte("not gob"), nil)
	if n := len(to.got()); n != 0 {
		t.Fatalf("garbage produced %d notifications", n)
	}
}
