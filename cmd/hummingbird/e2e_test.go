package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hummingbird-dispatch/hummingbird/internal/signature"
)

// lifecycle is the documented order of states of a delivered order.
var lifecycle = []string{"pending_payment", "paid", "dispatching", "assigned", "at_pickup", "picked_up", "at_dropoff", "delivered"}

// activeStates are those in which the customer may see the courier's position.
var activeStates = []string{"assigned", "at_pickup", "picked_up", "at_dropoff"}

// Close codes of docs/protocol.md.
const (
	closeTrackingEnded = 4001
	closeTooBig        = websocket.CloseMessageTooBig // 1009
)

// courierOrder is an order as its courier sees it.
type courierOrder struct {
	ID      string `json:"id"`
	State   string `json:"state"`
	Version int64  `json:"version"`
}

// orderUpdate is the data of a courier "order" frame.
type orderUpdate struct {
	Order courierOrder `json:"order"`
	Event string       `json:"event"`
}

// trackStatus is the data of a tracking "status" frame.
type trackStatus struct {
	OrderID string `json:"order_id"`
	Seq     int64  `json:"seq"`
	State   string `json:"state"`
}

// trackView is GET /v1/track/{token} and the tracking socket's snapshot.
type trackView struct {
	OrderID         string  `json:"order_id"`
	State           string  `json:"state"`
	ETA             *string `json:"eta"`
	CourierPosition *latLng `json:"courier_position"`
	Events          []struct {
		State string `json:"state"`
	} `json:"events"`
	HandoffCode string `json:"handoff_code"`
}

func (v trackView) timeline() []string {
	var out []string
	for _, e := range v.Events {
		out = append(out, e.State)
	}
	return out
}

