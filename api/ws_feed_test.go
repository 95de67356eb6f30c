package api

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
	"github.com/hummingbird-dispatch/hummingbird/internal/realtime"
	"github.com/hummingbird-dispatch/hummingbird/internal/testenv"
)

// recorder is a realtime.Subscriber that keeps what it receives.
type recorder struct {
	mu     sync.Mutex
	frames []Envelope
	raw    []string
}

func (r *recorder) Send(b []byte) error {
	var env Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.frames = append(r.frames, env)
	r.raw = append(r.raw, string(b))
	return nil
}

func (r *recorder) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return frameTypes(r.frames)
}

func newTestFeed(cfg FeedConfig) (*Feed, *realtime.Hub, *testClock) {
	clock := testenv.NewClock(testEpoch)
	cfg.Clock = clock
	hub := realtime.NewHub()
	return NewFeedWith(cfg, hub, nil), hub, clock
}

func event(o dispatch.Order, seq int64) dispatch.Event {
	return dispatch.Event{OrderID: o.ID, Seq: seq, Type: dispatch.StateEvent(o.State), State: o.State, At: testEpoch}
}

func TestFeedPositionsOnlyWhileActive(t *testing.T) {
	f, hub, _ := newTestFeed(FeedConfig{})
	var rec recorder
	defer hub.Subscribe(trackTopic("ord_1"), &rec)()
	o := dispatch.Order{ID: "ord_1", CourierID: "cou_1"}
	p := geo.LatLng{Lat: 48.85, Lng: 2.35}

	f.CourierMoved("cou_1", p, []string{"ord_1"}) // never seen: unknown state
	for i, st := range []dispatch.State{dispatch.Dispatching, dispatch.Assigned, dispatch.AtPickup, dispatch.PickedUp, dispatch.AtDropoff, dispatch.Delivered} {
		o.State = st
		f.OrderEvent(o, event(o, int64(i+1)))
		f.CourierMoved("cou_1", p, []string{"ord_1"}) // an engine that still lists the order
	}
	want := "status status position status position status position status position status"
	if got := strings.Join(rec.types(), " "); got != want {
		t.Fatalf("track frames %q, want %q", got, want)
	}
	// Non-state events are not shown to the customer.
	f.OrderEvent(o, dispatch.Event{OrderID: o.ID, Seq: 9, Type: dispatch.EventRefundRequest, State: dispatch.Delivered})
	if n := len(rec.types()); n != 10 {
		t.Fatalf("%d track frames after a refund event, want 10", n)
	}
}

func TestFeedCourierFramesHideCustomerSecrets(t *testing.T) {
	f, hub, _ := newTestFeed(FeedConfig{})
	var rec recorder
	defer hub.Subscribe(courierTopic("cou_1"), &rec)()
	f.claim("cou_1", &realtime.Conn{}) // frames are kept only for couriers connected here
	drop := dispatch.Stop{Pos: geo.LatLng{Lat: 48.8, Lng: 2.3}, Name: "Ada Lovelace", Phone: "+33123456789", Notes: "code 1234B", Address: "1 rue X"}
	f.Offer(dispatch.Offer{ID: "off_1", Kind: dispatch.OfferBroadcast, CourierID: "cou_1", OrderIDs: []string{"ord_1"}, Dropoffs: []dispatch.Stop{drop}})
	o := dispatch.Order{ID: "ord_1", State: dispatch.Assigned, CourierID: "cou_1", Dropoff: drop, HandoffCode: "4242", TrackToken: "TRACKTOKENSECRET", PaymentIntent: "pi_secret"}
	f.OrderEvent(o, event(o, 4))
	f.OfferWithdrawn("cou_1", "off_2", "taken")
	if got := strings.Join(rec.types(), " "); got != "offer order offer_withdrawn" {
		t.Fatalf("courier frames %q", got)
	}
	for _, s := range []string{"Ada Lovelace", "+33123456789", "1234B"} {
		if strings.Contains(rec.raw[0], s) {
			t.Errorf("offer shows %q before acceptance: %s", s, rec.raw[0])
		}
	}
	for _, s := range []string{"4242", "handoff", "TRACKTOKENSECRET", "pi_secret"} {
		if strings.Contains(rec.raw[1], s) {
			t.Errorf("order frame leaks %q: %s", s, rec.raw[1])
		}
	}
	if !strings.Contains(rec.raw[1], "+33123456789") {
		t.Errorf("the assigned courier needs the customer's phone: %s", rec.raw[1])
	}
	for i, env := range rec.frames {
		if i > 0 && env.Seq != rec.frames[i-1].Seq+1 {
			t.Errorf("seqs %d then %d, want consecutive", rec.frames[i-1].Seq, env.Seq)
		}
	}
}

