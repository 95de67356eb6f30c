package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// opsUntil reads "ops" frames until ok accepts one (each frame waits at most wsTimeout).
func opsUntil(t *testing.T, c *wsClient, ok func(opsView) bool) opsView {
	t.Helper()
	for range 20 {
		var v opsView
		decodeData(t, c.expect(t, MsgOps), &v)
		if ok(v) {
			return v
		}
	}
	t.Fatal("no ops frame matched in 20 frames")
	return opsView{}
}

// assignedOrder has a crowd courier at the pickup accept a paid order; it returns the
// courier's socket, its id and the order.
func (e *wsEnv) assignedOrder(t *testing.T, name string) (*wsClient, string, dispatch.Order) {
	t.Helper()
	id, token := e.newCourier(t, name)
	c := e.online(t, token, pickup)
	o := e.paidOrder(t)
	e.Engine.Tick(context.Background())
	of := offerFor(t, c, o.ID)
	if reply, _, err := c.replyE(c.send(t, MsgAccept, map[string]any{"offer_id": of.ID})); err != nil || reply.Type != MsgOK {
		t.Fatalf("accept: %v %s", err, reply.Data)
	}
	return c, id, o
}

// step sends a courier action on an order and requires an ok.
func step(t *testing.T, c *wsClient, typ string, data map[string]any) {
	t.Helper()
	if reply, _, err := c.replyE(c.send(t, typ, data)); err != nil || reply.Type != MsgOK {
		t.Fatalf("%s: %v %s", typ, err, reply.Data)
	}
}

func TestOpsSocket(t *testing.T) {
	env := newWSEnv(t, wsOptions{admin: testAdminToken})
	c, courierID, o := env.assignedOrder(t, "Kim Lee")
	waiting := env.paidOrder(t) // no round: it waits

	ops, resp, err := env.dial(t, "/v1/admin/ws", testAdminToken)
	if err != nil {
		t.Fatalf("dial: %v %v", err, resp)
	}
	v := opsUntil(t, ops, func(opsView) bool { return true })
	k := v.KPIs
	if k.Unassigned != 1 || k.InProgress != 1 || k.DeliveredToday != 0 || k.OnTimePct != nil ||
		k.MedianPaidToAssignedSeconds == nil || k.Couriers["busy"] != 1 || k.Day != testEpoch.Format(time.DateOnly) {
		t.Fatalf("kpis %+v", k)
	}
	if len(v.Couriers) != 1 || v.Couriers[0].ID != courierID || v.Couriers[0].Pos == nil || len(v.Orders) != 2 {
		t.Fatalf("view %+v", v)
	}
	demand := 0
	for _, cell := range v.Cells {
		demand += cell.Waiting
		if !cell.Cell.Valid() {
			t.Errorf("invalid cell %v", cell.Cell)
		}
	}
	if demand != 1 {
		t.Errorf("waiting orders over the cells: %d, want 1 (%s)", demand, waiting.ID)
	}

	// The courier delivers: a later frame counts it, on time.
	step(t, c, MsgArrived, map[string]any{"order_id": o.ID})
	step(t, c, MsgPickedUp, map[string]any{"order_id": o.ID})
	step(t, c, MsgDelivered, map[string]any{"order_id": o.ID, "code": o.HandoffCode})
	v = opsUntil(t, ops, func(v opsView) bool { return v.KPIs.DeliveredToday == 1 })
	if v.KPIs.InProgress != 0 || v.KPIs.OnTimePct == nil || *v.KPIs.OnTimePct != 100 || v.KPIs.Couriers["available"] != 1 {
		t.Fatalf("after delivery %+v", v.KPIs)
	}

	// The socket is read-only.
	reply, _, err := ops.replyE(ops.send(t, MsgLocation, map[string]any{}))
	if err != nil {
		t.Fatal(err)
	}
	errorFrame(t, reply, "unknown_message")
}