// TestE2EDelivery drives one order from creation to delivery through the public HTTP
// and WebSocket interfaces only: admin setup, a franchise courier online near the shop,
// the merchant's order, payment, the assign offer, the courier's steps, the customer's
// tracking stream and the merchant's final view.
func TestE2EDelivery(t *testing.T) {
	s := boot(t, nil)
	c := s.setupCity(t)

	// The courier connects: hello comes first, then it reports a fix near the shop and
	// goes available.
	app := s.courierApp(t, c.CourierToken)
	var hello struct {
		Courier struct {
			ID        string `json:"id"`
			Kind      string `json:"kind"`
			StationID string `json:"station_id"`
		} `json:"courier"`
		State  string            `json:"state"`
		Orders []json.RawMessage `json:"orders"`
		Offers []json.RawMessage `json:"offers"`
	}
	app.expect(t, "hello").decode(t, &hello)
	if hello.Courier.ID != c.CourierID || hello.Courier.Kind != "franchise" || hello.Courier.StationID != c.StationID ||
		hello.State != "offline" || len(hello.Orders) != 0 || len(hello.Offers) != 0 {
		t.Fatalf("hello %+v, want courier %s (franchise of %s), offline, no orders or offers", hello, c.CourierID, c.StationID)
	}
	app.ok(t, "location", app.fix(shopPos.offset(50, 0)))
	var avail struct {
		State string `json:"state"`
	}
	app.ok(t, "availability", map[string]any{"state": "available"}).decode(t, &avail)
	if avail.State != "available" {
		t.Fatalf("availability answered %q, want available", avail.State)
	}

	// The merchant creates the order; a retry with the same key replays it.
	o := s.createOrder(t, c.MerchantKey, "e2e-order-1")
	if o.ID == "" || o.State != "pending_payment" || o.MerchantID != c.MerchantID || o.StationID != c.StationID {
		t.Fatalf("created order %+v, want pending_payment of merchant %s in station %s", o, c.MerchantID, c.StationID)
	}
	if !regexp.MustCompile(`^[0-9]{4}$`).MatchString(o.HandoffCode) || len(o.TrackToken) < 26 ||
		!strings.HasSuffix(o.TrackingURL, "/track/"+o.TrackToken) {
		t.Fatalf("order handoff code %q, track token %q, tracking URL %q", o.HandoffCode, o.TrackToken, o.TrackingURL)
	}
	replay := s.do(t, http.MethodPost, "/v1/orders", c.MerchantKey, orderRequest(), "Idempotency-Key", "e2e-order-1")
	var again order
	replay.want(t, http.StatusCreated, &again)
	if again.ID != o.ID || replay.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry gave order %s (Idempotent-Replayed %q), want a replay of %s",
			again.ID, replay.Header.Get("Idempotent-Replayed"), o.ID)
	}

	// The customer opens the tracking stream. Its snapshot is sent after the stream is
	// subscribed, so from here on the tracker misses nothing.
	tracker := s.mustDial(t, "/v1/track/"+o.TrackToken+"/ws", "")
	var snap trackView
	tracker.expect(t, "snapshot").decode(t, &snap)
	if snap.OrderID != o.ID || snap.State != "pending_payment" || !slices.Equal(snap.timeline(), []string{"pending_payment"}) ||
		snap.CourierPosition != nil || snap.HandoffCode != o.HandoffCode {
		t.Fatalf("tracking snapshot %+v, want order %s pending_payment, no courier position", snap, o.ID)
	}

	// Unpaid, the order is not dispatched. Several complete rounds run (a round's count
	// becomes visible only once the round ended), then a ping round-trips through the
	// courier's queue: any offer from those rounds would have arrived before its reply.
	rounds := s.metric(t, "hummingbird_dispatch_rounds_total")
	waitFor(t, "three dispatch rounds", func() bool { return s.metric(t, "hummingbird_dispatch_rounds_total") >= rounds+3 })
	if _, before := app.call(t, "ping", nil); len(before) > 0 {
		t.Fatalf("courier received %v before the order was paid", types(before))
	}
	var live struct {
		Unpaid  int `json:"orders_unpaid"`
		Waiting int `json:"orders_waiting"`
		Offers  int `json:"offers_open"`
	}
	s.do(t, http.MethodGet, "/v1/admin/snapshot", testAdminToken, nil).want(t, http.StatusOK, &live)
	if live.Unpaid != 1 || live.Waiting != 0 || live.Offers != 0 {
		t.Fatalf("admin snapshot before payment: %+v, want 1 unpaid, 0 waiting, 0 offers", live)
	}
	s.do(t, http.MethodGet, "/v1/admin/orders/"+o.ID+"/trace", testAdminToken, nil).wantProblem(t, http.StatusNotFound, "not_found")

	// The payment provider reports success.
	body := paymentEvent("evt_e2e_paid", "payment_intent.succeeded", o.ID)
	var paid struct {
		Result string `json:"result"`
	}
	s.pay(t, body, signature.Sign([]byte(testPaymentSecret), time.Now(), body)).want(t, http.StatusOK, &paid)
	if paid.Result != "applied" {
		t.Fatalf("payment webhook result %q, want applied", paid.Result)
	}

	// The station's courier is asked to confirm.
	offerFrame := app.expect(t, "offer")
	var offer struct {
		ID       string   `json:"id"`
		Kind     string   `json:"kind"`
		OrderIDs []string `json:"order_ids"`
		Dropoffs []struct {
			Pos   latLng `json:"pos"`
			Name  string `json:"name"`
			Phone string `json:"phone"`
			Notes string `json:"notes"`
		} `json:"dropoffs"`
		CreatedAt time.Time `json:"created_at"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	offerFrame.decode(t, &offer)
	if offer.ID == "" || offer.Kind != "assign" || !slices.Equal(offer.OrderIDs, []string{o.ID}) || offerFrame.Seq <= 0 ||
		!offer.ExpiresAt.After(offer.CreatedAt) {
		t.Fatalf("offer seq %d %+v, want an assign offer of %s with a seq and an expiry", offerFrame.Seq, offer, o.ID)
	}
	if len(offer.Dropoffs) != 1 || offer.Dropoffs[0].Pos != customerPos ||
		offer.Dropoffs[0].Name+offer.Dropoffs[0].Phone+offer.Dropoffs[0].Notes != "" {
		t.Fatalf("offer drop-offs %+v, want the customer's position without name, phone or notes", offer.Dropoffs)
	}

	// A fix before accepting: the courier has no order yet, so no position may reach
	// the tracker (checked below: no position frame before the assigned status).
	app.ok(t, "location", app.fix(shopPos))

	// step sends a courier action and checks that exactly one order frame announcing the
	// new state precedes the ok, which carries the order in that state.
	lastSeq := offerFrame.Seq
	step := func(typ string, data map[string]any, want string) {
		t.Helper()
		reply, before := app.call(t, typ, data)
		if reply.Type != "ok" || len(before) != 1 || before[0].Type != "order" {
			t.Fatalf("%s: got %v then %s %s, want one order frame then ok", typ, types(before), reply.Type, reply.Data)
		}
		var up orderUpdate
		before[0].decode(t, &up)
		if up.Order.ID != o.ID || up.Order.State != want || up.Event != "order."+want || before[0].Seq != lastSeq+1 {
			t.Fatalf("%s: order frame seq %d %+v, want %s of %s with seq %d", typ, before[0].Seq, up, want, o.ID, lastSeq+1)
		}
		lastSeq = before[0].Seq
		var res struct {
			Order  courierOrder   `json:"order"`
			Orders []courierOrder `json:"orders"`
		}
		reply.decode(t, &res)
		got := res.Order
		if typ == "accept" {
			if len(res.Orders) != 1 {
				t.Fatalf("accept answered %s, want one order", reply.Data)
			}
			got = res.Orders[0]
		}
		if got.ID != o.ID || got.State != want || got.Version != up.Order.Version {
			t.Fatalf("%s answered %+v, want %s in state %s, version %d", typ, got, o.ID, want, up.Order.Version)
		}
	}
	onOrder := map[string]any{"order_id": o.ID}
	step("accept", map[string]any{"offer_id": offer.ID}, "assigned")
	nearShop := shopPos.offset(0, 10)
	app.ok(t, "location", app.fix(nearShop))
	step("arrived", onOrder, "at_pickup")
	step("picked_up", onOrder, "picked_up")
	nearCustomer := customerPos.offset(20, 0)
	app.ok(t, "location", app.fix(nearCustomer))
	step("arrived", onOrder, "at_dropoff")
	wrong := "0000"
	if o.HandoffCode == wrong {
		wrong = "1111"
	}
	reply, before := app.call(t, "delivered", map[string]any{"order_id": o.ID, "code": wrong})
	if len(before) > 0 {
		t.Fatalf("delivered with a wrong code: frames %v before the reply", types(before))
	}
	wantError(t, reply, "wrong_handoff_code")
	step("delivered", map[string]any{"order_id": o.ID, "code": o.HandoffCode}, "delivered")
	// A fix after delivery must not reach the tracker either.
	app.ok(t, "location", app.fix(customerPos))
	for _, f := range app.seen {
		if bytes.Contains(f.raw, []byte(`"handoff_code"`)) || bytes.Contains(f.raw, []byte(o.TrackToken)) {
			t.Fatalf("courier frame %s carries the handoff code or tracking token", f.raw)
		}
	}

	// The tracker saw every state in order, positions only while the courier was on the
	// way, and the stream ended with 4001 right after the final status.
	frames, closed := tracker.untilClose(t)
	if closed.Code != closeTrackingEnded || closed.Text != "order delivered" {
		t.Fatalf("tracking socket closed with %d %q, want %d \"order delivered\"", closed.Code, closed.Text, closeTrackingEnded)
	}
	states := snap.timeline()
	statusSeq := map[string]int64{}
	var positions []latLng
	var lastStatus int64
	for i, f := range frames {
		switch f.Type {
		case "status":
			var st trackStatus
			f.decode(t, &st)
			if st.OrderID != o.ID || st.Seq <= lastStatus {
				t.Fatalf("status frame %s: want order %s and a seq above %d", f.Data, o.ID, lastStatus)
			}
			lastStatus = st.Seq
			states = append(states, st.State)
			statusSeq[st.State] = st.Seq
		case "position":
			current := states[len(states)-1]
			if !slices.Contains(activeStates, current) {
				t.Fatalf("position frame %s while the order was %s (frames %v)", f.Data, current, types(frames[:i+1]))
			}
			var p latLng
			f.decode(t, &p)
			positions = append(positions, p)
		case "eta":
			// The estimate follows the courier (docs/protocol.md); it stays inside its window.
			var e struct {
				ETA    time.Time `json:"eta"`
				Window struct {
					From time.Time `json:"from"`
					To   time.Time `json:"to"`
				} `json:"eta_window"`
			}
			f.decode(t, &e)
			if e.ETA.Before(e.Window.From) || e.ETA.After(e.Window.To) {
				t.Fatalf("eta frame %s: the estimate is outside its window", f.Data)
			}
		default:
			t.Fatalf("unexpected %s frame %s on the tracking socket", f.Type, f.Data)
		}
	}
	if !slices.Equal(states, lifecycle) {
		t.Fatalf("tracker saw states %v, want %v", states, lifecycle)
	}
	if last := frames[len(frames)-1]; last.Type != "status" {
		t.Fatalf("last tracking frame is %s, want the delivered status", last.Type)
	}
	if want := []latLng{nearShop, nearCustomer}; !slices.Equal(positions, want) {
		t.Fatalf("tracker saw positions %v, want exactly the two fixes sent while assigned: %v", positions, want)
	}

	// The customer's tracking page after delivery: no courier, no ETA.
	var after trackView
	s.do(t, http.MethodGet, "/v1/track/"+o.TrackToken, "", nil).want(t, http.StatusOK, &after)
	if after.State != "delivered" || after.CourierPosition != nil || after.ETA != nil || !slices.Equal(after.timeline(), lifecycle) {
		t.Fatalf("tracking view after delivery %+v, want delivered, no position or ETA, full timeline", after)
	}
	// A tracker connecting now gets the snapshot and the 4001 close.
	late := s.mustDial(t, "/v1/track/"+o.TrackToken+"/ws", "")
	if fs, ce := late.untilClose(t); len(fs) != 1 || fs[0].Type != "snapshot" || ce.Code != closeTrackingEnded {
		t.Fatalf("late tracker got %v then close %d, want snapshot then %d", types(fs), ce.Code, closeTrackingEnded)
	}

	// The merchant's view.
	var final order
	s.do(t, http.MethodGet, "/v1/orders/"+o.ID, c.MerchantKey, nil).want(t, http.StatusOK, &final)
	if final.State != "delivered" || final.CourierID != c.CourierID || final.PaidAt == "" || final.AssignedAt == "" || final.DeliveredAt == "" {
		t.Fatalf("final order %+v, want delivered by %s with paid, assigned and delivered times", final, c.CourierID)
	}
	var events struct {
		Events []struct {
			Seq       int64  `json:"seq"`
			Type      string `json:"type"`
			State     string `json:"state"`
			CourierID string `json:"courier_id"`
		} `json:"events"`
	}
	s.do(t, http.MethodGet, "/v1/orders/"+o.ID+"/events", c.MerchantKey, nil).want(t, http.StatusOK, &events)
	var changes []string
	rank := 0
	offerSent := false
	for i, e := range events.Events {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d, want %d (events %+v)", i, e.Seq, i+1, events.Events)
		}
		r := slices.Index(lifecycle, e.State)
		if r < rank {
			t.Fatalf("event %+v moves the order back from %s", e, lifecycle[rank])
		}
		rank = r
		if e.Type == "order."+e.State {
			changes = append(changes, e.State)
			if seq, ok := statusSeq[e.State]; ok && seq != e.Seq {
				t.Fatalf("tracking status %s had seq %d, the event log %d", e.State, seq, e.Seq)
			}
		}
		offerSent = offerSent || (e.Type == "offer.sent" && e.CourierID == c.CourierID)
	}
	if !slices.Equal(changes, lifecycle) || !offerSent || final.Seq != int64(len(events.Events)) {
		t.Fatalf("event log %+v: want state changes %v, an offer.sent to %s and the order's seq %d last",
			events.Events, lifecycle, c.CourierID, final.Seq)
	}
	var trace struct {
		Winner string `json:"winner"`
	}
	s.do(t, http.MethodGet, "/v1/admin/orders/"+o.ID+"/trace", testAdminToken, nil).want(t, http.StatusOK, &trace)
	if trace.Winner != c.CourierID {
		t.Fatalf("dispatch trace winner %q, want %s", trace.Winner, c.CourierID)
	}
	for name, want := range map[string]float64{
		"hummingbird_orders_created_total":   1,
		"hummingbird_orders_paid_total":      1,
		"hummingbird_orders_assigned_total":  1,
		"hummingbird_orders_delivered_total": 1,
		"hummingbird_offers_accepted_total":  1,
	} {
		if got := s.metric(t, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}

	// Another merchant cannot see the order; a courier token is no merchant key.
	_, otherKey := s.newMerchant(t, "Fromagerie")
	s.do(t, http.MethodGet, "/v1/orders/"+o.ID, otherKey, nil).wantProblem(t, http.StatusNotFound, "not_found")
	s.do(t, http.MethodGet, "/v1/orders/"+o.ID+"/events", otherKey, nil).wantProblem(t, http.StatusNotFound, "not_found")
	s.do(t, http.MethodGet, "/v1/orders/"+o.ID, c.CourierToken, nil).wantProblem(t, http.StatusUnauthorized, "unauthorized")
	s.do(t, http.MethodGet, "/v1/orders", c.CourierToken, nil).wantProblem(t, http.StatusUnauthorized, "unauthorized")
}

// TestE2EPaymentBadSignature: a webhook whose signature does not verify is a 400
// problem and changes nothing.
func TestE2EPaymentBadSignature(t *testing.T) {
	s := boot(t, nil)
	c := s.setupCity(t)
	o := s.createOrder(t, c.MerchantKey, "e2e-bad-signature")
	body := paymentEvent("evt_e2e_forged", "payment_intent.succeeded", o.ID)

	s.pay(t, body, signature.Sign([]byte("whsec_not-our-secret"), time.Now(), body)).wantProblem(t, http.StatusBadRequest, "bad_signature")
	tampered := bytes.Replace(body, []byte("succeeded"), []byte("succeeded "), 1)
	s.pay(t, tampered, signature.Sign([]byte(testPaymentSecret), time.Now(), body)).wantProblem(t, http.StatusBadRequest, "bad_signature")
	s.pay(t, body, "").wantProblem(t, http.StatusBadRequest, "bad_signature")
	s.pay(t, body, signature.Sign([]byte(testPaymentSecret), time.Now().Add(-10*time.Minute), body)).
		wantProblem(t, http.StatusBadRequest, "stale_signature")

	var got order
	s.do(t, http.MethodGet, "/v1/orders/"+o.ID, c.MerchantKey, nil).want(t, http.StatusOK, &got)
	if got.State != "pending_payment" || got.PaidAt != "" || got.Seq != 1 {
		t.Fatalf("order after forged webhooks: %+v, want pending_payment with one event", got)
	}
	if n := s.metric(t, "hummingbird_orders_paid_total"); n != 0 {
		t.Fatalf("hummingbird_orders_paid_total = %v after forged webhooks, want 0", n)
	}
	// The same event correctly signed is then applied: the rejections did not mark it seen.
	var res struct {
		Result string `json:"result"`
	}
	s.pay(t, body, signature.Sign([]byte(testPaymentSecret), time.Now(), body)).want(t, http.StatusOK, &res)
	if res.Result != "applied" {
		t.Fatalf("correctly signed webhook after forged ones: %q, want applied", res.Result)
	}
}

// TestE2EOversizedBody: a 2 MiB request body is refused with a 413 problem.
func TestE2EOversizedBody(t *testing.T) {
	s := boot(t, nil)
	c := s.setupCity(t)
	req := orderRequest()
	req["external_ref"] = strings.Repeat("x", 2<<20)
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	s.do(t, http.MethodPost, "/v1/orders", c.MerchantKey, body, "Idempotency-Key", "e2e-big").
		wantProblem(t, http.StatusRequestEntityTooLarge, "body_too_large")
	var list struct {
		Orders []order `json:"orders"`
	}
	s.do(t, http.MethodGet, "/v1/orders", c.MerchantKey, nil).want(t, http.StatusOK, &list)
	if len(list.Orders) != 0 {
		t.Fatalf("orders after a refused body: %+v, want none", list.Orders)
	}
}

// TestE2ECourierBadToken: the courier socket checks the token before upgrading.
func TestE2ECourierBadToken(t *testing.T) {
	s := boot(t, nil)
	c := s.setupCity(t)
	for name, token := range map[string]string{
		"unknown":  "ct_not-a-courier-token",
		"missing":  "",
		"admin":    testAdminToken,
		"merchant": c.MerchantKey,
	} {
		t.Run(name, func(t *testing.T) {
			conn, r, err := s.dial(t, "/v1/courier/ws", token)
			if err == nil {
				conn.c.Close()
				t.Fatal("the upgrade succeeded")
			}
			if !errors.Is(err, websocket.ErrBadHandshake) {
				t.Fatalf("dial: %v, want a refused handshake", err)
			}
			r.wantProblem(t, http.StatusUnauthorized, "unauthorized")
		})
	}
}

// TestE2EMalformedFrame: a frame the server cannot parse gets an error frame and the
// connection stays usable.
func TestE2EMalformedFrame(t *testing.T) {
	s := boot(t, nil)
	c := s.setupCity(t)
	app := s.courierApp(t, c.CourierToken)
	app.expect(t, "hello")

	app.write(t, []byte(`{"type":"ping","id":"x1","bogus":true}`))
	wantError(t, app.read(t), "malformed_request")
	app.write(t, []byte(`not json`))
	wantError(t, app.read(t), "malformed_request")
	reply, _ := app.call(t, "teleport", map[string]any{})
	wantError(t, reply, "unknown_message")
	reply, _ = app.call(t, "location", map[string]any{"lat": 91, "lng": 2.35, "at": time.Now().UTC()})
	wantError(t, reply, "invalid_coordinates")
	app.ok(t, "ping", nil)
}

// TestE2EOversizedFrame: a frame of exactly the 64 KiB read limit is read; one byte more
// ends the connection with 1009.
func TestE2EOversizedFrame(t *testing.T) {
	const limit = 64 << 10
	s := boot(t, nil)
	c := s.setupCity(t)
	app := s.courierApp(t, c.CourierToken)
	app.expect(t, "hello")

	// A valid ping padded with JSON whitespace to the limit.
	head, tail := []byte(`{"type":"ping","id":"edge","data":{}`), []byte(`}`)
	padded := func(n int) []byte { return slices.Concat(head, bytes.Repeat([]byte(" "), n-len(head)-len(tail)), tail) }
	edge := padded(limit)
	if len(edge) != limit {
		t.Fatalf("edge frame is %d bytes", len(edge))
	}
	app.write(t, edge)
	if reply, before := app.replyTo(t, "edge"); reply.Type != "ok" || len(before) > 0 {
		t.Fatalf("a %d-byte ping got %v then %s %s, want ok", limit, types(before), reply.Type, reply.Data)
	}

	big := padded(limit + 1)
	app.write(t, big)
	fs, ce := app.untilClose(t)
	if len(fs) != 0 || ce.Code != closeTooBig {
		t.Fatalf("after a %d-byte frame: frames %v, close %d %q, want close %d", len(big), types(fs), ce.Code, ce.Text, closeTooBig)
	}
}

// TestE2EShutdownClosesSockets: when the server stops, it closes the open courier and
// tracking sockets with 1001 going away, and run returns only once they are closed.
// The clients do not read meanwhile, as on a stalled network, so the server waits its
// close grace for them; their close frames are read after run returned.
func TestE2EShutdownClosesSockets(t *testing.T) {
	s := boot(t, nil)
	c := s.setupCity(t)
	app := s.courierApp(t, c.CourierToken)
	app.expect(t, "hello")
	o := s.createOrder(t, c.MerchantKey, "e2e-shutdown")
	tracker := s.mustDial(t, "/v1/track/"+o.TrackToken+"/ws", "")
	tracker.expect(t, "snapshot")

	s.stop()
	for name, ws := range map[string]*wsClient{"courier": app.wsClient, "tracker": tracker} {
		if fs, ce := ws.untilClose(t); len(fs) != 0 || ce.Code != websocket.CloseGoingAway {
			t.Errorf("%s socket got %v then close %d %q, want close %d", name, types(fs), ce.Code, ce.Text, websocket.CloseGoingAway)
		}
	}
}
