package webhook_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/memory"
	"github.com/hummingbird-dispatch/hummingbird/internal/testenv"
	"github.com/hummingbird-dispatch/hummingbird/internal/webhook"
)

// TestMain fails the package's tests if a goroutine (a send, a kept-alive connection, a
// receiver handler) outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

// fakeClock is the settable clock the deliverer runs on.
type fakeClock = testenv.Clock

// constSource always draws the same number: 1<<63 makes every jitter fraction ½.
type constSource uint64

func (s constSource) Uint64() uint64 { return uint64(s) }

const half = constSource(1 << 63)

// answer is what the receiver does with one request.
type answer int

const (
	fail   answer = iota // 500
	hang                 // never answers; the client times out
	accept               // 204
)

// request is one webhook the receiver got.
type request struct {
	header  http.Header
	body    []byte
	payload webhook.Payload
	status  int // 0 when it hung
}

// receiver is a merchant's endpoint: a real HTTP server on loopback that answers the
// n-th request (from 1) as script says.
type receiver struct {
	srv    *httptest.Server
	script func(n int) answer
	stop   chan struct{} // releases hung handlers at cleanup

	mu   sync.Mutex
	reqs []request
}

func newReceiver(t *testing.T, script func(n int) answer) *receiver {
	t.Helper()
	r := &receiver{script: script, stop: make(chan struct{})}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(func() {
		close(r.stop)
		r.srv.Close()
	})
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	got := request{header: req.Header.Clone(), body: body}
	_ = json.Unmarshal(body, &got.payload)
	r.mu.Lock()
	n := len(r.reqs) + 1
	a := r.script(n)
	switch a {
	case fail:
		got.status = http.StatusInternalServerError
	case accept:
		got.status = http.StatusNoContent
	}
	r.reqs = append(r.reqs, got)
	r.mu.Unlock()
	if a == hang {
		select {
		case <-req.Context().Done(): // the client gave up
		case <-r.stop:
		}
		return
	}
	w.WriteHeader(got.status)
}

// requests returns a copy of what arrived so far.
func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.reqs...)
}

// fixture is a memory store with one merchant pointing at a receiver and one order with
// three events, and a deliverer on a fake clock.
type fixture struct {
	store    *memory.Store
	clock    *fakeClock
	rcv      *receiver
	merchant dispatch.Merchant
	order    dispatch.Order
	events   []dispatch.Event
	d        *webhook.Deliverer
}

func newFixture(t *testing.T, cfg webhook.Config, script func(n int) answer) *fixture {
	t.Helper()
	f := &fixture{store: memory.New(), clock: testenv.NewClock(t0), rcv: newReceiver(t, script)}
	ctx := t.Context()
	f.merchant = dispatch.Merchant{ID: dispatch.NewID("mer", t0), Name: "Zimt", APIKeyHash: dispatch.HashSecret("k"),
		WebhookURL: f.rcv.srv.URL + "/hooks", WebhookSecret: dispatch.NewSecret("whsec"), CreatedAt: t0}
	must(t, f.store.CreateMerchant(ctx, f.merchant))

	id := dispatch.NewID("ord", t0)
	o := dispatch.Order{ID: id, MerchantID: f.merchant.ID, ExternalRef: "ref-42", State: dispatch.Paid, Version: 1, Seq: 2}
	evs := []dispatch.Event{
		{OrderID: id, Seq: 1, Type: dispatch.StateEvent(dispatch.PendingPayment), State: dispatch.PendingPayment, At: t0, Cause: "created"},
		{OrderID: id, Seq: 2, Type: dispatch.StateEvent(dispatch.Paid), State: dispatch.Paid, At: t0.Add(time.Second), Cause: "payment"},
	}
	must(t, f.store.CreateOrder(ctx, o, evs))
	o.State, o.Version, o.Seq = dispatch.Dispatching, 2, 3
	ev := dispatch.Event{OrderID: id, Seq: 3, Type: dispatch.EventOfferSent, State: dispatch.Dispatching, At: t0.Add(2 * time.Second), Cause: "round", CourierID: "cou_1"}
	must(t, f.store.UpdateOrder(ctx, o, 1, []dispatch.Event{ev}))
	f.order, f.events = o, append(evs, ev)

	cfg.Clock, cfg.AllowPrivateNetworks = f.clock, true
	if cfg.Rand == nil {
		cfg.Rand = half
	}
	d, err := webhook.New(cfg, f.store, nil)
	must(t, err)
	t.Cleanup(d.CloseIdleConnections)
	f.d = d
	return f
}

// step runs one Step and checks how many deliveries it sent.
func (f *fixture) step(t *testing.T, want int) {
	t.Helper()
	n, err := f.d.Step(t.Context())
	must(t, err)
	if n != want {
		t.Fatalf("Step at %v sent %d deliveries, want %d", f.clock.Now(), n, want)
	}
}

// deliveries returns the order's deliveries by event id (each event has one until a
// replay).
func (f *fixture) deliveries(t *testing.T) map[string]webhook.Delivery {
	t.Helper()
	ds, err := f.store.Deliveries(t.Context(), f.merchant.ID, f.order.ID)
	must(t, err)
	out := map[string]webhook.Delivery{}
	for _, d := range ds {
		if !d.Replay {
			out[d.EventID] = d
		}
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
