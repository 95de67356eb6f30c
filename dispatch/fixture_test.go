package dispatch_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/memory"
)

var paris = geo.LatLng{Lat: 48.8566, Lng: 2.3522}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// recorder is a Notifier that keeps what it was told.
type recorder struct {
	mu        sync.Mutex
	offers    []dispatch.Offer
	withdrawn map[string]string
	events    []dispatch.Event
	moves     int
}

func (r *recorder) OrderEvent(o dispatch.Order, e dispatch.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}
func (r *recorder) Offer(o dispatch.Offer) {
	r.mu.Lock()
	r.offers = append(r.offers, o)
	r.mu.Unlock()
}
func (r *recorder) OfferWithdrawn(c, id, reason string) {
	r.mu.Lock()
	r.withdrawn[id] = reason
	r.mu.Unlock()
}
func (r *recorder) CourierMoved(string, geo.LatLng, []string) { r.mu.Lock(); r.moves++; r.mu.Unlock() }

// offersTo returns the offers a courier received, in order.
func (r *recorder) offersTo(courierID string) []dispatch.Offer {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []dispatch.Offer
	for _, o := range r.offers {
		if o.CourierID == courierID {
			out = append(out, o)
		}
	}
	return out
}

type env struct {
	t       *testing.T
	ctx     context.Context
	clock   *fakeClock
	rec     *recorder
	store   *memory.Store
	eng     *dispatch.Engine
	station dispatch.Station
	shop    geo.LatLng
}

// box returns a square polygon of the given half-size in metres around c.
func box(c geo.LatLng, half float64) geo.Polygon {
	return geo.Polygon{geo.Offset(c, -half, -half), geo.Offset(c, -half, half), geo.Offset(c, half, half), geo.Offset(c, half, -half)}
}

func newEnv(t *testing.T, cfg dispatch.Config) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), clock: &fakeClock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)},
		rec: &recorder{withdrawn: map[string]string{}}, store: memory.New(), shop: paris}
	e.eng = dispatch.New(cfg, e.store, e.clock, e.rec, nil)
	if err := e.eng.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.CreateArea(e.ctx, dispatch.ServiceArea{Name: "Paris", Polygon: box(paris, 8000)}); err != nil {
		t.Fatal(err)
	}
	st, err := e.eng.CreateStation(e.ctx, dispatch.Station{Name: "Centre", Zone: box(paris, 1500)})
	if err != nil {
		t.Fatal(err)
	}
	e.station = st
	return e
}

// courier registers, connects, locates and makes available a courier at p.
func (e *env) courier(kind courier.Kind, p geo.LatLng) string {
	e.t.Helper()
	c := courier.Courier{Name: "c", Kind: kind, Vehicle: courier.Bicycle}
	if kind == courier.Franchise {
		c.StationID = e.station.ID
	}
	c, _, err := e.eng.CreateCourier(e.ctx, c)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.eng.Connect(e.ctx, c.ID); err != nil {
		e.t.Fatal(err)
	}
	if err := e.eng.Locate(e.ctx, c.ID, courier.Fix{Pos: p, Accuracy: 5, At: e.clock.Now()}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.eng.SetAvailability(e.ctx, c.ID, courier.Available); err != nil {
		e.t.Fatal(err)
	}
	return c.ID
}

// order creates an order from the shop to a drop-off north-east of it, ready now (so the
// round that matches it commits at once).
func (e *env) order(shop string) dispatch.Order {
	e.t.Helper()
	return e.orderReady(shop, e.clock.Now())
}

// orderReady is order with the goods ready at the given time.
func (e *env) orderReady(shop string, ready time.Time) dispatch.Order {
	e.t.Helper()
	o, err := e.eng.CreateOrder(e.ctx, "mer_1", dispatch.OrderRequest{ShopID: shop, ReadyAt: ready,
		Pickup: dispatch.Stop{Pos: e.shop}, Dropoff: dispatch.Stop{Pos: geo.Offset(e.shop, 800, 600)}, ValueCents: 1500})
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *env) pay(o dispatch.Order) {
	e.t.Helper()
	res, err := e.eng.ApplyPayment(e.ctx, dispatch.PaymentEvent{ID: "evt_" + o.ID, Kind: dispatch.PaymentSucceeded, OrderID: o.ID, Intent: "pi_1"})
	if err != nil || res != dispatch.PaymentApplied {
		e.t.Fatalf("pay: %v %v", res, err)
	}
}

func (e *env) get(id string) dispatch.Order {
	e.t.Helper()
	o, err := e.store.Order(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *env) tick() { e.eng.Tick(e.ctx) }

// assigned creates and pays an order and has courier c, the only candidate, accept it.
func (e *env) assigned(c string) dispatch.Order {
	e.t.Helper()
	o := e.order("shop")
	e.pay(o)
	e.tick()
	offers := e.rec.offersTo(c)
	if len(offers) == 0 {
		e.t.Fatalf("courier %s got no offer", c)
	}
	if _, err := e.eng.Accept(e.ctx, c, offers[len(offers)-1].ID); err != nil {
		e.t.Fatal(err)
	}
	return o
}
