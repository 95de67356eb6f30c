package api

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

func TestHTTPCreateAndGetOrder(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)

	r := env.do(t, "POST", "/v1/orders", key, orderBody("ref-1"))
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	var created testOrder
	r.decode(t, &created)
	if created.State != dispatch.PendingPayment || created.Seq != 1 || created.TrackToken == "" {
		t.Fatalf("created order %+v", created)
	}
	if want := "https://hb.example/track/" + created.TrackToken; created.TrackingURL != want {
		t.Errorf("tracking_url %q, want %q", created.TrackingURL, want)
	}

	r = env.do(t, "GET", "/v1/orders/"+created.ID, key, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("get: %d %s", r.Status, r.Body)
	}
	var got testOrder
	r.decode(t, &got)
	if got != created {
		t.Errorf("get returned %+v, created %+v", got, created)
	}
}

func TestHTTPQuote(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	r := env.do(t, "POST", "/v1/quotes", key, orderBody(""))
	if r.Status != http.StatusOK {
		t.Fatalf("quote: %d %s", r.Status, r.Body)
	}
	var q dispatch.Quote
	r.decode(t, &q)
	if q.FeeCents <= 0 || q.Currency != "EUR" || q.DistanceM <= 0 || !q.PromisedAt.After(env.Clock.Now()) {
		t.Errorf("quote %+v", q)
	}
	// A quote creates nothing.
	if n := env.orderCount(t); n != 0 {
		t.Errorf("quote created %d orders", n)
	}
	list := env.do(t, "GET", "/v1/orders", key, nil)
	if !bytes.Contains(list.Body, []byte(`"orders":[]`)) {
		t.Errorf("quote created an order: %s", list.Body)
	}
}

func TestHTTPOrderIsolationBetweenMerchants(t *testing.T) {
	env := newTestEnv(t)
	keyA := env.adminSetup(t)
	keyB, _ := env.newMerchant(t, "Merchant B")
	a := env.createOrder(t, keyA, "a")
	b := env.createOrder(t, keyB, "b")

	env.do(t, "GET", "/v1/orders/"+b.ID, keyA, nil).problem(t, http.StatusNotFound, "not_found")
	env.do(t, "GET", "/v1/orders/"+b.ID+"/events", keyA, nil).problem(t, http.StatusNotFound, "not_found")
	env.do(t, "POST", "/v1/orders/"+b.ID+"/cancel", keyA, nil).problem(t, http.StatusNotFound, "not_found")

	var list orderListResp
	env.do(t, "GET", "/v1/orders", keyB, nil).decode(t, &list)
	if len(list.Orders) != 1 || list.Orders[0].ID != b.ID {
		t.Errorf("B's list %+v, want only %s", list.Orders, b.ID)
	}
	for _, o := range list.Orders {
		if o.ID == a.ID || o.MerchantID != b.MerchantID {
			t.Errorf("B's list includes %+v", o)
		}
	}
	// B's order is untouched by A's cancel attempt.
	var got testOrder
	env.do(t, "GET", "/v1/orders/"+b.ID, keyB, nil).decode(t, &got)
	if got.State != dispatch.PendingPayment {
		t.Errorf("B's order is %s after A's cancel attempt", got.State)
	}
}

type orderListResp struct {
	Orders     []testOrder `json:"orders"`
	NextCursor *string     `json:"next_cursor"`
}

func TestHTTPListOrdersPaging(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, env.createOrder(t, key, fmt.Sprint(i)).ID)
		env.Clock.Advance(time.Millisecond) // ids are time-sortable by the millisecond
	}
	var seen []string
	cursor := ""
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatal("paging does not end")
		}
		var l orderListResp
		r := env.do(t, "GET", "/v1/orders?limit=2&after="+cursor, key, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
		r.decode(t, &l)
		for _, o := range l.Orders {
			seen = append(seen, o.ID)
		}
		if l.NextCursor == nil {
			if len(l.Orders) != 1 {
				t.Errorf("last page has %d orders, want 1", len(l.Orders))
			}
			break
		}
		if len(l.Orders) != 2 || *l.NextCursor != l.Orders[1].ID {
			t.Fatalf("page %d: %d orders, cursor %v", page, len(l.Orders), *l.NextCursor)
		}
		cursor = *l.NextCursor
	}
	if fmt.Sprint(seen) != fmt.Sprint(ids) {
		t.Errorf("paged ids %v, want %v", seen, ids)
	}
	// An exact multiple of the limit ends with a null cursor, not an empty page.
	var l orderListResp
	env.do(t, "GET", "/v1/orders?limit=5", key, nil).decode(t, &l)
	if len(l.Orders) != 5 || l.NextCursor != nil {
		t.Errorf("limit=5: %d orders, cursor %v", len(l.Orders), l.NextCursor)
	}
}