func TestFeedReplacedConnectionIsNotCurrent(t *testing.T) {
	f, _, _ := newTestFeed(FeedConfig{})
	a, b := &realtime.Conn{}, &realtime.Conn{}
	if prev, _ := f.claim("cou_1", a); prev != nil {
		t.Fatal("first claim replaced something")
	}
	if prev, _ := f.claim("cou_1", b); prev != a {
		t.Fatal("second claim did not return the first connection")
	}
	if f.release("cou_1", a) {
		t.Fatal("the replaced connection was still current")
	}
	if !f.release("cou_1", b) || f.release("cou_1", b) {
		t.Fatal("the current connection was not released exactly once")
	}
}

func TestFeedBoundsStreams(t *testing.T) {
	f, _, clock := newTestFeed(FeedConfig{IdleTTL: time.Minute, MaxCouriers: 3, Replay: 4})
	attached := &realtime.Conn{}
	f.claim("cou_live", attached)
	// visit connects a courier and leaves, so that its stream stays detached.
	visit := func(id string) {
		c := &realtime.Conn{}
		f.claim(id, c)
		f.release(id, c)
	}
	var oldSeq int64
	for _, id := range []string{"cou_a", "cou_b", "cou_c", "cou_d"} {
		clock.Advance(time.Second)
		visit(id)
		for range 10 {
			f.OfferWithdrawn(id, "off", "x")
		}
		if id == "cou_a" {
			oldSeq = f.couriers["cou_a"].seq
		}
	}
	if n := f.streams(); n > 3 {
		t.Fatalf("%d streams, cap 3", n)
	}
	if _, ok := f.couriers["cou_live"]; !ok {
		t.Fatal("the stream of a connected courier was evicted")
	}
	for id, l := range f.couriers {
		if len(l.frames) > 4 {
			t.Fatalf("%s keeps %d frames, want at most 4", id, len(l.frames))
		}
	}
	clock.Advance(2 * time.Minute)
	visit("cou_e")
	if n := f.streams(); n != 2 {
		t.Fatalf("%d streams after the idle TTL, want the connected one and the new one", n)
	}
	// A courier whose stream was evicted starts above every seq it could have kept.
	visit("cou_a")
	f.OfferWithdrawn("cou_a", "off", "x")
	if l := f.couriers["cou_a"]; l.seq <= oldSeq || l.since < oldSeq {
		t.Fatalf("new stream at seq %d (since %d), old one reached %d", l.seq, l.since, oldSeq)
	}
}

func TestFeedKeepsNoStreamForCouriersConnectedElsewhere(t *testing.T) {
	f, _, _ := newTestFeed(FeedConfig{})
	for range 5 {
		f.OfferWithdrawn("cou_elsewhere", "off", "x")
	}
	if n := f.streams(); n != 0 {
		t.Fatalf("%d streams for a courier that never connected here, want 0", n)
	}
}

func TestFeedGapForcesSnapshot(t *testing.T) {
	f, _, _ := newTestFeed(FeedConfig{})
	c := &realtime.Conn{}
	_, mark := f.claim("cou_1", c)
	f.OfferWithdrawn("cou_1", "off", "x")
	f.gap()
	l := f.couriers["cou_1"]
	if len(l.frames) != 0 || l.since <= mark+1 {
		t.Fatalf("after a gap the stream keeps %d frames from since %d; a client at seq %d must not resume", len(l.frames), l.since, mark+1)
	}
}
