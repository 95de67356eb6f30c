package dispatch_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

func TestETAWindow(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 20, 0, time.UTC)
	at := func(m, s int) time.Time {
		return now.Truncate(time.Minute).Add(time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
	}
	for _, c := range []struct {
		name     string
		eta      time.Time
		from, to time.Time
	}{
		// 20 min to go: a fifth is 4 min, so 2 min either side.
		{"twenty minutes", now.Add(20 * time.Minute), at(18, 0), at(23, 0)},
		// 5 min to go: the 2-minute floor, widened to whole minutes.
		{"five minutes", now.Add(5 * time.Minute), at(4, 0), at(7, 0)},
		// 90 min to go: the 10-minute cap.
		{"ninety minutes", now.Add(90 * time.Minute), at(85, 0), at(96, 0)},
		// Already due: never before the current minute, two minutes wide.
		{"overdue", now.Add(-3 * time.Minute), at(0, 0), at(2, 0)},
	} {
		t.Run(c.name, func(t *testing.T) {
			from, to := dispatch.ETAWindow(now, c.eta)
			if !from.Equal(c.from) || !to.Equal(c.to) {
				t.Fatalf("ETAWindow(%v) = %v…%v, want %v…%v", c.eta.Sub(now), from.Format("15:04:05"), to.Format("15:04:05"),
					c.from.Format("15:04:05"), c.to.Format("15:04:05"))
			}
			if to.Sub(from) < dispatch.ETAWindowMin || from.Second() != 0 || to.Second() != 0 {
				t.Fatalf("window %v…%v is not whole minutes at least %v wide", from, to, dispatch.ETAWindowMin)
			}
			if c.eta.After(now) && (c.eta.Before(from) || c.eta.After(to)) {
				t.Fatalf("window %v…%v does not contain the estimate %v", from, to, c.eta)
			}
		})
	}
}

func TestTallyCountsTheDay(t *testing.T) {
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	tally := dispatch.NewTally(nil)
	assign := func(o dispatch.Order, paid, assigned time.Duration) {
		o.PaidAt, o.AssignedAt = day.Add(paid), day.Add(assigned)
		tally.Observe(o, dispatch.Event{Type: dispatch.StateEvent(dispatch.Assigned), State: dispatch.Assigned, At: o.AssignedAt})
	}
	deliver := func(promised, delivered time.Duration) {
		o := dispatch.Order{PromisedAt: day.Add(promised), DeliveredAt: day.Add(delivered)}
		tally.Observe(o, dispatch.Event{Type: dispatch.StateEvent(dispatch.Delivered), State: dispatch.Delivered, At: o.DeliveredAt})
	}
	if k := tally.Today(day.Add(time.Hour)); k.Delivered != 0 || k.OnTimePct != nil || k.MedianPaidToAssigned != 0 {
		t.Fatalf("empty tally: %+v", k)
	}
	assign(dispatch.Order{}, 10*time.Hour, 10*time.Hour+30*time.Second)
	assign(dispatch.Order{}, 10*time.Hour, 10*time.Hour+90*time.Second)
	assign(dispatch.Order{}, 10*time.Hour, 10*time.Hour+20*time.Second)
	deliver(11*time.Hour, 11*time.Hour-time.Minute) // early
	deliver(11*time.Hour, 11*time.Hour)             // exactly on time
	deliver(11*time.Hour, 11*time.Hour+time.Second) // late
	deliver(11*time.Hour, 11*time.Hour-time.Second)
	// Not a state change into delivered: ignored.
	tally.Observe(dispatch.Order{}, dispatch.Event{Type: dispatch.EventOfferSent, State: dispatch.Delivered, At: day.Add(12 * time.Hour)})

	k := tally.Today(day.Add(13 * time.Hour))
	if k.Day != "2026-11-23" || k.Delivered != 4 || k.OnTime != 3 || k.OnTimePct == nil || *k.OnTimePct != 75 {
		t.Fatalf("today: %+v", k)
	}
	if k.Assigned != 3 || k.MedianPaidToAssigned != 30*time.Second {
		t.Fatalf("assignments: %d, median %v; want 3, 30s", k.Assigned, k.MedianPaidToAssigned)
	}
	// Yesterday's late event changes nothing; the next day starts from zero.
	deliver(-time.Hour, -time.Hour+time.Minute)
	if k := tally.Today(day.Add(13 * time.Hour)); k.Delivered != 4 {
		t.Fatalf("an event of the day before was counted: %+v", k)
	}
	if k := tally.Today(day.Add(25 * time.Hour)); k.Day != "2026-11-24" || k.Delivered != 0 || k.Assigned != 0 || k.OnTimePct != nil {
		t.Fatalf("next day: %+v", k)
	}
}

