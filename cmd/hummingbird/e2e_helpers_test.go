package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"math"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// The black-box tests know the server only by its command line, its environment and
// its wire protocols: they boot it through run, talk HTTP and WebSocket on loopback and
// decode the answers into their own types.

const (
	testAdminToken    = "adm_e2e-test-admin-token"
	testPaymentSecret = "whsec_e2e-test-payment-secret"

	// Timeouts below only bound waits so that a bug fails instead of hanging; none of
	// them is a delay that lets something happen.
	bootTimeout = 10 * time.Second
	stopTimeout = 15 * time.Second // above the server's 10 s shutdown grace
	ioTimeout   = 5 * time.Second  // one HTTP request, one WebSocket frame
	waitTimeout = 10 * time.Second // one waitFor condition
	// pollEvery paces waitFor's checks of a condition; correctness never depends on it.
	pollEvery = 10 * time.Millisecond
)

// lockedBuffer is an io.Writer safe for the concurrent writes of a running command.
// If first is set, it receives the first complete line once.
type lockedBuffer struct {
	first chan string

	mu   sync.Mutex
	buf  bytes.Buffer
	sent bool
}

func newLineSignal() *lockedBuffer { return &lockedBuffer{first: make(chan string, 1)} }

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if b.first != nil && !b.sent {
		if line, _, ok := bytes.Cut(b.buf.Bytes(), []byte("\n")); ok {
			b.sent = true
			b.first <- string(line)
		}
	}
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testServer is one `hummingbird serve` running in this process.
type testServer struct {
	URL    string
	client *http.Client
	// stop ends the server and checks how run returned; it runs at cleanup at the
	// latest and only once.
	stop func()
}

// boot runs `hummingbird serve` on a free loopback port with a known admin token and
// payment secret and 50 ms dispatch rounds; overrides replace or add variables. It
// returns once the server printed its URL. At cleanup it cancels the context and checks
// that run returns 0 and that every goroutine started since boot has ended.
func boot(t *testing.T, overrides map[string]string) *testServer {
	t.Helper()
	before := goleak.IgnoreCurrent()
	env := map[string]string{
		"HUMMINGBIRD_ADDR":            "127.0.0.1:0",
		"HUMMINGBIRD_ADMIN_TOKEN":     testAdminToken,
		"HUMMINGBIRD_PAYMENT_SECRETS": testPaymentSecret,
		"HUMMINGBIRD_ROUND":           "50ms",
	}
	maps.Copy(env, overrides)
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := newLineSignal(), &lockedBuffer{}
	exited := make(chan struct{})
	var code int
	go func() {
		defer close(exited)
		code = run(ctx, []string{"serve"}, stdout, stderr, func(k string) string { return env[k] })
	}()
	transport := &http.Transport{} // the test's own pool, closed at stop
	srv := &testServer{client: &http.Client{Transport: transport, Timeout: ioTimeout}}
	srv.stop = sync.OnceFunc(func() {
		transport.CloseIdleConnections()
		cancel()
		timer := time.NewTimer(stopTimeout)
		defer timer.Stop()
		select {
		case <-exited:
		case <-timer.C:
			t.Errorf("run did not return within %s of its context ending", stopTimeout)
			return
		}
		// Nothing of the server may still run once run returned: a WebSocket still being
		// served would lose its close frame when the process exits.
		if open := socketGoroutines(); len(open) > 0 {
			t.Errorf("run returned with %d WebSocket goroutines still running:\n%s", len(open), strings.Join(open, "\n\n"))
		}
		if code != 0 {
			t.Errorf("run returned %d after its context ended, want 0", code)
		}
		goleak.VerifyNone(t, before)
	})
	t.Cleanup(func() {
		srv.stop()
		if t.Failed() {
			t.Logf("server stderr:\n%s", stderr)
		}
	})

	timer := time.NewTimer(bootTimeout)
	defer timer.Stop()
	var line string
	select {
	case line = <-stdout.first:
	case <-exited:
		t.Fatalf("run returned %d before listening; stdout %q", code, stdout)
	case <-timer.C:
		t.Fatalf("server printed no line within %s", bootTimeout)
	}
	rest, ok := strings.CutPrefix(line, "hummingbird listening on ")
	if !ok {
		t.Fatalf("first stdout line %q, want \"hummingbird listening on <URL> ...\"", line)
	}
	url, _, _ := strings.Cut(rest, " ")
	if !strings.HasPrefix(url, "http://127.0.0.1:") || strings.HasSuffix(url, ":0") {
		t.Fatalf("listening URL %q, want http://127.0.0.1:<chosen port>", url)
	}
	srv.URL = url
	return srv
}

