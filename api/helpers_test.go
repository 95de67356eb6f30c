package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
	"github.com/hummingbird-dispatch/hummingbird/internal/realtime"
	"github.com/hummingbird-dispatch/hummingbird/internal/signature"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/memory"
	"github.com/hummingbird-dispatch/hummingbird/internal/testenv"
)

// Test fixtures shared by the package's tests.
const (
	testAdminToken = "admin-test-token"
)

var (
	// testPaymentSecret signs payment webhooks in tests.
	testPaymentSecret = []byte("whsec_test_payments")
	// parisCentre is the middle of the test service area.
	parisCentre = geo.LatLng{Lat: 48.8566, Lng: 2.3522}
	// testEpoch is where every test clock starts.
	testEpoch = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
)

// testClock is a settable dispatch.Clock.
type testClock = testenv.Clock

// testEnv is a real Server on a free port over the memory store and a fake clock. The
// engine is not running: tests call engine.Tick when they want a round.
type testEnv struct {
	URL        string
	AdminToken string
	Server     *Server
	Engine     *dispatch.Engine
	Store      *memory.Store
	Clock      *testClock
	Hub        *realtime.Hub
	Client     *http.Client
}

// newTestEnv builds the environment; opts adjust the api.Config before New.
// testEngineConfig offers jobs as soon as they are matched (a long commit lead): these
// tests are about the API, not about when the engine commits.
var testEngineConfig = dispatch.Config{CommitLead: 24 * time.Hour}

func newTestEnv(t testing.TB, opts ...func(*Config)) *testEnv {
	t.Helper()
	clock := testenv.NewClock(testEpoch)
	store := memory.New()
	hub := realtime.NewHub()
	feed := NewFeed(hub, clock, nil)
	engine := dispatch.New(testEngineConfig, store, clock, feed, nil)
	cfg := Config{AdminToken: testAdminToken, PaymentSecrets: [][]byte{testPaymentSecret}, PublicURL: "https://hb.example"}
	for _, o := range opts {
		o(&cfg)
	}
	s := New(cfg, engine, store, store, feed, nil)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		_ = s.Shutdown(context.Background())
		srv.Close()
	})
	return &testEnv{URL: srv.URL, AdminToken: testAdminToken, Server: s, Engine: engine, Store: store,
		Clock: clock, Hub: hub, Client: srv.Client()}
}

// testResponse is a fully read HTTP response.
type testResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// decode unmarshals the body into v, failing the test on error.
func (r testResponse) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
}

// problem decodes the body as a problem and checks the content type and code.
func (r testResponse) problem(t testing.TB, status int, code string) Problem {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json", ct)
	}
	var p Problem
	r.decode(t, &p)
	if p.Code != code || p.Status != status {
		t.Fatalf("problem %+v, want code %q status %d", p, code, status)
	}
	return p
}

// do sends a request. body may be nil, []byte, string or a value to encode as JSON;
// headers come in name, value pairs.
func (e *testEnv) do(t testing.TB, method, path, token string, body any, headers ...string) testResponse {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, b := roundTrip(t, e.Client, req)
	return testResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// roundTrip sends req with client and reads the whole body.
func roundTrip(t testing.TB, client *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// box returns a square polygon of side 2·half metres around c.
func box(c geo.LatLng, half float64) geo.Polygon {
	return geo.Polygon{
		geo.Offset(c, -half, -half), geo.Offset(c, -half, half),
		geo.Offset(c, half, half), geo.Offset(c, half, -half),
	}
}

// adminSetup creates, through the admin API, a service area of about 3 km around the
// Paris centre, a station whose zone is the central 1 km, and a merchant; it returns the
// merchant's API key.
func (e *testEnv) adminSetup(t testing.TB) string {
	t.Helper()
	r := e.do(t, "POST", "/v1/admin/areas", e.AdminToken, map[string]any{"name": "Paris", "polygon": box(parisCentre, 1500)})
	if r.Status != http.StatusCreated {
		t.Fatalf("create area: %d %s", r.Status, r.Body)
	}
	r = e.do(t, "POST", "/v1/admin/stations", e.AdminToken, map[string]any{"name": "Châtelet", "zone": box(parisCentre, 500), "window_seconds": 60})
	if r.Status != http.StatusCreated {
		t.Fatalf("create station: %d %s", r.Status, r.Body)
	}
	key, _ := e.newMerchant(t, "Boulangerie A")
	return key
}

// newMerchant creates a merchant through the admin API and returns its key and id.
func (e *testEnv) newMerchant(t testing.TB, name string) (key, id string) {
	t.Helper()
	r := e.do(t, "POST", "/v1/admin/merchants", e.AdminToken, map[string]any{"name": name})
	if r.Status != http.StatusCreated {
		t.Fatalf("create merchant: %d %s", r.Status, r.Body)
	}
	var mc struct {
		Merchant struct{ ID string } `json:"merchant"`
		APIKey   string              `json:"api_key"`
	}
	r.decode(t, &mc)
	if mc.APIKey == "" || mc.Merchant.ID == "" {
		t.Fatalf("create merchant: no key or id in %s", r.Body)
	}
	return mc.APIKey, mc.Merchant.ID
}

// orderBody returns a valid order request inside the test area, as JSON.
func orderBody(ref string) []byte {
	b, _ := json.Marshal(map[string]any{
		"external_ref": ref,
		"pickup":       map[string]any{"name": "Boulangerie", "pos": geo.Offset(parisCentre, 100, 0)},
		"dropoff":      map[string]any{"name": "Ada", "phone": "+33100000000", "pos": geo.Offset(parisCentre, -600, 400)},
		"value_cents":  1850,
	})
	return b
}

// testOrder is the part of an order response tests read.
type testOrder struct {
	ID              string         `json:"id"`
	MerchantID      string         `json:"merchant_id"`
	State           dispatch.State `json:"state"`
	Seq             int64          `json:"seq"`
	TrackToken      string         `json:"track_token"`
	TrackingURL     string         `json:"tracking_url"`
	RefundRequested bool           `json:"refund_requested"`
}

// createOrder creates an order for the merchant key and returns it.
func (e *testEnv) createOrder(t testing.TB, key, ref string) testOrder {
	t.Helper()
	r := e.do(t, "POST", "/v1/orders", key, orderBody(ref))
	if r.Status != http.StatusCreated {
		t.Fatalf("create order: %d %s", r.Status, r.Body)
	}
	var o testOrder
	r.decode(t, &o)
	return o
}

// paymentEvent returns a Stripe-style event body for an order.
func paymentEvent(id, typ, orderID string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"object":"event","type":%q,"created":1741953600,`+
		`"data":{"object":{"id":"pi_%s","object":"payment_intent","metadata":{"order_id":%q}}}}`, id, typ, id, orderID))
}

// signedWebhook posts body to the payment webhook signed with secret at the clock's time.
func (e *testEnv) signedWebhook(t testing.TB, secret, body []byte) testResponse {
	t.Helper()
	return e.webhookWithHeader(t, signature.Sign(secret, e.Clock.Now(), body), body)
}

// webhookWithHeader posts body to the payment webhook with a given Stripe-Signature.
func (e *testEnv) webhookWithHeader(t testing.TB, header string, body []byte) testResponse {
	t.Helper()
	return e.do(t, "POST", "/v1/payments/webhook", "", body, signature.HeaderName, header)
}

// orderCount returns how many orders exist in the store (all of them, any merchant;
// tests that use it cancel or expire nothing before counting).
func (e *testEnv) orderCount(t testing.TB) int {
	t.Helper()
	os, err := e.Store.OpenOrders(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return len(os)
}