func TestOpsSocketAuth(t *testing.T) {
	env := newWSEnv(t, wsOptions{admin: testAdminToken})
	session := env.Server.newOpsSession(time.Now())
	cookie := session.Name + "=" + session.Value
	for _, c := range []struct {
		name   string
		h      http.Header
		status int
		code   string
	}{
		{"nothing", http.Header{}, 401, "unauthorized"},
		{"wrong token", http.Header{"Authorization": {"Bearer nope"}}, 401, "unauthorized"},
		{"cookie from another site", http.Header{"Cookie": {cookie}, "Origin": {"https://evil.example"}}, 403, "cross_origin"},
		{"cookie without origin", http.Header{"Cookie": {cookie}}, 403, "cross_origin"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ws, resp, err := env.dialHeader(t, "/v1/admin/ws", c.h)
			if !errors.Is(err, websocket.ErrBadHandshake) || ws != nil {
				t.Fatalf("dial: %v, want a refused handshake", err)
			}
			checkProblem(t, resp, c.status, c.code)
		})
	}
	ws, resp, err := env.dialHeader(t, "/v1/admin/ws", http.Header{"Cookie": {cookie}, "Origin": {env.URL}})
	if err != nil {
		t.Fatalf("same-origin page with a session: %v %v", err, resp)
	}
	ws.expect(t, MsgOps)
}

func TestCourierJobsEndpoint(t *testing.T) {
	env := newWSEnv(t, wsOptions{admin: testAdminToken})
	_, courierID, o := env.assignedOrder(t, "Kim Lee")
	get := func(path string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", env.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b json.RawMessage
		_ = json.NewDecoder(resp.Body).Decode(&b)
		return resp, b
	}
	resp, body := get("/v1/admin/couriers/" + courierID + "/jobs")
	var j dispatch.CourierJobs
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &j) != nil {
		t.Fatalf("jobs: %d %s", resp.StatusCode, body)
	}
	if j.Courier.Name != "Kim Lee" || len(j.Orders) != 1 || j.Orders[0].ID != o.ID || j.Orders[0].ETA.IsZero() || len(j.Offers) != 0 {
		t.Fatalf("jobs %s", body)
	}
	for _, id := range []string{"cou_unknown", strings.Repeat("a", 65)} {
		if resp, body := get("/v1/admin/couriers/" + id + "/jobs"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%q: %d %s", id, resp.StatusCode, body)
		}
	}
}

func TestTrackCourierAndETA(t *testing.T) {
	env := newWSEnv(t, wsOptions{})
	_, token := env.newCourier(t, "Kim Lee")
	c := env.online(t, token, pickup)
	o := env.paidOrder(t)
	_, before := env.tracker(t, o.TrackToken)
	if before.Courier != nil || before.ETAWindow == nil {
		t.Fatalf("before assignment: %+v", before)
	}
	env.Engine.Tick(context.Background())
	of := offerFor(t, c, o.ID)
	step(t, c, MsgAccept, map[string]any{"offer_id": of.ID})

	tr, snap := env.tracker(t, o.TrackToken)
	if snap.Courier == nil || snap.Courier.FirstName != "Kim" || snap.Courier.Vehicle != "bicycle" {
		t.Fatalf("courier %+v", snap.Courier)
	}
	w := snap.ETAWindow
	if w == nil || snap.ETA == nil || snap.ETA.Before(w.From) || snap.ETA.After(w.To) || w.To.Sub(w.From) < dispatch.ETAWindowMin {
		t.Fatalf("eta %v window %+v", snap.ETA, w)
	}
	// The courier rides 4 km away from the shop: it will be there well after the order
	// is ready, the estimate moves by minutes and an eta frame says so.
	env.Clock.Advance(2 * time.Minute)
	c.ok(t, MsgLocation, env.fix(geo.Offset(pickup, 4000, 0)))
	for {
		env := tr.read(t)
		if env.Type == MsgPosition {
			continue
		}
		if env.Type != MsgETA {
			t.Fatalf("got %s %s, want eta", env.Type, env.Data)
		}
		var d ETAData
		decodeData(t, env, &d)
		if !d.ETA.After(snap.ETA.Add(5*time.Minute)) || !d.Window.From.After(w.From) || d.ETA.Before(d.Window.From) || d.ETA.After(d.Window.To) {
			t.Fatalf("eta frame %s after snapshot eta %v window %+v", env.Data, snap.ETA, w)
		}
		break
	}
}