// socketGoroutines returns the stacks of the goroutines still inside a WebSocket's
// reader or writer loop. (Serve returns, and its loop goroutines exit, just after they
// signalled that they are done, so those are not counted.)
func socketGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "/internal/realtime.(*Conn).readLoop(") ||
			strings.Contains(g, "/internal/realtime.(*Conn).writeLoop(") {
			out = append(out, g)
		}
	}
	return out
}

// response is one HTTP answer, body read.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a request. body nil sends none, []byte is sent as is, anything else as
// JSON; header holds name, value pairs.
func (s *testServer) do(t *testing.T, method, path, bearer string, body any, header ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// want checks the status and decodes the JSON body into v (v nil: no decoding).
func (r response) want(t *testing.T, status int, v any) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	if v != nil {
		if err := json.Unmarshal(r.Body, v); err != nil {
			t.Fatalf("decode %s: %v", r.Body, err)
		}
	}
}

// problem is an RFC 9457 problem document as the API sends it.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// wantProblem checks that r is an application/problem+json document with status and code.
func (r response) wantProblem(t *testing.T, status int, code string) problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("status %d, Content-Type %q, want application/problem+json; body %s", r.Status, ct, r.Body)
	}
	var p problem
	r.want(t, status, &p)
	if p.Status != status || p.Code != code || p.Title == "" || p.Type == "" {
		t.Fatalf("problem %+v, want status %d code %q with a type and title", p, status, code)
	}
	return p
}

// metric reads one unlabelled sample from /metrics.
func (s *testServer) metric(t *testing.T, name string) float64 {
	t.Helper()
	r := s.do(t, http.MethodGet, "/metrics", "", nil)
	r.want(t, http.StatusOK, nil)
	for line := range strings.Lines(string(r.Body)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("metric %s missing from /metrics:\n%s", name, r.Body)
	return 0
}

// waitFor checks cond until it holds; failing to hold within waitTimeout fails the test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", waitTimeout, what)
		}
		<-tick.C
	}
}

// latLng is a position on the wire.
type latLng struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// paris is the centre of every test city.
var paris = latLng{Lat: 48.8566, Lng: 2.3522}

// offset moves p by metres north and east (flat-earth, fine over a few kilometres).
func (p latLng) offset(north, east float64) latLng {
	const metresPerDegree = 111_320.0
	return latLng{
		Lat: p.Lat + north/metresPerDegree,
		Lng: p.Lng + east/(metresPerDegree*math.Cos(p.Lat*math.Pi/180)),
	}
}

// box is the square polygon of half-side half metres around c.
func box(c latLng, half float64) []latLng {
	return []latLng{c.offset(-half, -half), c.offset(-half, half), c.offset(half, half), c.offset(half, -half)}
}

// city is what setupCity registered through the admin API.
type city struct {
	MerchantID, MerchantKey string
	StationID               string
	CourierID, CourierToken string
}

