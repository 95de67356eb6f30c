package api

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/idempotency"
	"github.com/hummingbird-dispatch/hummingbird/internal/realtime"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/memory"
	"github.com/hummingbird-dispatch/hummingbird/internal/testenv"
)

func TestIdempotencyReplay(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	body := orderBody("idem")

	first := env.do(t, "POST", "/v1/orders", key, body, HeaderIdempotencyKey, "order-42")
	if first.Status != http.StatusCreated {
		t.Fatalf("first: %d %s", first.Status, first.Body)
	}
	if first.Header.Get(HeaderIdempotentReplayed) != "" {
		t.Error("first response marked as replayed")
	}
	env.Clock.Advance(time.Second) // a re-run would produce another id and time
	second := env.do(t, "POST", "/v1/orders", key, body, HeaderIdempotencyKey, "order-42")
	if second.Status != first.Status || !bytes.Equal(second.Body, first.Body) {
		t.Fatalf("replay differs:\n%d %s\n%d %s", first.Status, first.Body, second.Status, second.Body)
	}
	if second.Header.Get("Content-Type") != first.Header.Get("Content-Type") {
		t.Errorf("replay content type %q, first %q", second.Header.Get("Content-Type"), first.Header.Get("Content-Type"))
	}
	if second.Header.Get(HeaderIdempotentReplayed) != "true" {
		t.Errorf("replay header %q", second.Header.Get(HeaderIdempotentReplayed))
	}
	var list orderListResp
	env.do(t, "GET", "/v1/orders", key, nil).decode(t, &list)
	if len(list.Orders) != 1 {
		t.Errorf("%d orders after a replayed create, want 1", len(list.Orders))
	}
	// A different key is a different request.
	env.createOrder(t, key, "idem")
	if n := env.orderCount(t); n != 2 {
		t.Errorf("%d orders, want 2", n)
	}
}

func TestIdempotencyKeyReusedWithOtherBody(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	if r := env.do(t, "POST", "/v1/orders", key, orderBody("one"), HeaderIdempotencyKey, "k1"); r.Status != http.StatusCreated {
		t.Fatalf("first: %d %s", r.Status, r.Body)
	}
	env.do(t, "POST", "/v1/orders", key, orderBody("two"), HeaderIdempotencyKey, "k1").
		problem(t, http.StatusUnprocessableEntity, "idempotency_key_reused")
	// Same body on another path (cancel) is another request too.
	var list orderListResp
	env.do(t, "GET", "/v1/orders", key, nil).decode(t, &list)
	env.do(t, "POST", "/v1/orders/"+list.Orders[0].ID+"/cancel", key, orderBody("one"), HeaderIdempotencyKey, "k1").
		problem(t, http.StatusUnprocessableEntity, "idempotency_key_reused")
	if n := env.orderCount(t); n != 1 {
		t.Errorf("%d orders, want 1", n)
	}
}

func TestIdempotencyKeysArePerMerchant(t *testing.T) {
	env := newTestEnv(t)
	keyA := env.adminSetup(t)
	keyB, idB := env.newMerchant(t, "Merchant B")
	body := orderBody("same")
	a := env.do(t, "POST", "/v1/orders", keyA, body, HeaderIdempotencyKey, "shared")
	b := env.do(t, "POST", "/v1/orders", keyB, body, HeaderIdempotencyKey, "shared")
	if a.Status != http.StatusCreated || b.Status != http.StatusCreated {
		t.Fatalf("A %d, B %d: %s", a.Status, b.Status, b.Body)
	}
	if b.Header.Get(HeaderIdempotentReplayed) != "" {
		t.Error("B's request was answered with A's saved response")
	}
	var oa, ob testOrder
	a.decode(t, &oa)
	b.decode(t, &ob)
	if oa.ID == ob.ID || ob.MerchantID != idB {
		t.Errorf("A got %+v, B got %+v", oa, ob)
	}
}

func TestIdempotencyKeyInUse(t *testing.T) {
	env := newTestEnv(t)
	env.adminSetup(t)
	keyM, merchantID := env.newMerchant(t, "Busy merchant")
	body := orderBody("busy")
	// A first request claimed the key and is still running: claim it directly with the
	// fingerprint the handler computes for the same request.
	req, _ := http.NewRequest("POST", "/v1/orders", bytes.NewReader(body))
	if _, claimed, err := env.Store.Begin(t.Context(), merchantID, "in-flight", fingerprint(req, body), env.Clock.Now()); err != nil || !claimed {
		t.Fatalf("pre-claim: claimed %v, err %v", claimed, err)
	}
	env.do(t, "POST", "/v1/orders", keyM, body, HeaderIdempotencyKey, "in-flight").
		problem(t, http.StatusConflict, "idempotency_key_in_use")
	// A different body under the busy key is still a reuse, reported as such.
	env.do(t, "POST", "/v1/orders", keyM, orderBody("other"), HeaderIdempotencyKey, "in-flight").
		problem(t, http.StatusUnprocessableEntity, "idempotency_key_reused")
	if n := env.orderCount(t); n != 0 {
		t.Errorf("%d orders created while the key was in use", n)
	}
	// Once the first request gives the key up, the retry runs.
	if err := env.Store.Release(t.Context(), merchantID, "in-flight"); err != nil {
		t.Fatal(err)
	}
	if r := env.do(t, "POST", "/v1/orders", keyM, body, HeaderIdempotencyKey, "in-flight"); r.Status != http.StatusCreated {
		t.Errorf("after release: %d %s", r.Status, r.Body)
	}
}

