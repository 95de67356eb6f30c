package dispatch_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// registered creates a courier of the station without connecting it.
func (e *env) registered(kind courier.Kind) string {
	e.t.Helper()
	c := courier.Courier{Name: "r", Kind: kind, Vehicle: courier.Bicycle}
	if kind == courier.Franchise {
		c.StationID = e.station.ID
	}
	c, _, err := e.eng.CreateCourier(e.ctx, c)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.ID
}

// online connects, locates and makes available a registered courier at p.
func (e *env) online(id string, p geo.LatLng) {
	e.t.Helper()
	if _, err := e.eng.Connect(e.ctx, id); err != nil {
		e.t.Fatal(err)
	}
	if err := e.eng.Locate(e.ctx, id, courier.Fix{Pos: p, Accuracy: 5, At: e.clock.Now()}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.eng.SetAvailability(e.ctx, id, courier.Available); err != nil {
		e.t.Fatal(err)
	}
}

// An order ready in 15 minutes at a shop: a courier 2 km away is idle now, and a rostered
// courier starts its shift next to the shop. Who gets the order depends on the rota.
func TestRosteredCourierIsPlannedWith(t *testing.T) {
	for _, tc := range []struct {
		name     string
		startsIn time.Duration // from the order's placement
		shows    bool          // the rostered courier connects at its start
		want     string        // "rostered" or "idle"
	}{
		{name: "starts before the goods are ready", startsIn: 10 * time.Minute, shows: true, want: "rostered"},
		{name: "starts beyond the chain horizon", startsIn: 40 * time.Minute, shows: true, want: "idle"},
		{name: "does not show up", startsIn: 5 * time.Minute, shows: false, want: "idle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, dispatch.Config{})
			idle := e.courier(courier.Franchise, geo.Offset(paris, 2000, 0))
			rostered := e.registered(courier.Franchise)
			start := e.clock.Now().Add(tc.startsIn)
			at := geo.Offset(paris, 100, 0)
			if _, err := e.eng.ScheduleShift(e.ctx, rostered, dispatch.Shift{Start: start, End: start.Add(4 * time.Hour), At: at}); err != nil {
				t.Fatal(err)
			}
			ready := e.clock.Now().Add(15 * time.Minute)
			o := e.orderReady("shop", ready)
			e.pay(o)
			e.tick()
			tr, _ := e.eng.Trace(o.ID)
			if tc.want == "rostered" && (len(tr.Rounds) == 0 || tr.Rounds[0].Winner != rostered ||
				!strings.Contains(tr.Rounds[0].Outcome, "shift has not started")) {
				t.Fatalf("first round %+v, want a plan held for the rostered courier", tr.Rounds)
			}
			name := map[string]string{idle: "idle", rostered: "rostered"}
			for len(e.rec.offers) == 0 && e.clock.Now().Before(ready.Add(10*time.Minute)) {
				e.clock.Advance(time.Minute)
				if tc.shows && e.clock.Now().Equal(start) {
					e.online(rostered, at)
				}
				e.tick()
			}
			if len(e.rec.offers) != 1 || name[e.rec.offers[0].CourierID] != tc.want {
				t.Fatalf("offers %+v, want one to the %s courier", e.rec.offers, tc.want)
			}
		})
	}
}

// Once a rostered courier connects, its shift end is known: no pickup after it.
func TestRosteredShiftEndApplies(t *testing.T) {
	e := newEnv(t, dispatch.Config{})
	c := e.registered(courier.Franchise)
	now := e.clock.Now()
	if _, err := e.eng.ScheduleShift(e.ctx, c, dispatch.Shift{Start: now, End: now.Add(5 * time.Minute), At: paris}); err != nil {
		t.Fatal(err)
	}
	e.online(c, paris)
	o := e.orderReady("shop", now.Add(10*time.Minute))
	e.pay(o)
	for range 30 {
		e.clock.Advance(30 * time.Second)
		e.tick()
	}
	if n := len(e.rec.offersTo(c)); n != 0 {
		t.Fatalf("courier got %d offers for a pickup after its rostered shift end", n)
	}
}