func TestHTTPListOrdersBadParams(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	for _, q := range []string{"limit=0", "limit=101", "limit=abc", "limit=-1", "limit=1.5"} {
		p := env.do(t, "GET", "/v1/orders?"+q, key, nil).problem(t, http.StatusUnprocessableEntity, "invalid_field")
		if p.Field != "limit" {
			t.Errorf("%s: field %q, want limit", q, p.Field)
		}
	}
	p := env.do(t, "GET", "/v1/orders?after="+strings.Repeat("x", 101), key, nil).problem(t, http.StatusUnprocessableEntity, "invalid_field")
	if p.Field != "after" {
		t.Errorf("field %q, want after", p.Field)
	}
	o := env.createOrder(t, key, "x")
	for _, q := range []string{"after=-1", "after=x"} {
		p := env.do(t, "GET", "/v1/orders/"+o.ID+"/events?"+q, key, nil).problem(t, http.StatusUnprocessableEntity, "invalid_field")
		if p.Field != "after" {
			t.Errorf("events %s: field %q", q, p.Field)
		}
	}
}

func TestHTTPOrderAuth(t *testing.T) {
	env := newTestEnv(t)
	env.adminSetup(t)
	for _, tok := range []string{"", "mk_unknown"} {
		for _, rt := range [][2]string{{"POST", "/v1/orders"}, {"GET", "/v1/orders"}, {"POST", "/v1/quotes"}, {"GET", "/v1/orders/ord_x"}} {
			env.do(t, rt[0], rt[1], tok, orderBody("")).problem(t, http.StatusUnauthorized, "unauthorized")
		}
	}
	// The admin token is not a merchant key, nor the other way round.
	env.do(t, "GET", "/v1/orders", env.AdminToken, nil).problem(t, http.StatusUnauthorized, "unauthorized")
	if n := env.orderCount(t); n != 0 {
		t.Errorf("%d orders created without a valid key", n)
	}
}

func TestHTTPOrderBodyTooLarge(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.MaxBody = 2048 })
	key := env.adminSetup(t)
	// Valid JSON, padded past the limit: refused on Content-Length and, when the length
	// is not announced (chunked), while reading.
	big := bytes.Replace(orderBody("big"), []byte(`"external_ref":"big"`),
		[]byte(`"external_ref":"big","shop_id":"`+strings.Repeat("s", 3000)+`"`), 1)
	env.do(t, "POST", "/v1/orders", key, big).problem(t, http.StatusRequestEntityTooLarge, "body_too_large")

	req, err := http.NewRequest("POST", env.URL+"/v1/orders", io.MultiReader(bytes.NewReader(big)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := env.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if req.ContentLength != 0 {
		t.Fatalf("request announced its length %d; want an unknown length", req.ContentLength)
	}
	testResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}.problem(t, http.StatusRequestEntityTooLarge, "body_too_large")

	if n := env.orderCount(t); n != 0 {
		t.Errorf("oversized body created %d orders", n)
	}
}

func TestHTTPOrderMalformed(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	for name, body := range map[string]string{
		"not json":      `{"pickup":`,
		"unknown field": strings.Replace(string(orderBody("")), `"value_cents"`, `"tip_cents":5,"value_cents"`, 1),
		"trailing":      string(orderBody("")) + `{}`,
		"wrong type":    `{"pickup":{"pos":{"lat":"48.8","lng":2.35}}}`,
		"empty":         ``,
	} {
		t.Run(name, func(t *testing.T) {
			env.do(t, "POST", "/v1/orders", key, body).problem(t, http.StatusBadRequest, "malformed_request")
		})
	}
	if n := env.orderCount(t); n != 0 {
		t.Errorf("malformed bodies created %d orders", n)
	}
}