func TestIdempotencyBadKey(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	for name, k := range map[string]string{
		"too long":  strings.Repeat("k", 256),
		"non-ascii": "clé",
		"tab":       "a\tb",
		"empty":     "",
	} {
		t.Run(name, func(t *testing.T) {
			env.do(t, "POST", "/v1/orders", key, orderBody(""), HeaderIdempotencyKey, k).
				problem(t, http.StatusBadRequest, "bad_idempotency_key")
		})
	}
	if n := env.orderCount(t); n != 0 {
		t.Errorf("%d orders created with bad keys", n)
	}
	if r := env.do(t, "POST", "/v1/orders", key, orderBody(""), HeaderIdempotencyKey, strings.Repeat("k", 255)); r.Status != http.StatusCreated {
		t.Errorf("255-character key: %d %s", r.Status, r.Body)
	}
}

func TestIdempotencyErrorsAreReplayedAndExpire(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	// Outside the area today: the 422 is saved and replayed for the same key, even
	// though the request would now succeed.
	far := strings.Replace(string(orderBody("far")), `"lat":48.8`, `"lat":48.9`, -1)
	first := env.do(t, "POST", "/v1/orders", key, far, HeaderIdempotencyKey, "far")
	first.problem(t, http.StatusUnprocessableEntity, "outside_service_area")
	env.do(t, "POST", "/v1/admin/areas", env.AdminToken, map[string]any{"name": "North", "polygon": box(parisCentre, 20000)})
	again := env.do(t, "POST", "/v1/orders", key, far, HeaderIdempotencyKey, "far")
	if again.Status != first.Status || !bytes.Equal(again.Body, first.Body) || again.Header.Get(HeaderIdempotentReplayed) != "true" {
		t.Errorf("saved error not replayed: %d %s", again.Status, again.Body)
	}
	// After the TTL the key is free again and the request runs.
	env.Clock.Advance(idempotency.TTL)
	if r := env.do(t, "POST", "/v1/orders", key, far, HeaderIdempotencyKey, "far"); r.Status != http.StatusCreated {
		t.Errorf("after TTL: %d %s", r.Status, r.Body)
	}
}

func TestIdempotentCancel(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	o := env.createOrder(t, key, "c")
	first := env.do(t, "POST", "/v1/orders/"+o.ID+"/cancel", key, nil, HeaderIdempotencyKey, "cancel-1")
	if first.Status != http.StatusOK {
		t.Fatalf("cancel: %d %s", first.Status, first.Body)
	}
	// Without the key a second cancel is refused; with it, the first answer comes back.
	second := env.do(t, "POST", "/v1/orders/"+o.ID+"/cancel", key, nil, HeaderIdempotencyKey, "cancel-1")
	if second.Status != http.StatusOK || !bytes.Equal(second.Body, first.Body) {
		t.Errorf("replayed cancel: %d %s", second.Status, second.Body)
	}
	env.do(t, "POST", "/v1/orders/"+o.ID+"/cancel", key, nil).problem(t, http.StatusConflict, "not_cancelable")
}

// failingStore fails the next order creation with a store error (a 5xx).
type failingStore struct {
	*memory.Store
	fail atomic.Bool
}

func (s *failingStore) CreateOrder(ctx context.Context, o dispatch.Order, events []dispatch.Event) error {
	if s.fail.CompareAndSwap(true, false) {
		return errors.New("disk on fire")
	}
	return s.Store.CreateOrder(ctx, o, events)
}

func TestIdempotencyServerErrorIsNotSaved(t *testing.T) {
	mem := memory.New()
	store := &failingStore{Store: mem}
	clock := testenv.NewClock(testEpoch)
	feed := NewFeed(realtime.NewHub(), clock, nil)
	engine := dispatch.New(testEngineConfig, store, clock, feed, nil)
	s := New(Config{}, engine, store, mem, feed, nil)
	defer func() { _ = s.Shutdown(context.Background()) }()
	if _, err := engine.CreateArea(t.Context(), dispatch.ServiceArea{Name: "Paris", Polygon: box(parisCentre, 1500)}); err != nil {
		t.Fatal(err)
	}
	_, apiKey, err := engine.CreateMerchant(t.Context(), "M", "")
	if err != nil {
		t.Fatal(err)
	}
	post := func() testResponse {
		req := httptest.NewRequest("POST", "/v1/orders", bytes.NewReader(orderBody("x")))
		req.Header.Set("Authorization", "Bearer "+apiKey)
		req.Header.Set(HeaderIdempotencyKey, "retry-me")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return testResponse{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	}
	store.fail.Store(true)
	p := post().problem(t, http.StatusInternalServerError, "internal")
	if strings.Contains(p.Detail, "disk") {
		t.Errorf("internal detail leaked: %q", p.Detail)
	}
	// The failure was released, not saved: the retry runs and succeeds.
	r := post()
	if r.Status != http.StatusCreated || r.Header.Get(HeaderIdempotentReplayed) != "" {
		t.Fatalf("retry after 5xx: %d %s", r.Status, r.Body)
	}
	if r := post(); r.Header.Get(HeaderIdempotentReplayed) != "true" {
		t.Errorf("second retry not replayed: %d %s", r.Status, r.Body)
	}
}
