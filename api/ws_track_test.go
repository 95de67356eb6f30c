package api

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// tracker opens a tracking socket and returns it with its snapshot.
func (e *wsEnv) tracker(t *testing.T, token string) (*wsClient, trackView) {
	t.Helper()
	c, resp, err := e.dial(t, "/v1/track/"+token+"/ws", "")
	if err != nil {
		t.Fatalf("dial tracker: %v (%v)", err, resp)
	}
	snap := c.expect(t, MsgSnapshot)
	var v trackView
	decodeData(t, snap, &v)
	return c, v
}

// trackExpect reads the next frame that is not an "eta" frame (those follow the
// estimate, which moves with the clock) and checks its type.
func trackExpect(t *testing.T, c *wsClient, typ string) Envelope {
	t.Helper()
	for {
		env := c.read(t)
		if env.Type == MsgETA {
			continue
		}
		if env.Type != typ {
			t.Fatalf("got %s frame %s, want %s", env.Type, env.Data, typ)
		}
		return env
	}
}

// status reads the next frame, which must be a status frame for state.
func status(t *testing.T, c *wsClient, state dispatch.State) StatusData {
	t.Helper()
	env := trackExpect(t, c, MsgStatus)
	var s StatusData
	decodeData(t, env, &s)
	if s.State != state || env.Seq != 0 {
		t.Fatalf("status %s, want %s", env.Data, state)
	}
	return s
}

// position reads the next frame, which must be a position frame at p.
func position(t *testing.T, c *wsClient, p geo.LatLng) {
	t.Helper()
	env := trackExpect(t, c, MsgPosition)
	var d PositionData
	decodeData(t, env, &d)
	if d.Lat != p.Lat || d.Lng != p.Lng || d.At.IsZero() {
		t.Fatalf("position %s, want %v", env.Data, p)
	}
}

func TestTrackWSUnknownToken(t *testing.T) {
	env := newWSEnv(t, wsOptions{})
	c, resp, err := env.dial(t, "/v1/track/NOTATOKEN/ws", "")
	if !errors.Is(err, websocket.ErrBadHandshake) || c != nil {
		t.Fatalf("dial: %v, want a refused handshake", err)
	}
	checkProblem(t, resp, http.StatusNotFound, "not_found")
}

func TestTrackWSLifecycle(t *testing.T) {
	env := newWSEnv(t, wsOptions{})
	ctx := context.Background()
	o, err := env.Engine.CreateOrder(ctx, env.Merchant, dispatch.OrderRequest{
		Pickup: dispatch.Stop{Pos: pickup, Name: "Boulangerie"}, Dropoff: dispatch.Stop{Pos: parisCentre}, ValueCents: 900,
	})
	if err != nil {
		t.Fatal(err)
	}
	tr, snap := env.tracker(t, o.TrackToken)
	if snap.OrderID != o.ID || snap.State != dispatch.PendingPayment || snap.CourierPosition != nil ||
		len(snap.Events) != 1 || snap.HandoffCode != o.HandoffCode {
		t.Fatalf("snapshot %+v", snap)
	}
	// The tracking socket is read-only.
	tr.ok(t, MsgPing, nil)
	tr.fails(t, MsgLocation, map[string]any{"lat": 1, "lng": 1}, "unknown_message")
	tr.raw(t, []byte(`{"type":`))
	errorFrame(t, tr.read(t), "malformed_request")

	if _, err := env.Engine.ApplyPayment(ctx, dispatch.PaymentEvent{ID: "evt_1", Kind: dispatch.PaymentSucceeded, OrderID: o.ID}); err != nil {
		t.Fatal(err)
	}
	paid := status(t, tr, dispatch.Paid)
	if d := status(t, tr, dispatch.Dispatching); d.Seq <= paid.Seq || d.OrderID != o.ID {
		t.Fatalf("dispatching %+v after paid %+v", d, paid)
	}

	// A courier's fixes before assignment are nobody's business.
	courierID, token := env.newCourier(t, "Kim")
	c := env.online(t, token, pickup)
	env.Clock.Advance(5 * time.Second)
	c.ok(t, MsgLocation, env.fix(geo.Offset(pickup, 10, 0)))
	env.Engine.Tick(ctx)
	of := offerFor(t, c, o.ID)
	acceptID := c.send(t, MsgAccept, map[string]any{"offer_id": of.ID})
	status(t, tr, dispatch.Assigned) // not a position: the fix above went nowhere

	step := func(typ string, state dispatch.State, data map[string]any) {
		t.Helper()
		id := c.send(t, typ, data)
		if reply, _, err := c.replyE(id); err != nil || reply.Type != MsgOK {
			t.Fatalf("%s: %v %s", typ, err, reply.Data)
		}
		status(t, tr, state)
	}
	move := func(p geo.LatLng) {
		t.Helper()
		env.Clock.Advance(5 * time.Second)
		c.ok(t, MsgLocation, env.fix(p))
		position(t, tr, p)
	}
	if reply, _, err := c.replyE(acceptID); err != nil || reply.Type != MsgOK {
		t.Fatalf("accept: %v", err)
	}
	move(geo.Offset(pickup, 20, 0))
	step(MsgArrived, dispatch.AtPickup, map[string]any{"order_id": o.ID})
	move(pickup)
	step(MsgPickedUp, dispatch.PickedUp, map[string]any{"order_id": o.ID})
	move(geo.Offset(pickup, -40, 0))
	step(MsgArrived, dispatch.AtDropoff, map[string]any{"order_id": o.ID})

	// A tracker that joins mid-way sees the courier.
	late, lateSnap := env.tracker(t, o.TrackToken)
	if lateSnap.State != dispatch.AtDropoff || lateSnap.CourierPosition == nil || lateSnap.ETA == nil || len(lateSnap.Events) != 7 {
		t.Fatalf("late snapshot %+v", lateSnap)
	}
	step(MsgDelivered, dispatch.Delivered, map[string]any{"order_id": o.ID, "code": o.HandoffCode})
	if ce := tr.expectClose(t, CloseTrackingEnded); ce.Text != "order delivered" {
		t.Fatalf("close reason %q", ce.Text)
	}
	status(t, late, dispatch.Delivered)
	late.expectClose(t, CloseTrackingEnded)

	// After delivery the courier's fixes reach no tracker, and a new tracker gets the
	// final snapshot and the close.
	env.Clock.Advance(5 * time.Second)
	c.ok(t, MsgLocation, env.fix(pickup))
	done, doneSnap := env.tracker(t, o.TrackToken)
	if doneSnap.State != dispatch.Delivered || doneSnap.CourierPosition != nil || doneSnap.ETA != nil {
		t.Fatalf("final snapshot %+v", doneSnap)
	}
	done.expectClose(t, CloseTrackingEnded)
	if got := env.order(t, o.ID); got.CourierID != courierID || got.State != dispatch.Delivered {
		t.Fatalf("order %s with %q", got.State, got.CourierID)
	}
}
