package dispatch_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/memory"
)

// flakyStore fails chosen order writes: before committing (fail) or after (lostAck).
type flakyStore struct {
	*memory.Store
	mu      sync.Mutex
	fail    func(o dispatch.Order, evs []dispatch.Event) bool
	lostAck func(o dispatch.Order, evs []dispatch.Event) bool
}

var errFlaky = errors.New("flaky store")

func (f *flakyStore) UpdateOrder(ctx context.Context, o dispatch.Order, prev int64, evs []dispatch.Event) error {
	f.mu.Lock()
	fail, lost := f.fail, f.lostAck
	f.mu.Unlock()
	if fail != nil && fail(o, evs) {
		return errFlaky
	}
	if err := f.Store.UpdateOrder(ctx, o, prev, evs); err != nil {
		return err
	}
	if lost != nil && lost(o, evs) {
		return errFlaky
	}
	return nil
}

// ApplyPayment fails like UpdateOrder: the payment's order write is chosen by the same
// hooks.
func (f *flakyStore) ApplyPayment(ctx context.Context, id string, o dispatch.Order, prev int64, evs []dispatch.Event) (bool, error) {
	f.mu.Lock()
	fail, lost := f.fail, f.lostAck
	f.mu.Unlock()
	if fail != nil && fail(o, evs) {
		return false, errFlaky
	}
	fresh, err := f.Store.ApplyPayment(ctx, id, o, prev, evs)
	if err != nil {
		return fresh, err
	}
	if lost != nil && lost(o, evs) {
		return false, errFlaky
	}
	return fresh, nil
}

func (f *flakyStore) set(fail, lost func(dispatch.Order, []dispatch.Event) bool) {
	f.mu.Lock()
	f.fail, f.lostAck = fail, lost
	f.mu.Unlock()
}

func newFlakyEnv(t *testing.T) (*env, *flakyStore) {
	e := newEnv(t, dispatch.Config{})
	fs := &flakyStore{Store: e.store}
	e.eng = dispatch.New(dispatch.Config{}, fs, e.clock, e.rec, nil)
	if err := e.eng.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	return e, fs
}

func once(match func(dispatch.Order, []dispatch.Event) bool) func(dispatch.Order, []dispatch.Event) bool {
	done := false
	return func(o dispatch.Order, evs []dispatch.Event) bool {
		if !done && match(o, evs) {
			done = true
			return true
		}
		return false
	}
}

// A payment whose write fails leaves nothing behind: the order is still unpaid and the
// event unrecorded, so the provider's retry applies it and the order reaches the queue.
func TestFailedPaymentWriteLeavesNothing(t *testing.T) {
	e, fs := newFlakyEnv(t)
	o := e.order("shop")
	fs.set(once(func(o dispatch.Order, _ []dispatch.Event) bool { return o.State == dispatch.Dispatching }), nil)
	pe := dispatch.PaymentEvent{ID: "evt_1", Kind: dispatch.PaymentSucceeded, OrderID: o.ID}
	if _, err := e.eng.ApplyPayment(e.ctx, pe); !errors.Is(err, errFlaky) {
		t.Fatalf("first delivery: %v", err)
	}
	if got := e.get(o.ID); got.State != dispatch.PendingPayment || got.Version != o.Version {
		t.Fatalf("state %s version %d after a failed payment write, want %s %d", got.State, got.Version, dispatch.PendingPayment, o.Version)
	}
	if seen, err := e.store.PaymentEventSeen(e.ctx, pe.ID); err != nil || seen {
		t.Fatalf("event recorded after a failed write (seen %v, err %v)", seen, err)
	}
	// The provider retries the same event: the order must reach the queue.
	if r, err := e.eng.ApplyPayment(e.ctx, pe); err != nil || r != dispatch.PaymentApplied {
		t.Fatalf("retry: %v %v", r, err)
	}
	if s := e.get(o.ID).State; s != dispatch.Dispatching || e.eng.Snapshot().Waiting != 1 {
		t.Fatalf("after retry: %s, %d waiting", s, e.eng.Snapshot().Waiting)
	}
}

// A payment write that commits but whose answer is lost still puts the order in the
// queue, and the provider's retry is a duplicate.
func TestLostPaymentAckQueuesOrder(t *testing.T) {
	e, fs := newFlakyEnv(t)
	o := e.order("shop")
	fs.set(nil, once(func(o dispatch.Order, _ []dispatch.Event) bool { return o.State == dispatch.Dispatching }))
	pe := dispatch.PaymentEvent{ID: "evt_1", Kind: dispatch.PaymentSucceeded, OrderID: o.ID}
	if _, err := e.eng.ApplyPayment(e.ctx, pe); !errors.Is(err, errFlaky) {
		t.Fatalf("first delivery: %v", err)
	}
	if s := e.get(o.ID).State; s != dispatch.Dispatching || e.eng.Snapshot().Waiting != 1 {
		t.Fatalf("after a lost answer: %s, %d waiting", s, e.eng.Snapshot().Waiting)
	}
	if r, err := e.eng.ApplyPayment(e.ctx, pe); err != nil || r != dispatch.PaymentDuplicate {
		t.Fatalf("retry: %v %v", r, err)
	}
}