func TestTallyDayFollowsItsZone(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	tally := dispatch.NewTally(tokyo)
	// 20:00 UTC on the 23rd is 05:00 on the 24th in Tokyo.
	at := time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	tally.Observe(dispatch.Order{DeliveredAt: at, PromisedAt: at}, dispatch.Event{Type: dispatch.StateEvent(dispatch.Delivered), State: dispatch.Delivered, At: at})
	if k := tally.Today(at); k.Day != "2026-11-24" || k.Delivered != 1 {
		t.Fatalf("%+v", k)
	}
}

func TestOpsView(t *testing.T) {
	e := newEnv(t, dispatch.Config{})
	busy := e.courier(courier.Franchise, e.shop)
	idle := e.courier(courier.Crowd, geo.Offset(e.shop, 2000, 0))
	gone := e.courier(courier.Crowd, geo.Offset(e.shop, -2000, 0))
	e.eng.Disconnect(gone)
	active := e.assigned(busy)
	waiting := e.order("other-shop")
	e.pay(waiting)

	v, err := e.eng.Ops(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v.Unassigned != 1 || v.InProgress != 1 || len(v.Orders) != 2 || len(v.Couriers) != 3 {
		t.Fatalf("unassigned %d, in progress %d, %d orders, %d couriers", v.Unassigned, v.InProgress, len(v.Orders), len(v.Couriers))
	}
	byID := map[string]dispatch.FleetCourier{}
	for _, c := range v.Couriers {
		byID[c.ID] = c
	}
	if c := byID[busy]; c.State != courier.Busy || !c.Connected || len(c.Orders) != 1 || c.Orders[0] != active.ID || c.Pos == nil || c.Late {
		t.Errorf("busy courier: %+v", c)
	}
	if c := byID[idle]; c.State != courier.Available || len(c.Orders) != 0 || c.Kind != courier.Crowd {
		t.Errorf("idle courier: %+v", c)
	}
	if c := byID[gone]; c.Connected || c.State != courier.Offline || c.Pos == nil || c.Seen.IsZero() {
		t.Errorf("offline courier keeps no last position: %+v", c)
	}
	for _, o := range v.Orders {
		switch o.ID {
		case active.ID:
			if o.State != dispatch.Assigned || o.CourierID != busy || o.ETA.IsZero() || o.Late {
				t.Errorf("active order: %+v", o)
			}
		case waiting.ID:
			if o.State != dispatch.Dispatching || o.CourierID != "" || o.WaitingSince.IsZero() || o.Phase == "" || o.Late {
				t.Errorf("waiting order: %+v", o)
			}
		default:
			t.Errorf("unexpected order %s", o.ID)
		}
	}

	// Past every promise both orders are late, and so is the courier carrying one.
	e.clock.Advance(3 * time.Hour)
	v, err = e.eng.Ops(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range v.Orders {
		if !o.Late {
			t.Errorf("order %s (%s) not late three hours on", o.ID, o.State)
		}
	}
	for _, c := range v.Couriers {
		if c.Late != (c.ID == busy) {
			t.Errorf("courier %s late=%v", c.ID, c.Late)
		}
	}
}

func TestCourierJobs(t *testing.T) {
	e := newEnv(t, dispatch.Config{})
	c := e.courier(courier.Franchise, e.shop)
	o := e.order("shop")
	e.pay(o)
	e.tick()
	// Offered, not yet accepted: an open offer and no order.
	j, err := e.eng.CourierJobs(e.ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if j.Courier.ID != c || len(j.Orders) != 0 || len(j.Offers) != 1 || j.Offers[0].OrderIDs[0] != o.ID {
		t.Fatalf("offered: %+v", j)
	}
	if _, err := e.eng.Accept(e.ctx, c, j.Offers[0].ID); err != nil {
		t.Fatal(err)
	}
	j, err = e.eng.CourierJobs(e.ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Orders) != 1 || j.Orders[0].ID != o.ID || j.Orders[0].State != dispatch.Assigned || len(j.Offers) != 0 || j.Courier.Load != 1 {
		t.Fatalf("accepted: %+v", j)
	}
	if _, err := e.eng.CourierJobs(e.ctx, "cou_unknown"); !errors.Is(err, dispatch.ErrNotFound) {
		t.Fatalf("unknown courier: %v", err)
	}
}
