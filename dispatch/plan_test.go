package dispatch_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// A match whose courier need not leave yet is held, and offered once it must.
func TestMatchHeldUntilCourierMustLeave(t *testing.T) {
	e := newEnv(t, dispatch.Config{})
	c := e.courier(courier.Franchise, geo.Offset(paris, 150, 0))
	start := e.clock.Now()
	ready := start.Add(20 * time.Minute)
	o := e.orderReady("shop", ready)
	e.pay(o)
	e.tick()
	if n := len(e.rec.offersTo(c)); n != 0 {
		t.Fatalf("%d offers 20 minutes before the goods are ready", n)
	}
	tr, err := e.eng.Trace(o.ID)
	if err != nil || len(tr.Rounds) == 0 || !strings.Contains(tr.Rounds[0].Outcome, "held") || tr.Rounds[0].Winner != c {
		t.Fatalf("trace %+v %v, want a held plan for %s", tr, err, c)
	}
	var offeredAt time.Time
	for e.clock.Now().Before(ready) {
		e.clock.Advance(30 * time.Second)
		e.tick()
		if len(e.rec.offersTo(c)) > 0 {
			offeredAt = e.clock.Now()
			break
		}
	}
	if offeredAt.IsZero() {
		t.Fatal("no offer by the ready time")
	}
	// 150 m by bicycle, half the service time and the commit lead come to under 4 minutes.
	if lead := ready.Sub(offeredAt); lead <= 0 || lead > 4*time.Minute {
		t.Fatalf("offered %s before the ready time, want within 4 minutes", lead)
	}
}

// A courier finishing a trip next to the shop is planned ahead of a far idle courier,
// and its next trip starts where the current one ends.
func TestChainedTripBeatsFarIdleCourier(t *testing.T) {
	e := newEnv(t, dispatch.Config{CommitLead: time.Hour})
	busy := e.courier(courier.Franchise, geo.Offset(paris, 100, 0))
	first := e.assigned(busy)
	far := e.courier(courier.Franchise, geo.Offset(first.Dropoff.Pos, 1400, -1400))
	e.shop = geo.Offset(first.Dropoff.Pos, 50, 0)
	next := e.orderReady("bakery", e.clock.Now().Add(8*time.Minute))
	e.pay(next)
	e.tick()
	offers := e.rec.offersTo(busy)
	if len(offers) != 2 || offers[1].OrderIDs[0] != next.ID {
		t.Fatalf("busy courier offers %+v, want the bakery order chained", offers)
	}
	if n := len(e.rec.offersTo(far)); n != 0 {
		t.Fatalf("far courier got %d offers", n)
	}
}

// No pickup is planned after a courier's shift ends.
func TestNoPickupAfterShiftEnd(t *testing.T) {
	e := newEnv(t, dispatch.Config{})
	leaving := e.courier(courier.Franchise, geo.Offset(paris, 50, 0))
	if err := e.eng.SetShiftEnd(leaving, e.clock.Now().Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	staying := e.courier(courier.Franchise, geo.Offset(paris, 600, 0))
	o := e.orderReady("shop", e.clock.Now().Add(10*time.Minute))
	e.pay(o)
	for range 24 {
		e.clock.Advance(30 * time.Second)
		e.tick()
	}
	if n := len(e.rec.offersTo(leaving)); n != 0 {
		t.Fatalf("courier whose shift ends got %d offers", n)
	}
	if n := len(e.rec.offersTo(staying)); n != 1 {
		t.Fatalf("courier on shift got %d offers, want 1", n)
	}
}