// setupCity registers a service area of ±3 km around Paris, a station zone of ±1.5 km,
// a merchant and one franchise courier of that station.
func (s *testServer) setupCity(t *testing.T) city {
	t.Helper()
	var c city
	var area struct {
		ID string `json:"id"`
	}
	s.do(t, http.MethodPost, "/v1/admin/areas", testAdminToken,
		map[string]any{"name": "Paris", "polygon": box(paris, 3000)}).want(t, http.StatusCreated, &area)
	if area.ID == "" {
		t.Fatal("area without id")
	}
	var st struct {
		ID string `json:"id"`
	}
	s.do(t, http.MethodPost, "/v1/admin/stations", testAdminToken,
		map[string]any{"name": "Paris Centre", "zone": box(paris, 1500)}).want(t, http.StatusCreated, &st)
	c.StationID = st.ID
	c.MerchantID, c.MerchantKey = s.newMerchant(t, "Boulangerie Centrale")
	var cr struct {
		Courier struct {
			ID        string `json:"id"`
			Kind      string `json:"kind"`
			StationID string `json:"station_id"`
		} `json:"courier"`
		Token string `json:"token"`
	}
	s.do(t, http.MethodPost, "/v1/admin/couriers", testAdminToken,
		map[string]any{"name": "Kim", "kind": "franchise", "station_id": c.StationID, "vehicle": "bicycle"}).
		want(t, http.StatusCreated, &cr)
	if cr.Courier.ID == "" || cr.Token == "" || cr.Courier.Kind != "franchise" || cr.Courier.StationID != c.StationID {
		t.Fatalf("courier created as %+v", cr)
	}
	c.CourierID, c.CourierToken = cr.Courier.ID, cr.Token
	return c
}

// newMerchant registers a merchant and returns its id and API key.
func (s *testServer) newMerchant(t *testing.T, name string) (id, key string) {
	t.Helper()
	var m struct {
		Merchant struct {
			ID string `json:"id"`
		} `json:"merchant"`
		APIKey string `json:"api_key"`
	}
	s.do(t, http.MethodPost, "/v1/admin/merchants", testAdminToken, map[string]any{"name": name}).
		want(t, http.StatusCreated, &m)
	if m.Merchant.ID == "" || m.APIKey == "" {
		t.Fatalf("merchant created as %+v", m)
	}
	return m.Merchant.ID, m.APIKey
}

// order is the part of the merchant's order document the tests read.
type order struct {
	ID          string `json:"id"`
	MerchantID  string `json:"merchant_id"`
	State       string `json:"state"`
	Seq         int64  `json:"seq"`
	StationID   string `json:"station_id"`
	CourierID   string `json:"courier_id"`
	HandoffCode string `json:"handoff_code"`
	TrackToken  string `json:"track_token"`
	TrackingURL string `json:"tracking_url"`
	PaidAt      string `json:"paid_at"`
	AssignedAt  string `json:"assigned_at"`
	DeliveredAt string `json:"delivered_at"`
}

// Positions of the test journey: the shop 100 m north of the centre, the customer
// 400 m south and 300 m east of it (about 580 m from the shop).
var (
	shopPos     = paris.offset(100, 0)
	customerPos = paris.offset(-400, 300)
)

// orderRequest is a valid order from the shop to the customer.
func orderRequest() map[string]any {
	return map[string]any{
		"external_ref": "e2e-1",
		"pickup":       map[string]any{"pos": shopPos, "name": "Boulangerie Centrale", "address": "12 rue de Rivoli"},
		"dropoff": map[string]any{"pos": customerPos, "name": "Ada", "address": "3 rue du Bac",
			"phone": "+33100000000", "notes": "3rd floor"},
		"units": 1, "value_cents": 1850, "currency": "EUR",
		// Ready now: the engine offers a job only when its courier must set off.
		"ready_at": e2eReady,
	}
}

// e2eReady is the ready time of every e2e order: the start of the test binary, so that
// repeated requests have identical bodies.
var e2eReady = time.Now().UTC().Truncate(time.Second)

// createOrder creates the standard order with an Idempotency-Key.
func (s *testServer) createOrder(t *testing.T, merchantKey, idemKey string) order {
	t.Helper()
	var o order
	s.do(t, http.MethodPost, "/v1/orders", merchantKey, orderRequest(), "Idempotency-Key", idemKey).
		want(t, http.StatusCreated, &o)
	return o
}

// paymentEvent is a Stripe event about our order.
func paymentEvent(id, typ, orderID string) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": id, "type": typ, "created": time.Now().Unix(), "object": "event",
		"data": map[string]any{"object": map[string]any{
			"id": "pi_" + orderID, "object": "payment_intent", "metadata": map[string]string{"order_id": orderID},
		}},
	})
	return b
}

// pay posts a payment webhook with the given Stripe-Signature header.
func (s *testServer) pay(t *testing.T, body []byte, sig string) response {
	t.Helper()
	return s.do(t, http.MethodPost, "/v1/payments/webhook", "", body, "Stripe-Signature", sig)
}