func TestHTTPOrderValidation(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	in := geo.Offset(parisCentre, 100, 0)
	order := func(pickup, dropoff geo.LatLng, extra string) string {
		return fmt.Sprintf(`{"pickup":{"pos":{"lat":%v,"lng":%v}},"dropoff":{"pos":{"lat":%v,"lng":%v}}%s}`,
			pickup.Lat, pickup.Lng, dropoff.Lat, dropoff.Lng, extra)
	}
	cases := []struct {
		name, body, code, field string
	}{
		{"latitude", order(geo.LatLng{Lat: 91, Lng: 2}, in, ""), "invalid_field", "pickup.pos"},
		{"longitude", order(in, geo.LatLng{Lat: 48, Lng: -181}, ""), "invalid_field", "dropoff.pos"},
		{"units", order(in, in, `,"units":11`), "invalid_field", "units"},
		{"currency", order(in, in, `,"currency":"eur"`), "invalid_field", "currency"},
		{"ready_at", order(in, in, `,"ready_at":"2030-01-01T00:00:00Z"`), "invalid_field", "ready_at"},
		{"outside pickup", order(geo.LatLng{Lat: 45.76, Lng: 4.83}, in, ""), "outside_service_area", ""},
		{"outside dropoff", order(in, geo.Offset(parisCentre, 0, 5000), ""), "outside_service_area", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/v1/orders", "/v1/quotes"} {
				p := env.do(t, "POST", path, key, tc.body).problem(t, http.StatusUnprocessableEntity, tc.code)
				if p.Field != tc.field {
					t.Errorf("%s: field %q, want %q", path, p.Field, tc.field)
				}
				if p.Detail == "" {
					t.Errorf("%s: empty detail", path)
				}
			}
		})
	}
	if n := env.orderCount(t); n != 0 {
		t.Errorf("invalid requests created %d orders", n)
	}
}

func TestHTTPCancelOrder(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	o := env.createOrder(t, key, "c")

	p := env.do(t, "POST", "/v1/orders/"+o.ID+"/cancel", key, `{"reason":"`+strings.Repeat("r", 501)+`"}`).
		problem(t, http.StatusUnprocessableEntity, "invalid_field")
	if p.Field != "reason" {
		t.Errorf("field %q, want reason", p.Field)
	}
	env.do(t, "POST", "/v1/orders/"+o.ID+"/cancel", key, `{"why":"x"}`).problem(t, http.StatusBadRequest, "malformed_request")

	r := env.do(t, "POST", "/v1/orders/"+o.ID+"/cancel", key, `{"reason":"customer changed their mind"}`)
	if r.Status != http.StatusOK {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	var c testOrder
	r.decode(t, &c)
	if c.State != dispatch.Canceled || c.RefundRequested {
		t.Errorf("canceled order %+v (unpaid: no refund)", c)
	}
	var ev struct{ Events []dispatch.Event }
	env.do(t, "GET", "/v1/orders/"+o.ID+"/events?after=1", key, nil).decode(t, &ev)
	if len(ev.Events) != 1 || ev.Events[0].Cause != "customer changed their mind" {
		t.Errorf("cancel events %+v", ev.Events)
	}
	// Without a body the cancel still works, and a second cancel is refused.
	env.do(t, "POST", "/v1/orders/"+o.ID+"/cancel", key, nil).problem(t, http.StatusConflict, "not_cancelable")
	o2 := env.createOrder(t, key, "c2")
	if r := env.do(t, "POST", "/v1/orders/"+o2.ID+"/cancel", key, nil); r.Status != http.StatusOK {
		t.Errorf("cancel without body: %d %s", r.Status, r.Body)
	}
	env.do(t, "POST", "/v1/orders/ord_missing/cancel", key, nil).problem(t, http.StatusNotFound, "not_found")
}

func TestHTTPOrderEvents(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	o := env.createOrder(t, key, "e")
	env.Clock.Advance(time.Minute)
	if r := env.signedWebhook(t, testPaymentSecret, paymentEvent("evt_1", "payment_intent.succeeded", o.ID)); r.Status != http.StatusOK {
		t.Fatalf("pay: %d %s", r.Status, r.Body)
	}
	env.Clock.Advance(time.Minute)
	env.do(t, "POST", "/v1/orders/"+o.ID+"/cancel", key, nil)

	var all struct{ Events []dispatch.Event }
	r := env.do(t, "GET", "/v1/orders/"+o.ID+"/events", key, nil)
	r.decode(t, &all)
	want := []dispatch.EventType{"order.pending_payment", "order.paid", "order.dispatching", "order.canceled", "refund.requested"}
	if len(all.Events) != len(want) {
		t.Fatalf("events %s, want %d", r.Body, len(want))
	}
	for i, e := range all.Events {
		if e.Seq != int64(i+1) || e.Type != want[i] || e.OrderID != o.ID {
			t.Errorf("event %d: %+v, want seq %d type %s", i, e, i+1, want[i])
		}
	}
	var tail struct{ Events []dispatch.Event }
	env.do(t, "GET", "/v1/orders/"+o.ID+"/events?after=3", key, nil).decode(t, &tail)
	if len(tail.Events) != 2 || tail.Events[0].Seq != 4 {
		t.Errorf("after=3: %+v", tail.Events)
	}
	r = env.do(t, "GET", "/v1/orders/"+o.ID+"/events?after=99", key, nil)
	if r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte(`"events":[]`)) {
		t.Errorf("after=99: %d %s", r.Status, r.Body)
	}
}
