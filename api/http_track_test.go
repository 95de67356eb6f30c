package api

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// trackResp is GET /v1/track/{token} as the tests read it.
type trackResp struct {
	OrderID         string          `json:"order_id"`
	State           dispatch.State  `json:"state"`
	ETA             *time.Time      `json:"eta"`
	PromisedAt      time.Time       `json:"promised_at"`
	CourierPosition *geo.LatLng     `json:"courier_position"`
	HandoffCode     string          `json:"handoff_code"`
	Events          []trackStepResp `json:"events"`
}

type trackStepResp struct {
	State dispatch.State `json:"state"`
}

func (e *testEnv) track(t *testing.T, token string) (trackResp, []byte) {
	t.Helper()
	r := e.do(t, "GET", "/v1/track/"+token, "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("track: %d %s", r.Status, r.Body)
	}
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("cache-control %q", r.Header.Get("Cache-Control"))
	}
	var v trackResp
	r.decode(t, &v)
	return v, r.Body
}

func states(v trackResp) string {
	var s []string
	for _, e := range v.Events {
		s = append(s, string(e.State))
	}
	return strings.Join(s, ",")
}

func TestTrackSnapshotLifecycle(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	ctx := t.Context()
	o := env.createOrder(t, key, "track")
	full := env.orderState(t, key, o.ID)

	v, raw := env.track(t, o.TrackToken)
	if v.OrderID != o.ID || v.State != dispatch.PendingPayment || v.CourierPosition != nil || v.ETA == nil || v.HandoffCode == "" {
		t.Fatalf("pending: %s", raw)
	}
	if !bytes.Contains(raw, []byte(`"courier_position":null`)) {
		t.Errorf("courier_position not null: %s", raw)
	}
	// Nothing about the merchant or the customer's contact details.
	for _, secret := range []string{full.MerchantID, "+33100000000", key, o.TrackToken} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("tracking view exposes %q: %s", secret, raw)
		}
	}

	// A franchise courier of the station, online next to the shop.
	var stations struct{ Stations []struct{ ID string } }
	env.do(t, "GET", "/v1/admin/stations", env.AdminToken, nil).decode(t, &stations)
	var cc struct{ Courier struct{ ID string } }
	env.do(t, "POST", "/v1/admin/couriers", env.AdminToken,
		map[string]any{"name": "Léa", "kind": "franchise", "station_id": stations.Stations[0].ID}).decode(t, &cc)
	cid := cc.Courier.ID
	if _, err := env.Engine.Connect(ctx, cid); err != nil {
		t.Fatal(err)
	}
	near := geo.Offset(parisCentre, 150, 50)
	if err := env.Engine.Locate(ctx, cid, courier.Fix{Pos: near, Accuracy: 5, At: env.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Engine.SetAvailability(ctx, cid, courier.Available); err != nil {
		t.Fatal(err)
	}

	env.paymentResult(t, paymentEvent("evt_1", "payment_intent.succeeded", o.ID))
	env.Engine.Tick(ctx)
	if v, raw := env.track(t, o.TrackToken); v.State != dispatch.Dispatching || v.CourierPosition != nil {
		t.Fatalf("dispatching: %s", raw)
	}
	view, err := env.Engine.Connect(ctx, cid)
	if err != nil || len(view.Offers) != 1 {
		t.Fatalf("courier offers %+v, err %v", view.Offers, err)
	}
	if _, err := env.Engine.Accept(ctx, cid, view.Offers[0].ID); err != nil {
		t.Fatal(err)
	}

	v, raw = env.track(t, o.TrackToken)
	if v.State != dispatch.Assigned || v.CourierPosition == nil || *v.CourierPosition != near || v.ETA == nil {
		t.Fatalf("assigned: %s", raw)
	}
	if got := states(v); got != "pending_payment,paid,dispatching,assigned" {
		t.Errorf("timeline %s", got)
	}

	if _, err := env.Engine.PickedUp(ctx, cid, o.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Engine.Delivered(ctx, cid, o.ID, full.handoff(t, env, key)); err != nil {
		t.Fatal(err)
	}
	v, raw = env.track(t, o.TrackToken)
	if v.State != dispatch.Delivered || v.CourierPosition != nil || v.ETA != nil {
		t.Errorf("delivered: %s", raw)
	}
	if got := states(v); !strings.HasSuffix(got, "picked_up,delivered") {
		t.Errorf("timeline %s", got)
	}
}

// handoff reads the order's handoff code through the merchant API.
func (o testOrder) handoff(t *testing.T, env *testEnv, key string) string {
	t.Helper()
	var full struct {
		HandoffCode string `json:"handoff_code"`
	}
	env.do(t, "GET", "/v1/orders/"+o.ID, key, nil).decode(t, &full)
	return full.HandoffCode
}

func TestTrackUnknownToken(t *testing.T) {
	env := newTestEnv(t)
	env.adminSetup(t)
	env.do(t, "GET", "/v1/track/"+dispatch.NewTrackToken(), "", nil).problem(t, http.StatusNotFound, "not_found")
	env.do(t, "GET", "/v1/track/"+strings.Repeat("a", 65), "", nil).problem(t, http.StatusNotFound, "not_found")
}
