package api

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

func TestAdminAuth(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	checked := 0
	for _, tok := range []string{"", "wrong", key} {
		for _, rt := range env.Server.echo.Routes() {
			if !strings.HasPrefix(rt.Path, "/v1/admin/") || rt.Method == "echo_route_not_found" {
				continue
			}
			checked++
			path := strings.Replace(rt.Path, ":id", "ord_x", 1)
			env.do(t, rt.Method, path, tok, `{"name":"x"}`).problem(t, http.StatusUnauthorized, "unauthorized")
		}
	}
	if checked != 3*14 {
		t.Errorf("checked %d admin routes, want 3×14", checked)
	}
	// An empty configured token disables the admin API instead of accepting "".
	off := newTestEnv(t, func(c *Config) { c.AdminToken = "" })
	off.do(t, "GET", "/v1/admin/merchants", "", nil).problem(t, http.StatusUnauthorized, "unauthorized")
}

func TestAdminMerchants(t *testing.T) {
	env := newTestEnv(t)
	r := env.do(t, "POST", "/v1/admin/merchants", env.AdminToken, `{"name":"Fromagerie","webhook_url":"https://merchant.example/hooks"}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var mc struct {
		Merchant      map[string]any `json:"merchant"`
		APIKey        string         `json:"api_key"`
		WebhookSecret string         `json:"webhook_secret"`
	}
	r.decode(t, &mc)
	if !strings.HasPrefix(mc.APIKey, "mk_") || !strings.HasPrefix(mc.WebhookSecret, "whsec_") || mc.Merchant["webhook_url"] != "https://merchant.example/hooks" {
		t.Fatalf("created %s", r.Body)
	}
	// The key works at once.
	if r := env.do(t, "GET", "/v1/orders", mc.APIKey, nil); r.Status != http.StatusOK {
		t.Errorf("new key: %d %s", r.Status, r.Body)
	}
	list := env.do(t, "GET", "/v1/admin/merchants", env.AdminToken, nil)
	if list.Status != http.StatusOK || !bytes.Contains(list.Body, []byte(`"Fromagerie"`)) {
		t.Fatalf("list: %d %s", list.Status, list.Body)
	}
	for _, secret := range []string{mc.APIKey, mc.WebhookSecret, dispatch.HashSecret(mc.APIKey)} {
		if bytes.Contains(list.Body, []byte(secret)) {
			t.Errorf("merchant list exposes a secret: %s", list.Body)
		}
	}
	p := env.do(t, "POST", "/v1/admin/merchants", env.AdminToken, `{"name":"x","webhook_url":"ftp://x"}`).
		problem(t, http.StatusUnprocessableEntity, "invalid_field")
	if p.Field != "webhook_url" {
		t.Errorf("field %q", p.Field)
	}
	env.do(t, "POST", "/v1/admin/merchants", env.AdminToken, `{"name":"x","api_key":"mine"}`).
		problem(t, http.StatusBadRequest, "malformed_request")
}

func TestAdminStationsAreasCouriers(t *testing.T) {
	env := newTestEnv(t)
	env.adminSetup(t)

	var stations struct {
		Stations []struct {
			ID            string      `json:"id"`
			Zone          geo.Polygon `json:"zone"`
			WindowSeconds int64       `json:"window_seconds"`
		} `json:"stations"`
	}
	env.do(t, "GET", "/v1/admin/stations", env.AdminToken, nil).decode(t, &stations)
	if len(stations.Stations) != 1 || stations.Stations[0].WindowSeconds != 60 || len(stations.Stations[0].Zone) != 4 {
		t.Fatalf("stations %+v", stations)
	}
	station := stations.Stations[0].ID

	p := env.do(t, "POST", "/v1/admin/stations", env.AdminToken, map[string]any{"name": "Overlap", "zone": box(parisCentre, 200)}).
		problem(t, http.StatusUnprocessableEntity, "invalid_field")
	if p.Field != "zone" {
		t.Errorf("overlap field %q", p.Field)
	}
	p = env.do(t, "POST", "/v1/admin/stations", env.AdminToken, map[string]any{"name": "W", "zone": box(geo.Offset(parisCentre, 5000, 0), 200), "window_seconds": 1 << 40}).
		problem(t, http.StatusUnprocessableEntity, "invalid_field")
	if p.Field != "window_seconds" {
		t.Errorf("window field %q", p.Field)
	}
	env.do(t, "POST", "/v1/admin/areas", env.AdminToken, `{"name":"Line","polygon":[{"lat":1,"lng":1},{"lat":2,"lng":2}]}`).
		problem(t, http.StatusUnprocessableEntity, "invalid_field")

	var areas struct{ Areas []dispatch.ServiceArea }
	env.do(t, "GET", "/v1/admin/areas", env.AdminToken, nil).decode(t, &areas)
	if len(areas.Areas) != 1 || areas.Areas[0].Name != "Paris" {
		t.Errorf("areas %+v", areas)
	}

	r := env.do(t, "POST", "/v1/admin/couriers", env.AdminToken, map[string]any{"name": "Léa", "kind": "franchise", "station_id": station, "vehicle": "scooter"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create courier: %d %s", r.Status, r.Body)
	}
	var cc struct {
		Courier struct {
			ID, Kind, Vehicle string
			Capacity          int
		}
		Token string
	}
	r.decode(t, &cc)
	if !strings.HasPrefix(cc.Token, "ct_") || cc.Courier.Capacity != 4 || cc.Courier.Kind != "franchise" {
		t.Errorf("created courier %s", r.Body)
	}
	env.do(t, "POST", "/v1/admin/couriers", env.AdminToken, map[string]any{"name": "X", "kind": "franchise", "station_id": "sta_nope"}).
		problem(t, http.StatusUnprocessableEntity, "invalid_field")
	env.do(t, "POST", "/v1/admin/couriers", env.AdminToken, map[string]any{"name": "X", "kind": "robot"}).
		problem(t, http.StatusUnprocessableEntity, "invalid_field")
	list := env.do(t, "GET", "/v1/admin/couriers", env.AdminToken, nil)
	if !bytes.Contains(list.Body, []byte(cc.Courier.ID)) || bytes.Contains(list.Body, []byte(cc.Token)) {
		t.Errorf("courier list %s", list.Body)
	}
}

func TestAdminSnapshotAndTrace(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	o := env.createOrder(t, key, "t")
	env.paymentResult(t, paymentEvent("evt_1", "payment_intent.succeeded", o.ID))

	env.do(t, "GET", "/v1/admin/orders/"+o.ID+"/trace", env.AdminToken, nil).problem(t, http.StatusNotFound, "not_found")
	env.Engine.Tick(t.Context())

	var snap struct {
		Waiting   int              `json:"orders_waiting"`
		Unpaid    int              `json:"orders_unpaid"`
		Positions []map[string]any `json:"positions"`
		Cells     []map[string]any `json:"cells"`
		Stats     map[string]any   `json:"stats"`
	}
	r := env.do(t, "GET", "/v1/admin/snapshot", env.AdminToken, nil)
	r.decode(t, &snap)
	if snap.Waiting != 1 || snap.Unpaid != 0 || snap.Positions == nil || snap.Stats["orders_created"] != 1.0 || snap.Stats["rounds"] != 1.0 {
		t.Errorf("snapshot %s", r.Body)
	}
	r = env.do(t, "GET", "/v1/admin/orders/"+o.ID+"/trace", env.AdminToken, nil)
	var tr dispatch.Trace
	r.decode(t, &tr)
	if r.Status != http.StatusOK || tr.OrderID != o.ID || len(tr.Rounds) == 0 {
		t.Errorf("trace: %d %s", r.Status, r.Body)
	}
}

func TestMetricsExposition(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	o := env.createOrder(t, key, "m")
	env.createOrder(t, key, "m2")
	env.paymentResult(t, paymentEvent("evt_1", "payment_intent.succeeded", o.ID))
	env.Engine.Tick(t.Context())

	r := env.do(t, "GET", "/metrics", "", nil)
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("metrics: %d %q", r.Status, r.Header.Get("Content-Type"))
	}
	text := string(r.Body)
	for _, want := range []string{
		"# TYPE hummingbird_orders_created_total counter\nhummingbird_orders_created_total 2\n",
		"# TYPE hummingbird_orders_paid_total counter\nhummingbird_orders_paid_total 1\n",
		"# TYPE hummingbird_dispatch_rounds_total counter\nhummingbird_dispatch_rounds_total 1\n",
		"# TYPE hummingbird_dispatch_round_seconds gauge\n",
		"# TYPE hummingbird_orders_waiting gauge\nhummingbird_orders_waiting 1\n",
		"# TYPE hummingbird_orders_unpaid gauge\nhummingbird_orders_unpaid 1\n",
		"hummingbird_ws_connections 0\n",
		"hummingbird_ws_dropped_total 0\n",
		`hummingbird_couriers{state="available"} 0` + "\n",
		`hummingbird_couriers_by_kind{kind="crowd"} 0` + "\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// Every family has HELP and TYPE, and every sample line belongs to a declared family.
	declared := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, "# HELP "):
			declared[f[2]] = true
		case strings.HasPrefix(line, "# TYPE "):
			if !declared[f[2]] || (f[3] != "counter" && f[3] != "gauge") {
				t.Errorf("bad TYPE line %q", line)
			}
		default:
			name, _, _ := strings.Cut(f[0], "{")
			if len(f) != 2 || !declared[name] {
				t.Errorf("sample %q without HELP/TYPE", line)
			}
		}
	}
}

func TestHTTPHealth(t *testing.T) {
	var down atomic.Bool
	env := newTestEnv(t, func(c *Config) {
		c.Ready = func(context.Context) error {
			if down.Load() {
				return errors.New("dial tcp 10.1.2.3:5432: connection refused")
			}
			return nil
		}
	})
	if r := env.do(t, "GET", "/livez", "", nil); r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte(`"ok"`)) {
		t.Errorf("livez: %d %s", r.Status, r.Body)
	}
	if r := env.do(t, "GET", "/readyz", "", nil); r.Status != http.StatusOK {
		t.Errorf("readyz: %d %s", r.Status, r.Body)
	}
	down.Store(true)
	p := env.do(t, "GET", "/readyz", "", nil).problem(t, http.StatusServiceUnavailable, "not_ready")
	if strings.Contains(p.Detail, "10.1.2.3") {
		t.Errorf("readyz leaks the cause: %q", p.Detail)
	}
	env.do(t, "GET", "/nowhere", "", nil).problem(t, http.StatusNotFound, "route_not_found")
	env.do(t, "DELETE", "/livez", "", nil).problem(t, http.StatusMethodNotAllowed, "method_not_allowed")
}

func TestOpenAPIServed(t *testing.T) {
	env := newTestEnv(t)
	r := env.do(t, "GET", "/v1/openapi.yaml", "", nil)
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/yaml" || !bytes.Equal(r.Body, openAPISpec) {
		t.Errorf("openapi: %d %q, %d bytes", r.Status, r.Header.Get("Content-Type"), len(r.Body))
	}
	if !bytes.HasPrefix(r.Body, []byte("openapi: 3.1.0\n")) {
		t.Errorf("not an OpenAPI 3.1 document")
	}
}
