package api

import (
	"context"
	"fmt"
	"testing"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// busyCourier connects a courier, gives it n orders and returns the client, the orders
// and the last seq it has seen.
func busyCourier(t *testing.T, env *wsEnv, token string, n int) (*wsClient, []dispatch.Order, int64) {
	t.Helper()
	c := env.online(t, token, pickup)
	var orders []dispatch.Order
	var last int64
	for range n {
		o := env.paidOrder(t)
		env.Engine.Tick(context.Background())
		of := offerFor(t, c, o.ID)
		id := c.send(t, MsgAccept, map[string]any{"offer_id": of.ID})
		last = orderFrame(t, c, o.ID, dispatch.Assigned).Seq
		if reply, _, err := c.replyE(id); err != nil || reply.Type != MsgOK {
			t.Fatalf("accept: %v %s", err, reply.Data)
		}
		orders = append(orders, o)
	}
	return c, orders, last
}

// leave closes the client's socket and waits until the server has handled it.
func leave(t *testing.T, env *wsEnv, c *wsClient) {
	t.Helper()
	_ = c.c.Close()
	env.waitFinished(t, "/v1/courier/ws")
}

func cancelAll(t *testing.T, env *wsEnv, orders []dispatch.Order) {
	t.Helper()
	for _, o := range orders {
		if _, err := env.Engine.Cancel(context.Background(), env.Merchant, o.ID, "out of stock"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCourierWSResumeReplaysMissedFrames(t *testing.T) {
	env := newWSEnv(t, wsOptions{})
	_, token := env.newCourier(t, "Kim")
	c, orders, last := busyCourier(t, env, token, 2)
	leave(t, env, c)
	cancelAll(t, env, orders) // published while nobody listens

	c, hello := env.courier(t, token, fmt.Sprintf("?resume=%d", last))
	if hello.ResumeFrom != last {
		t.Fatalf("hello resume_from %d, want %d", hello.ResumeFrom, last)
	}
	// Its orders ended while it was away, so it went offline rather than stay "available"
	// with nobody behind it.
	if hello.State != courier.Offline || len(hello.Orders) != 0 {
		t.Fatalf("hello state %s orders %d, want offline with none", hello.State, len(hello.Orders))
	}
	for i, o := range orders {
		f := orderFrame(t, c, o.ID, dispatch.Canceled)
		if f.Seq != last+int64(i)+1 {
			t.Fatalf("replayed frame %d has seq %d, want %d", i, f.Seq, last+int64(i)+1)
		}
	}
	c.ok(t, MsgPing, nil) // nothing else was queued

	// A resume at the current position replays nothing; no resume neither.
	leave(t, env, c)
	c, hello = env.courier(t, token, fmt.Sprintf("?resume=%d", last+2))
	if hello.ResumeFrom != last+2 {
		t.Fatalf("hello resume_from %d, want %d", hello.ResumeFrom, last+2)
	}
	c.ok(t, MsgPing, nil)
	leave(t, env, c)
	c, hello = env.courier(t, token, "")
	if hello.ResumeFrom != last+2 {
		t.Fatalf("hello without resume has resume_from %d, want the current seq %d", hello.ResumeFrom, last+2)
	}
	c.ok(t, MsgPing, nil)
}

func TestCourierWSResumeTooOldGetsSnapshot(t *testing.T) {
	env := newWSEnv(t, wsOptions{feed: FeedConfig{Replay: 2}})
	_, token := env.newCourier(t, "Kim")
	c, orders, last := busyCourier(t, env, token, 3)
	leave(t, env, c)
	cancelAll(t, env, orders) // three frames, the stream keeps two
	now := last + 3

	for _, resume := range []int64{last, 0, now + 100} {
		c, hello := env.courier(t, token, fmt.Sprintf("?resume=%d", resume))
		if hello.ResumeFrom != now {
			t.Fatalf("resume %d: hello resume_from %d, want %d", resume, hello.ResumeFrom, now)
		}
		snap := c.expect(t, MsgSnapshot)
		var s CourierSnapshot
		decodeData(t, snap, &s)
		if snap.Seq != now || s.State != hello.State || s.Orders == nil || len(s.Orders) != 0 || len(s.Offers) != 0 {
			t.Fatalf("resume %d: snapshot seq %d %s", resume, snap.Seq, snap.Data)
		}
		c.ok(t, MsgPing, nil)
		leave(t, env, c)
	}
}

func TestCourierWSSnapshotCarriesActiveOrders(t *testing.T) {
	env := newWSEnv(t, wsOptions{feed: FeedConfig{Replay: 1}})
	_, token := env.newCourier(t, "Kim")
	c, orders, _ := busyCourier(t, env, token, 2)
	leave(t, env, c)
	c, hello := env.courier(t, token, "?resume=1")
	if hello.State != courier.Busy || len(hello.Orders) != 2 {
		t.Fatalf("hello %s with %d orders, want busy with 2", hello.State, len(hello.Orders))
	}
	var s CourierSnapshot
	decodeData(t, c.expect(t, MsgSnapshot), &s)
	if len(s.Orders) != 2 || s.Orders[0].Dropoff.Phone == "" {
		t.Fatalf("snapshot orders %+v, want both with full drop-off details", s.Orders)
	}
	for _, o := range s.Orders {
		if o.ID != orders[0].ID && o.ID != orders[1].ID {
			t.Fatalf("snapshot has order %s", o.ID)
		}
	}
}

// After a gap in the live stream (the bus between instances lost messages), every socket
// is closed with 4002 and a courier resuming from its last seq gets a snapshot, not a
// replay that would pretend nothing was missed.
func TestResyncClosesSocketsAndForcesSnapshot(t *testing.T) {
	env := newWSEnv(t, wsOptions{})
	_, token := env.newCourier(t, "Kim")
	c, orders, last := busyCourier(t, env, token, 1)
	env.Server.Resync()
	c.expectClose(t, CloseResync)
	env.waitFinished(t, "/v1/courier/ws")

	c, hello := env.courier(t, token, fmt.Sprintf("?resume=%d", last))
	snap := c.expect(t, MsgSnapshot)
	var s CourierSnapshot
	decodeData(t, snap, &s)
	if hello.ResumeFrom <= last || snap.Seq != hello.ResumeFrom || len(s.Orders) != 1 || s.Orders[0].ID != orders[0].ID {
		t.Fatalf("after resync: hello resume_from %d (last seen %d), snapshot seq %d %s; want a snapshot past the gap with the order",
			hello.ResumeFrom, last, snap.Seq, snap.Data)
	}
	c.ok(t, MsgPing, nil)
}