func TestLostWriteAckResyncsQueuedOrder(t *testing.T) {
	e, fs := newFlakyEnv(t)
	c := e.courier(courier.Franchise, geo.Offset(paris, 100, 0))
	o := e.order("shop")
	e.pay(o)
	// The offer.sent event commits but its answer is lost.
	fs.set(nil, once(func(_ dispatch.Order, evs []dispatch.Event) bool { return evs[0].Type == dispatch.EventOfferSent }))
	e.tick()
	offers := e.rec.offersTo(c)
	if len(offers) != 1 {
		t.Fatalf("%d offers", len(offers))
	}
	got, err := e.eng.Accept(e.ctx, c, offers[0].ID)
	if err != nil || len(got) != 1 || got[0].State != dispatch.Assigned {
		t.Fatalf("accept after a lost ack: %v %+v", err, got)
	}
}

func TestDuplicatePaymentFailureRecordedOnce(t *testing.T) {
	e := newEnv(t, dispatch.Config{})
	o := e.order("shop")
	pe := dispatch.PaymentEvent{ID: "evt_f", Kind: dispatch.PaymentFailed, OrderID: o.ID}
	for i, want := range []dispatch.PaymentResult{dispatch.PaymentApplied, dispatch.PaymentDuplicate, dispatch.PaymentDuplicate} {
		if r, err := e.eng.ApplyPayment(e.ctx, pe); err != nil || r != want {
			t.Fatalf("delivery %d: %v %v, want %v", i, r, err, want)
		}
	}
	if seq := e.get(o.ID).Seq; seq != 2 {
		t.Fatalf("seq %d after one failure event, want 2", seq)
	}
}

func TestHandoffCodeLocksAfterRepeatedWrongCodes(t *testing.T) {
	e := newEnv(t, dispatch.Config{})
	c := e.courier(courier.Franchise, geo.Offset(paris, 100, 0))
	o := e.assigned(c)
	if _, err := e.eng.PickedUp(e.ctx, c, o.ID); err != nil {
		t.Fatal(err)
	}
	for i := range dispatch.MaxHandoffAttempts {
		if _, err := e.eng.Delivered(e.ctx, c, o.ID, wrongCode(o.HandoffCode)); !errors.Is(err, dispatch.ErrHandoffCode) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if _, err := e.eng.Delivered(e.ctx, c, o.ID, o.HandoffCode); !errors.Is(err, dispatch.ErrHandoffLocked) {
		t.Fatalf("right code after the lock: %v", err)
	}
	got := e.get(o.ID)
	if got.State != dispatch.PickedUp || got.HandoffFailures != dispatch.MaxHandoffAttempts {
		t.Fatalf("order %s with %d failures", got.State, got.HandoffFailures)
	}
	evs, _ := e.store.Events(e.ctx, o.ID, 0)
	alerts := 0
	for _, ev := range evs {
		if ev.Type == dispatch.EventAlert {
			alerts++
		}
	}
	if alerts != 1 {
		t.Fatalf("%d alerts, want 1", alerts)
	}
}

func TestDisconnectedCourierGoesOfflineWhenItsOrdersEnd(t *testing.T) {
	e := newEnv(t, dispatch.Config{})
	c := e.courier(courier.Franchise, geo.Offset(paris, 100, 0))
	o := e.assigned(c)
	e.eng.Disconnect(c)
	if _, ok := e.eng.Index().Get(c); !ok {
		t.Fatal("busy courier left the index on disconnect")
	}
	if _, err := e.eng.Cancel(e.ctx, "mer_1", o.ID, ""); err != nil {
		t.Fatal(err)
	}
	if x, ok := e.eng.Index().Get(c); ok {
		t.Fatalf("disconnected courier still indexed as %s", x.State)
	}
}

func TestRepeatAcceptReturnsThatOffersOrders(t *testing.T) {
	// A long commit lead offers the chained trip now rather than when the first ends.
	e := newEnv(t, dispatch.Config{CommitLead: time.Hour})
	c := e.courier(courier.Franchise, geo.Offset(paris, 100, 0))
	first := e.assigned(c)
	second := e.order("other")
	e.pay(second)
	e.tick()
	offers := e.rec.offersTo(c)
	if len(offers) != 2 {
		t.Fatalf("%d offers", len(offers))
	}
	if _, err := e.eng.Accept(e.ctx, c, offers[1].ID); err != nil {
		t.Fatal(err)
	}
	again, err := e.eng.Accept(e.ctx, c, offers[0].ID)
	if err != nil || len(again) != 1 || again[0].ID != first.ID {
		t.Fatalf("repeat accept of the first offer: %v %+v, want only %s", err, again, first.ID)
	}
}

func TestBusyCourierDisconnectWithdrawsOffers(t *testing.T) {
	// A long commit lead offers the chained trip now rather than when the first ends.
	e := newEnv(t, dispatch.Config{CommitLead: time.Hour})
	c := e.courier(courier.Franchise, geo.Offset(paris, 100, 0))
	e.assigned(c)
	o := e.order("other")
	e.pay(o)
	e.tick()
	offers := e.rec.offersTo(c)
	if len(offers) != 2 {
		t.Fatalf("%d offers", len(offers))
	}
	e.eng.Disconnect(c)
	if n := e.eng.Snapshot().OpenOffer; n != 0 {
		t.Fatalf("%d offers open after the courier left", n)
	}
	if x, _ := e.eng.Index().Get(c); x.Load != 1 {
		t.Fatalf("load %d after disconnect, want the one carried order", x.Load)
	}
}
