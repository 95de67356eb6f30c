package postgres_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/postgres"
)

var paris = geo.LatLng{Lat: 48.8566, Lng: 2.3522}

// clock is a settable engine clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func box(c geo.LatLng, half float64) geo.Polygon {
	return geo.Polygon{geo.Offset(c, -half, -half), geo.Offset(c, -half, half), geo.Offset(c, half, half), geo.Offset(c, half, -half)}
}

// startEngine starts an engine on s at clk's time.
func startEngine(t *testing.T, s dispatch.Store, clk *clock) *dispatch.Engine {
	t.Helper()
	eng := dispatch.New(dispatch.Config{}, s, clk, nil, nil)
	if err := eng.Start(context.Background()); err != nil {
		t.Fatalf("start: %v", err)
	}
	return eng
}

// queued returns the ids of the orders in the engine's dispatch queue, ascending.
func queued(t *testing.T, eng *dispatch.Engine) []string {
	t.Helper()
	v, err := eng.Ops(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range v.Orders {
		if !o.WaitingSince.IsZero() {
			ids = append(ids, o.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// A successful payment writes the order dispatching together with the payment id in one
// transaction: when the last statement of that transaction fails, nothing of it stays;
// when it succeeds, both are there. A fresh engine on the same database then puts every
// dispatching order back in its queue.
func TestPaidOrderDurable(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	clk := &clock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	eng := startEngine(t, s, clk)
	if _, err := eng.CreateArea(ctx, dispatch.ServiceArea{Name: "Paris", Polygon: box(paris, 8000)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.CreateStation(ctx, dispatch.Station{Name: "Centre", Zone: box(paris, 1500)}); err != nil {
		t.Fatal(err)
	}
	var orders []dispatch.Order
	for range 4 {
		o, err := eng.CreateOrder(ctx, "mer_1", dispatch.OrderRequest{ShopID: "shop", ReadyAt: clk.Now(),
			Pickup: dispatch.Stop{Pos: paris}, Dropoff: dispatch.Stop{Pos: geo.Offset(paris, 800, 600)}, ValueCents: 1500})
		if err != nil {
			t.Fatal(err)
		}
		orders = append(orders, o)
	}
	pay := func(o dispatch.Order) (dispatch.PaymentResult, error) {
		return eng.ApplyPayment(ctx, dispatch.PaymentEvent{ID: "evt_" + o.ID, Kind: dispatch.PaymentSucceeded, OrderID: o.ID, Intent: "pi_" + o.ID})
	}

	// The transaction's last statement (the dispatching event) fails.
	exec(t, s, `CREATE FUNCTION fail_dispatching() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'injected failure'; END $$`)
	exec(t, s, `CREATE TRIGGER fail_dispatching BEFORE INSERT ON order_events FOR EACH ROW
		WHEN (NEW.type = 'order.dispatching') EXECUTE FUNCTION fail_dispatching()`)
	first := orders[0]
	if _, err := pay(first); err == nil {
		t.Fatal("payment succeeded although its last statement failed")
	}
	var state string
	var version, events, payments int64
	row := func(id string) {
		t.Helper()
		err := s.Pool().QueryRow(ctx, `SELECT o.state, o.version,
				(SELECT count(*) FROM order_events e WHERE e.order_id = o.id),
				(SELECT count(*) FROM payment_events p WHERE p.id = 'evt_' || o.id)
			FROM orders o WHERE o.id = $1`, id).Scan(&state, &version, &events, &payments)
		if err != nil {
			t.Fatal(err)
		}
	}
	row(first.ID)
	if state != "pending_payment" || version != first.Version || events != 1 || payments != 0 {
		t.Fatalf("after the failed payment: %s v%d, %d events, %d payment rows; want pending_payment v%d, 1, 0",
			state, version, events, payments, first.Version)
	}
	if q := queued(t, eng); len(q) != 0 {
		t.Fatalf("queued after a failed payment: %v", q)
	}

	exec(t, s, "DROP TRIGGER fail_dispatching ON order_events")
	for _, o := range orders[:3] { // the provider retries the first; two more are paid
		if r, err := pay(o); err != nil || r != dispatch.PaymentApplied {
			t.Fatalf("pay %s: %v %v", o.ID, r, err)
		}
		row(o.ID)
		if state != "dispatching" || version != o.Version+1 || events != 3 || payments != 1 {
			t.Fatalf("after payment: %s v%d, %d events, %d payment rows; want dispatching v%d, 3, 1",
				state, version, events, payments, o.Version+1)
		}
	}
	want := []string{orders[0].ID, orders[1].ID, orders[2].ID}
	slices.Sort(want)
	if q := queued(t, eng); !slices.Equal(q, want) {
		t.Fatalf("queue %v, want %v", q, want)
	}

	// A new server on the same database: every dispatching order is back in the queue,
	// the unpaid one is not.
	again := startEngine(t, openIn(t, currentSchema(t, s)), clk)
	if q := queued(t, again); !slices.Equal(q, want) {
		t.Fatalf("queue after restart %v, want %v", q, want)
	}
	if snap := again.Snapshot(); snap.Unpaid != 1 {
		t.Fatalf("%d unpaid orders after restart, want 1", snap.Unpaid)
	}
}

// currentSchema returns the schema s works in.
func currentSchema(t *testing.T, s *postgres.Store) string {
	t.Helper()
	var schema string
	if err := s.Pool().QueryRow(context.Background(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	return schema
}
