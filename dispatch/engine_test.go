package dispatch_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

func TestUnpaidOrderIsNeverOfferedAndExpires(t *testing.T) {
	e := newEnv(t, dispatch.Config{})
	c := e.courier(courier.Franchise, geo.Offset(paris, 100, 0))
	o := e.order("shop")
	for range 5 {
		e.clock.Advance(time.Minute)
		e.tick()
	}
	if n := len(e.rec.offersTo(c)); n != 0 {
		t.Fatalf("unpaid order produced %d offers", n)
	}
	if got := e.get(o.ID).State; got != dispatch.PendingPayment {
		t.Fatalf("state %s before timeout", got)
	}
	e.clock.Advance(11 * time.Minute)
	e.tick()
	if got := e.get(o.ID).State; got != dispatch.Expired {
		t.Fatalf("state %s after timeout, want expired", got)
	}
	// A payment after expiry never revives the order; it asks for a refund.
	e.pay(o)
	got := e.get(o.ID)
	if got.State != dispatch.Expired || !got.RefundRequested {
		t.Fatalf("late payment: state %s refund %v", got.State, got.RefundRequested)
	}
}

func TestFranchiseNearestConfirmsAndDelivers(t *testing.T) {
	e := newEnv(t, dispatch.Config{})
	near := e.courier(courier.Franchise, geo.Offset(paris, 200, 0))
	far := e.courier(courier.Franchise, geo.Offset(paris, 1200, 0))
	crowd := e.courier(courier.Crowd, geo.Offset(paris, 50, 0))
	o := e.order("shop")
	e.pay(o)
	e.tick()
	offers := e.rec.offersTo(near)
	if len(offers) != 1 || len(e.rec.offersTo(far)) != 0 || len(e.rec.offersTo(crowd)) != 0 {
		t.Fatalf("offers near=%d far=%d crowd=%d, want 1 0 0", len(offers), len(e.rec.offersTo(far)), len(e.rec.offersTo(crowd)))
	}
	if offers[0].Kind != dispatch.OfferAssign || offers[0].OrderIDs[0] != o.ID {
		t.Fatalf("offer %+v", offers[0])
	}
	if _, err := e.eng.Accept(e.ctx, far, offers[0].ID); !errors.Is(err, dispatch.ErrNotYours) {
		t.Fatalf("foreign accept: %v", err)
	}
	got, err := e.eng.Accept(e.ctx, near, offers[0].ID)
	if err != nil || len(got) != 1 || got[0].State != dispatch.Assigned || got[0].CourierID != near {
		t.Fatalf("accept: %v %+v", err, got)
	}
	// Accepting again is idempotent.
	if again, err := e.eng.Accept(e.ctx, near, offers[0].ID); err != nil || len(again) != 1 {
		t.Fatalf("second accept: %v", err)
	}
	if _, err := e.eng.PickedUp(e.ctx, far, o.ID); !errors.Is(err, dispatch.ErrNotYours) {
		t.Fatalf("foreign pickup: %v", err)
	}
	steps := []func() (dispatch.Order, error){
		func() (dispatch.Order, error) { return e.eng.Arrived(e.ctx, near, o.ID) },
		func() (dispatch.Order, error) { return e.eng.PickedUp(e.ctx, near, o.ID) },
		func() (dispatch.Order, error) { return e.eng.Arrived(e.ctx, near, o.ID) },
	}
	for _, step := range steps {
		if _, err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.eng.Delivered(e.ctx, near, o.ID, wrongCode(o.HandoffCode)); !errors.Is(err, dispatch.ErrHandoffCode) {
		t.Fatalf("wrong code: %v", err)
	}
	if s := e.get(o.ID).State; s != dispatch.AtDropoff {
		t.Fatalf("wrong code changed state to %s", s)
	}
	if _, err := e.eng.Delivered(e.ctx, near, o.ID, o.HandoffCode); err != nil {
		t.Fatal(err)
	}
	evs, err := e.store.Events(e.ctx, o.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var states []dispatch.State
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
		if ev.Type == dispatch.StateEvent(ev.State) {
			states = append(states, ev.State)
		}
	}
	want := []dispatch.State{dispatch.PendingPayment, dispatch.Paid, dispatch.Dispatching, dispatch.Assigned,
		dispatch.AtPickup, dispatch.PickedUp, dispatch.AtDropoff, dispatch.Delivered}
	if len(states) != len(want) {
		t.Fatalf("states %v, want %v", states, want)
	}
	for i := range want {
		if states[i] != want[i] {
			t.Fatalf("states %v, want %v", states, want)
		}
	}
	if x, _ := e.eng.Index().Get(near); x.State != courier.Available || x.Load != 0 {
		t.Fatalf("courier after delivery: %s load %d", x.State, x.Load)
	}
	tr, err := e.eng.Trace(o.ID)
	if err != nil || tr.Winner != near || len(tr.Rounds) == 0 || len(tr.Rounds[0].Candidates) != 2 {
		t.Fatalf("trace %+v %v", tr, err)
	}
}

func wrongCode(c string) string {
	if c == "0000" {
		return "0001"
	}
	return "0000"
}

func TestDeclineAndTimeoutMoveToNextCourier(t *testing.T) {
	e := newEnv(t, dispatch.Config{})
	a := e.courier(courier.Franchise, geo.Offset(paris, 100, 0))
	b := e.courier(courier.Franchise, geo.Offset(paris, 600, 0))
	o := e.order("shop")
	e.pay(o)
	e.tick()
	first := e.rec.offersTo(a)
	if len(first) != 1 {
		t.Fatalf("a got %d offers", len(first))
	}
	if err := e.eng.Decline(e.ctx, a, first[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := e.eng.Decline(e.ctx, a, first[0].ID); err != nil {
		t.Fatalf("second decline must be a no-op: %v", err)
	}
	e.tick()
	if len(e.rec.offersTo(a)) != 1 {
		t.Fatal("decliner was offered the order again")
	}
	second := e.rec.offersTo(b)
	if len(second) != 1 {
		t.Fatalf("b got %d offers", len(second))
	}
	// b lets it lapse: the offer expires, the order stays dispatching, and nobody left in
	// the station can take it.
	e.clock.Advance(31 * time.Second)
	e.tick()
	if _, err := e.eng.Accept(e.ctx, b, second[0].ID); !errors.Is(err, dispatch.ErrOfferGone) {
		t.Fatalf("accept after expiry: %v", err)
	}
	if s := e.get(o.ID).State; s != dispatch.Dispatching {
		t.Fatalf("state %s", s)
	}
}

func TestCrowdBroadcastWidensAndFirstAcceptWins(t *testing.T) {
	e := newEnv(t, dispatch.Config{FranchiseWindow: time.Minute, CrowdStep: 30 * time.Second})
	near := e.courier(courier.Crowd, geo.Offset(paris, 300, 0))
	far := e.courier(courier.Crowd, geo.Offset(paris, 2500, 0)) // about 7-8 rings away
	o := e.order("shop")
	e.pay(o)
	e.tick()
	if len(e.rec.offersTo(near)) != 0 {
		t.Fatal("crowd offered during the franchise window")
	}
	e.clock.Advance(61 * time.Second)
	e.tick()
	if got := e.get(o.ID).Escalation; got.Phase != dispatch.PhaseCrowd || got.Ring != 3 {
		t.Fatalf("escalation %+v", got)
	}
	if len(e.rec.offersTo(near)) != 1 || len(e.rec.offersTo(far)) != 0 {
		t.Fatalf("first ring offers near=%d far=%d", len(e.rec.offersTo(near)), len(e.rec.offersTo(far)))
	}
	for range 4 {
		e.clock.Advance(31 * time.Second)
		e.tick()
	}
	esc := e.get(o.ID).Escalation
	if esc.Ring < 9 || esc.BonusCents == 0 {
		t.Fatalf("escalation did not widen: %+v", esc)
	}
	fo := e.rec.offersTo(far)
	if len(fo) == 0 {
		t.Fatal("far courier never reached")
	}
	if fo[len(fo)-1].PayCents <= e.rec.offersTo(near)[0].PayCents {
		t.Fatal("bonus not reflected in pay")
	}
	if _, err := e.eng.Accept(e.ctx, far, fo[len(fo)-1].ID); err != nil {
		t.Fatal(err)
	}
	no := e.rec.offersTo(near)
	if _, err := e.eng.Accept(e.ctx, near, no[len(no)-1].ID); !errors.Is(err, dispatch.ErrOfferGone) {
		t.Fatalf("second accept: %v", err)
	}
	if got := e.get(o.ID); got.CourierID != far || got.State != dispatch.Assigned {
		t.Fatalf("order %s with %s", got.State, got.CourierID)
	}
}

func TestBundleWhenCouriersAreShort(t *testing.T) {
	e := newEnv(t, dispatch.Config{})
	c := e.courier(courier.Franchise, geo.Offset(paris, 150, 0))
	o1, o2 := e.order("pizza"), e.order("pizza")
	for _, o := range []dispatch.Order{o1, o2} {
		e.pay(o)
	}
	e.tick()
	offers := e.rec.offersTo(c)
	if len(offers) != 1 {
		t.Fatalf("%d offers", len(offers))
	}
	ids := offers[0].OrderIDs
	if len(ids) != 2 || !slices.Contains(ids, o1.ID) || !slices.Contains(ids, o2.ID) {
		t.Fatalf("bundle %v, want the two pizza orders", ids)
	}
}

// An order whose goods have waited half an hour, longer than BundleWindow, still leaves
// with an order from its shop ready now: the window counts from when goods can be
// collected, and waiting goods can be collected now.
func TestWaitingOrderJoinsATripFromItsShop(t *testing.T) {
	e := newEnv(t, dispatch.Config{})
	old := e.order("pizza")
	e.pay(old)
	e.tick() // no courier yet
	e.clock.Advance(30 * time.Minute)
	fresh := e.order("pizza")
	e.pay(fresh)
	c := e.courier(courier.Franchise, geo.Offset(paris, 150, 0))
	e.tick()
	offers := e.rec.offersTo(c)
	if len(offers) != 1 {
		t.Fatalf("%d offers", len(offers))
	}
	if ids := offers[0].OrderIDs; len(ids) != 2 || !slices.Contains(ids, old.ID) || !slices.Contains(ids, fresh.ID) {
		t.Fatalf("offer %v, want both pizza orders", ids)
	}
}

func TestNoBundleWhenEachOrderHasACourier(t *testing.T) {
	e := newEnv(t, dispatch.Config{})
	a := e.courier(courier.Franchise, geo.Offset(paris, 150, 0))
	b := e.courier(courier.Franchise, geo.Offset(paris, -150, 0))
	o1, o2 := e.order("pizza"), e.order("pizza")
	for _, o := range []dispatch.Order{o1, o2} {
		e.pay(o)
	}
	e.tick()
	for _, c := range []string{a, b} {
		offers := e.rec.offersTo(c)
		if len(offers) != 1 || len(offers[0].OrderIDs) != 1 {
			t.Fatalf("courier %s offers %+v, want one single-order offer each", c, offers)
		}
	}
}

func TestNoBundleAcrossShops(t *testing.T) {
	e := newEnv(t, dispatch.Config{})
	c := e.courier(courier.Franchise, geo.Offset(paris, 150, 0))
	pizza, sushi := e.order("pizza"), e.order("sushi")
	e.pay(pizza)
	e.pay(sushi)
	e.tick()
	offers := e.rec.offersTo(c)
	if len(offers) != 1 || len(offers[0].OrderIDs) != 1 {
		t.Fatalf("offers %+v, want one order of one shop", offers)
	}
}

func TestCancelReleasesCourierAndRequestsRefund(t *testing.T) {
	e := newEnv(t, dispatch.Config{})
	c := e.courier(courier.Franchise, geo.Offset(paris, 150, 0))
	o := e.assigned(c)
	if x, _ := e.eng.Index().Get(c); x.State != courier.Busy || x.Load != 1 {
		t.Fatalf("courier %s load %d", x.State, x.Load)
	}
	if _, err := e.eng.Cancel(e.ctx, "mer_other", o.ID, ""); !errors.Is(err, dispatch.ErrNotFound) {
		t.Fatalf("foreign cancel: %v", err)
	}
	got, err := e.eng.Cancel(e.ctx, "mer_1", o.ID, "customer changed mind")
	if err != nil || got.State != dispatch.Canceled || !got.RefundRequested {
		t.Fatalf("cancel: %v %+v", err, got)
	}
	if x, _ := e.eng.Index().Get(c); x.State != courier.Available || x.Load != 0 {
		t.Fatalf("courier after cancel %s load %d", x.State, x.Load)
	}
	if _, err := e.eng.PickedUp(e.ctx, c, o.ID); err == nil {
		t.Fatal("pickup of a canceled order succeeded")
	}
}

func TestPaymentEventsDedupedAndNeverRegress(t *testing.T) {
	e := newEnv(t, dispatch.Config{})
	o := e.order("shop")
	ev := dispatch.PaymentEvent{ID: "evt_a", Kind: dispatch.PaymentSucceeded, OrderID: o.ID}
	if r, err := e.eng.ApplyPayment(e.ctx, ev); err != nil || r != dispatch.PaymentApplied {
		t.Fatal(r, err)
	}
	seq := e.get(o.ID).Seq
	if r, err := e.eng.ApplyPayment(e.ctx, ev); err != nil || r != dispatch.PaymentDuplicate {
		t.Fatal(r, err)
	}
	// A stale failure arriving after success changes nothing.
	if r, _ := e.eng.ApplyPayment(e.ctx, dispatch.PaymentEvent{ID: "evt_b", Kind: dispatch.PaymentFailed, OrderID: o.ID}); r != dispatch.PaymentIgnored {
		t.Fatalf("late failure: %s", r)
	}
	if got := e.get(o.ID); got.Seq != seq || got.State != dispatch.Dispatching {
		t.Fatalf("order changed: seq %d→%d state %s", seq, got.Seq, got.State)
	}
	// A refund before pickup cancels; a second refund event is ignored.
	if r, err := e.eng.ApplyPayment(e.ctx, dispatch.PaymentEvent{ID: "evt_c", Kind: dispatch.PaymentRefunded, OrderID: o.ID}); err != nil || r != dispatch.PaymentApplied {
		t.Fatal(r, err)
	}
	if got := e.get(o.ID); got.State != dispatch.Canceled || !got.Refunded {
		t.Fatalf("after refund %+v", got)
	}
	if r, _ := e.eng.ApplyPayment(e.ctx, dispatch.PaymentEvent{ID: "evt_d", Kind: dispatch.PaymentRefunded, OrderID: o.ID}); r != dispatch.PaymentIgnored {
		t.Fatalf("second refund: %s", r)
	}
}

func TestRestartRecoversQueueAndAssignments(t *testing.T) {
	e := newEnv(t, dispatch.Config{})
	c := e.courier(courier.Franchise, geo.Offset(paris, 150, 0))
	assigned, queued, unpaid := e.order("a"), e.order("b"), e.order("c")
	e.pay(assigned)
	e.tick()
	if _, err := e.eng.Accept(e.ctx, c, e.rec.offersTo(c)[0].ID); err != nil {
		t.Fatal(err)
	}
	e.pay(queued)
	// A new engine on the same store, as after a crash.
	rec := &recorder{withdrawn: map[string]string{}}
	eng := dispatch.New(dispatch.Config{}, e.store, e.clock, rec, nil)
	if err := eng.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	snap := eng.Snapshot()
	if snap.Waiting != 1 || snap.Unpaid != 1 {
		t.Fatalf("recovered waiting=%d unpaid=%d", snap.Waiting, snap.Unpaid)
	}
	view, err := eng.Connect(e.ctx, c)
	if err != nil || len(view.Orders) != 1 || view.Orders[0].ID != assigned.ID || view.State != courier.Busy {
		t.Fatalf("courier view %+v %v", view, err)
	}
	e.clock.Advance(16 * time.Minute)
	eng.Tick(e.ctx)
	if s := e.get(unpaid.ID).State; s != dispatch.Expired {
		t.Fatalf("recovered unpaid order %s", s)
	}
}

func TestStateMachineOnlyMovesForward(t *testing.T) {
	rank := map[dispatch.State]int{dispatch.PendingPayment: 0, dispatch.Paid: 1, dispatch.Dispatching: 2,
		dispatch.Assigned: 3, dispatch.AtPickup: 4, dispatch.PickedUp: 5, dispatch.AtDropoff: 6, dispatch.Delivered: 7,
		dispatch.Canceled: 8, dispatch.Expired: 8, dispatch.Failed: 8}
	allowed := 0
	for from := range rank {
		for to := range rank {
			if from.CanMove(to) {
				allowed++
				if rank[to] <= rank[from] {
					t.Errorf("%s → %s goes backwards", from, to)
				}
			}
		}
		if from.Terminal() && from.Cancelable() {
			t.Errorf("terminal %s cancelable", from)
		}
	}
	if allowed != 18 {
		t.Errorf("%d transitions allowed, want 18", allowed)
	}
}
