package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// offerFor reads the next frame, which must be an offer of order, and returns it.
func offerFor(t testing.TB, c *wsClient, order string) OfferView {
	t.Helper()
	env := c.expect(t, MsgOffer)
	var of OfferView
	decodeData(t, env, &of)
	if len(of.OrderIDs) != 1 || of.OrderIDs[0] != order || of.Kind != dispatch.OfferBroadcast || !of.ExpiresAt.After(of.CreatedAt) || env.Seq == 0 {
		t.Fatalf("offer %s (seq %d), want a broadcast of %s", env.Data, env.Seq, order)
	}
	return of
}

// orderFrame reads the next frame, which must be an order update to state.
func orderFrame(t testing.TB, c *wsClient, order string, state dispatch.State) Envelope {
	t.Helper()
	env := c.expect(t, MsgOrder)
	var u OrderUpdate
	decodeData(t, env, &u)
	if u.Order.ID != order || u.Order.State != state || u.Event != dispatch.StateEvent(state) {
		t.Fatalf("order frame %s, want %s %s", env.Data, order, state)
	}
	return env
}

// deliver takes an assigned order through pickup and delivery via the engine.
func deliver(t testing.TB, env *wsEnv, courierID string, o dispatch.Order) {
	t.Helper()
	ctx := context.Background()
	if _, err := env.Engine.PickedUp(ctx, courierID, o.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Engine.Delivered(ctx, courierID, o.ID, o.HandoffCode); err != nil {
		t.Fatal(err)
	}
}

func TestCourierWSForeignOfferAndOrder(t *testing.T) {
	env := newWSEnv(t, wsOptions{})
	_, tokA := env.newCourier(t, "Ana")
	idB, tokB := env.newCourier(t, "Ben")
	a := env.online(t, tokA, pickup)
	b := env.online(t, tokB, pickup)
	o := env.paidOrder(t)
	env.Engine.Tick(context.Background())
	offerA := offerFor(t, a, o.ID)
	offerB := offerFor(t, b, o.ID)
	if strings.Contains(fmt.Sprint(offerA), "+33100000000") || strings.Contains(fmt.Sprint(offerA), "3rd floor") {
		t.Fatalf("offer shows the customer's phone or notes before acceptance: %+v", offerA)
	}

	a.fails(t, MsgAccept, map[string]any{"offer_id": offerB.ID}, "not_yours")
	a.fails(t, MsgDecline, map[string]any{"offer_id": offerB.ID}, "not_yours")
	if got := env.order(t, o.ID); got.State != dispatch.Dispatching || got.CourierID != "" {
		t.Fatalf("order %s courier %q after a foreign accept", got.State, got.CourierID)
	}

	id := b.send(t, MsgAccept, map[string]any{"offer_id": offerB.ID})
	reply, before, err := b.replyE(id)
	if err != nil {
		t.Fatal(err)
	}
	var res AcceptResult
	decodeData(t, reply, &res)
	if reply.Type != MsgOK || len(res.Orders) != 1 || res.Orders[0].ID != o.ID || res.Orders[0].State != dispatch.Assigned {
		t.Fatalf("accept reply %s %s", reply.Type, reply.Data)
	}
	if len(before) != 1 || before[0].Type != MsgOrder {
		t.Fatalf("frames before the accept reply: %v, want one order update", frameTypes(before))
	}
	for _, f := range append(before, reply) {
		if s := string(f.Data); strings.Contains(s, o.HandoffCode) || strings.Contains(s, "handoff") || strings.Contains(s, o.TrackToken) {
			t.Fatalf("courier frame leaks the handoff code or tracking token: %s", s)
		}
	}
	// Accepting again is idempotent.
	if again := b.ok(t, MsgAccept, map[string]any{"offer_id": offerB.ID}); !strings.Contains(string(again.Data), o.ID) {
		t.Fatalf("second accept %s", again.Data)
	}
	w := a.expect(t, MsgOfferWithdrawn)
	if !strings.Contains(string(w.Data), offerA.ID) {
		t.Fatalf("withdrawn %s, want offer %s", w.Data, offerA.ID)
	}
	a.fails(t, MsgAccept, map[string]any{"offer_id": offerA.ID}, "offer_gone")

	for _, typ := range []string{MsgArrived, MsgPickedUp} {
		a.fails(t, typ, map[string]any{"order_id": o.ID}, "not_yours")
	}
	a.fails(t, MsgDelivered, map[string]any{"order_id": o.ID, "code": o.HandoffCode}, "not_yours")
	b.fails(t, MsgPickedUp, map[string]any{"order_id": "ord_unknown"}, "not_found")
	if got := env.order(t, o.ID); got.State != dispatch.Assigned || got.CourierID != idB || !got.PickedUpAt.IsZero() {
		t.Fatalf("order %s courier %q after foreign steps, want assigned to %s", got.State, got.CourierID, idB)
	}

	// The owner moves it on; a wrong code changes nothing.
	b.send(t, MsgPickedUp, map[string]any{"order_id": o.ID})
	orderFrame(t, b, o.ID, dispatch.PickedUp)
	b.expect(t, MsgOK)
	b.fails(t, MsgDelivered, map[string]any{"order_id": o.ID, "code": "wrong"}, "wrong_handoff_code")
	if got := env.order(t, o.ID); got.State != dispatch.PickedUp {
		t.Fatalf("order %s after a wrong code", got.State)
	}
}

// TestCourierWSCrowdContest has twenty crowd couriers, each on its own socket, accept
// one broadcast at once, many times over: exactly one wins, the others get offer_gone
// and a withdrawal, and the order is the winner's. Most rounds race engine.Accept from
// twenty goroutines; every fortieth races accept frames over the sockets.
func TestCourierWSCrowdContest(t *testing.T) {
	const couriers, rounds = 20, 200
	env := newWSEnv(t, wsOptions{})
	ids := make([]string, couriers)
	clients := make([]*wsClient, couriers)
	for i := range couriers {
		var tok string
		ids[i], tok = env.newCourier(t, fmt.Sprintf("Crowd %d", i))
		clients[i] = env.online(t, tok, pickup)
	}
	ctx := context.Background()
	for round := range rounds {
		o := env.paidOrder(t)
		env.Engine.Tick(ctx)
		offers := make([]OfferView, couriers)
		for i, c := range clients {
			offers[i] = offerFor(t, c, o.ID)
		}

		overSockets := round%40 == 0
		type result struct {
			ok     bool
			code   string
			orders []string
			before []Envelope
		}
		results := make([]result, couriers)
		errs := make([]error, couriers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range couriers {
			wg.Go(func() {
				<-start
				r := &results[i]
				if !overSockets {
					os, err := env.Engine.Accept(ctx, ids[i], offers[i].ID)
					r.ok, r.code = err == nil, lookup(err).code
					for _, o := range os {
						r.orders = append(r.orders, o.ID)
					}
					return
				}
				id, err := clients[i].sendE(MsgAccept, map[string]any{"offer_id": offers[i].ID})
				if err != nil {
					errs[i] = err
					return
				}
				reply, before, err := clients[i].replyE(id)
				if err != nil {
					errs[i] = err
					return
				}
				r.before = before
				if r.ok = reply.Type == MsgOK; r.ok {
					var res AcceptResult
					errs[i] = json.Unmarshal(reply.Data, &res)
					for _, o := range res.Orders {
						r.orders = append(r.orders, o.ID)
					}
				} else {
					var ed ErrorData
					errs[i] = json.Unmarshal(reply.Data, &ed)
					r.code = ed.Code
				}
			})
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}

		winner := -1
		for i, r := range results {
			switch {
			case r.ok && winner >= 0:
				t.Fatalf("round %d: couriers %d and %d both won", round, winner, i)
			case r.ok:
				winner = i
				if len(r.orders) != 1 || r.orders[0] != o.ID {
					t.Fatalf("round %d: winner got orders %v, want [%s]", round, r.orders, o.ID)
				}
			case r.code != "offer_gone":
				t.Fatalf("round %d: courier %d got %q, want offer_gone", round, i, r.code)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: nobody won", round)
		}
		if got := env.order(t, o.ID); got.State != dispatch.Assigned || got.CourierID != ids[winner] {
			t.Fatalf("round %d: order %s with %q, want assigned to the winner %s", round, got.State, got.CourierID, ids[winner])
		}

		// Every courier's stream says the same: the winner's order update, a withdrawal
		// for each of the others (over sockets, already read before the reply).
		for i, c := range clients {
			want := MsgOfferWithdrawn
			if i == winner {
				want = MsgOrder
			}
			if overSockets {
				if got := frameTypes(results[i].before); len(got) != 1 || got[0] != want {
					t.Fatalf("round %d: courier %d saw %v before its reply, want [%s]", round, i, got, want)
				}
				continue
			}
			c.expect(t, want)
		}
		deliver(t, env, ids[winner], env.order(t, o.ID))
		orderFrame(t, clients[winner], o.ID, dispatch.PickedUp)
		orderFrame(t, clients[winner], o.ID, dispatch.Delivered)
	}
	// Nobody is left busy or holding stray frames.
	for i, c := range clients {
		c.ok(t, MsgPing, nil)
		if e, _ := env.Engine.Index().Get(ids[i]); e.State != courier.Available {
			t.Fatalf("courier %d is %s at the end", i, e.State)
		}
	}
}