func TestScheduleShiftValidates(t *testing.T) {
	e := newEnv(t, dispatch.Config{})
	now := e.clock.Now()
	franchise, crowd := e.registered(courier.Franchise), e.registered(courier.Crowd)
	for _, tc := range []struct {
		name    string
		courier string
		sh      dispatch.Shift
		want    error
	}{
		{"ok", franchise, dispatch.Shift{Start: now, End: now.Add(time.Hour), At: paris}, nil},
		{"clears", franchise, dispatch.Shift{}, nil},
		{"ends before it starts", franchise, dispatch.Shift{Start: now, End: now, At: paris}, dispatch.ErrInvalid},
		{"bad place", franchise, dispatch.Shift{Start: now, End: now.Add(time.Hour), At: geo.LatLng{Lat: 91}}, dispatch.ErrInvalid},
		{"crowd courier", crowd, dispatch.Shift{Start: now, End: now.Add(time.Hour), At: paris}, dispatch.ErrInvalid},
		{"unknown courier", "cou_nobody", dispatch.Shift{Start: now, End: now.Add(time.Hour), At: paris}, dispatch.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.eng.ScheduleShift(e.ctx, tc.courier, tc.sh); !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

// A shift without a start place starts at the centre of the courier's station.
func TestScheduleShiftDefaultsToStation(t *testing.T) {
	e := newEnv(t, dispatch.Config{})
	now := e.clock.Now()
	c := e.registered(courier.Franchise)
	sh, err := e.eng.ScheduleShift(e.ctx, c, dispatch.Shift{Start: now, End: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if d := geo.FastDistance(sh.At, paris); d > 1 {
		t.Fatalf("start place %v is %.0f m from the station's centre %v", sh.At, d, paris)
	}
	if !sh.Start.Equal(now) || !sh.End.Equal(now.Add(time.Hour)) {
		t.Fatalf("shift %+v, want the times given", sh)
	}
}

// The nearest free courier is beyond the index's rings: an order whose goods are ready
// reaches it, one not ready yet does not send it off early.
func TestReadyOrderReachesCourierBeyondRings(t *testing.T) {
	e := newEnv(t, dispatch.Config{MaxPickupTravel: 3 * time.Hour})
	far := e.courier(courier.Franchise, geo.Offset(paris, 7000, 3000))
	ready := e.clock.Now().Add(3 * time.Minute)
	o := e.orderReady("shop", ready)
	e.pay(o)
	e.tick()
	if n := len(e.rec.offersTo(far)); n != 0 {
		t.Fatalf("far courier got %d offers before the goods were ready", n)
	}
	e.clock.Advance(3 * time.Minute)
	e.tick()
	if n := len(e.rec.offersTo(far)); n != 1 {
		t.Fatalf("far courier got %d offers once the goods were ready, want 1", n)
	}
	tr, _ := e.eng.Trace(o.ID)
	last := tr.Rounds[len(tr.Rounds)-1]
	if len(last.Candidates) != 1 || last.Candidates[0].Ring <= geo.MaxRings {
		t.Fatalf("candidates %+v, want the far courier beyond ring %d", last.Candidates, geo.MaxRings)
	}
}

// MaxPickupTravel bounds the ride to the shop; once the goods are ready and nobody is on
// the way, twice that is accepted.
func TestPickupTravelCapDoublesOnceReady(t *testing.T) {
	far := geo.Offset(paris, 3000, 0)
	for _, tc := range []struct {
		name   string
		cap    func(reach time.Duration) time.Duration
		offers int
	}{
		{"within the cap", func(r time.Duration) time.Duration { return r + time.Minute }, 1},
		{"within twice the cap", func(r time.Duration) time.Duration { return r*6/10 + time.Second }, 1},
		{"beyond twice the cap", func(r time.Duration) time.Duration { return r*4/10 - time.Second }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			probe := newEnv(t, dispatch.Config{})
			r := probe.eng.Config().Travel.Travel(far, paris, courier.Bicycle.Speed())
			e := newEnv(t, dispatch.Config{MaxPickupTravel: tc.cap(r)})
			c := e.courier(courier.Franchise, far)
			ready := e.clock.Now().Add(r + 5*time.Minute)
			e.pay(e.orderReady("shop", ready))
			for e.clock.Now().Before(ready) {
				e.tick()
				e.clock.Advance(time.Minute)
			}
			if n := len(e.rec.offersTo(c)); n != 0 && tc.name != "within the cap" {
				t.Fatalf("%d offers before the goods were ready", n)
			}
			e.tick()
			if n := len(e.rec.offersTo(c)); n != tc.offers {
				t.Fatalf("%d offers once the goods were ready, want %d", n, tc.offers)
			}
		})
	}
}
