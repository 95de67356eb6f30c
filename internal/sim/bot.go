package sim

import (
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// Bot timing (wall time).
const (
	botStep      = 200 * time.Millisecond // how often a bot moves and reports its position
	botRedial    = time.Second            // wait before reconnecting after a drop
	botWriteWait = 5 * time.Second
)

// Acceptance odds: franchise couriers nearly always confirm; crowd couriers pick.
const (
	franchiseAccept = 0.95
	crowdAccept     = 0.6
)

// bot is one simulated courier: a real WebSocket client that follows the protocol.
type bot struct {
	id, token string
	kind      courier.Kind
	speed     float64
	pos       geo.LatLng
	base      string
	clock     *ScaledClock
	codes     *sync.Map
	log       *slog.Logger
	rng       *rand.Rand

	ws      *websocket.Conn
	msgID   int
	lastSeq int64
	plan    []stop
	moved   time.Time
	waiting map[string]bool // accepts sent, by offer id
}

// stop is one place on the courier's route.
type stop struct {
	orderID string
	pickup  bool
	pos     geo.LatLng
	ready   time.Time
	arrived bool
}

// frame is the protocol envelope (docs/protocol.md).
type frame struct {
	Type string          `json:"type"`
	ID   string          `json:"id,omitempty"`
	Seq  int64           `json:"seq,omitempty"`
	Ack  string          `json:"ack,omitempty"`
	TS   string          `json:"ts,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// run keeps the bot connected and working until ctx ends.
func (b *bot) run(ctx context.Context) {
	b.waiting = map[string]bool{}
	for ctx.Err() == nil {
		if err := b.session(ctx); err != nil && ctx.Err() == nil {
			b.log.Debug("courier session ended", "courier", b.id, "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(botRedial):
		}
	}
}

// session is one connection's life.
func (b *bot) session(ctx context.Context) error {
	url := "ws" + strings.TrimPrefix(b.base, "http") + "/v1/courier/ws"
	if b.lastSeq > 0 {
		url += "?resume=" + itoa(b.lastSeq)
	}
	h := http.Header{"Authorization": {"Bearer " + b.token}}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	ws, resp, err := d.DialContext(ctx, url, h)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return err
	}
	b.ws = ws
	frames := make(chan frame, 64)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer close(frames)
		for {
			var f frame
			if err := ws.ReadJSON(&f); err != nil {
				return
			}
			select {
			case frames <- f:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() {
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second))
		ws.Close()
		<-readDone
	}()
	b.moved = b.clock.Now()
	b.send("location", b.fix())
	b.send("availability", map[string]string{"state": string(courier.Available)})
	t := time.NewTicker(botStep)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case f, ok := <-frames:
			if !ok {
				return errClosed
			}
			b.handle(f)
		case <-t.C:
			b.step()
		}
	}
}

type botError string

func (e botError) Error() string { return string(e) }

const errClosed = botError("sim: connection closed")

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func (b *bot) fix() map[string]any {
	return map[string]any{"lat": b.pos.Lat, "lng": b.pos.Lng, "accuracy": 5, "at": b.clock.Now().UTC().Format(time.RFC3339Nano)}
}

// send writes one frame; errors surface as a closed read side.
func (b *bot) send(typ string, data any) {
	b.msgID++
	raw, _ := json.Marshal(data)
	f := frame{Type: typ, ID: b.id + "-" + itoa(int64(b.msgID)), TS: b.clock.Now().UTC().Format(time.RFC3339Nano), Data: raw}
	_ = b.ws.SetWriteDeadline(time.Now().Add(botWriteWait))
	if err := b.ws.WriteJSON(f); err != nil {
		b.ws.Close()
	}
}

// handle reacts to one server frame.
func (b *bot) handle(f frame) {
	if f.Seq > b.lastSeq {
		b.lastSeq = f.Seq
	}
	switch f.Type {
	case "offer":
		var of dispatch.Offer
		if json.Unmarshal(f.Data, &of) != nil {
			return
		}
		odds := crowdAccept
		if b.kind == courier.Franchise {
			odds = franchiseAccept
		}
		if b.rng.Float64() < odds {
			b.waiting[of.ID] = true
			b.send("accept", map[string]string{"offer_id": of.ID})
		} else {
			b.send("decline", map[string]string{"offer_id": of.ID})
		}
	case "ok":
		var res struct {
			Orders []dispatch.Order `json:"orders"`
		}
		if json.Unmarshal(f.Data, &res) == nil && len(res.Orders) > 0 {
			b.take(res.Orders)
		}
	case "order":
		var o dispatch.Order
		if json.Unmarshal(f.Data, &o) == nil && o.State.Terminal() {
			b.drop(o.ID)
		}
	case "error":
		b.log.Debug("courier error frame", "courier", b.id, "data", string(f.Data))
	}
}

// take adds accepted orders to the route: one pickup per order at the shop, then the
// drop-offs nearest first.
func (b *bot) take(orders []dispatch.Order) {
	for _, o := range orders {
		if b.has(o.ID) {
			continue
		}
		b.plan = append(b.plan, stop{orderID: o.ID, pickup: true, pos: o.Pickup.Pos, ready: o.ReadyAt})
	}
	for _, o := range orders {
		b.plan = append(b.plan, stop{orderID: o.ID, pos: o.Dropoff.Pos})
	}
}

func (b *bot) has(orderID string) bool {
	for _, s := range b.plan {
		if s.orderID == orderID {
			return true
		}
	}
	return false
}

func (b *bot) drop(orderID string) {
	kept := b.plan[:0]
	for _, s := range b.plan {
		if s.orderID != orderID {
			kept = append(kept, s)
		}
	}
	b.plan = kept
}

// step moves the bot toward its next stop and acts on arrival.
func (b *bot) step() {
	now := b.clock.Now()
	dt := now.Sub(b.moved).Seconds()
	b.moved = now
	if len(b.plan) == 0 {
		b.send("location", b.fix())
		return
	}
	s := &b.plan[0]
	d := geo.Distance(b.pos, s.pos)
	if reach := b.speed * dt; reach < d {
		b.pos = geo.Toward(b.pos, s.pos, reach/d)
		b.send("location", b.fix())
		return
	}
	b.pos = s.pos
	b.send("location", b.fix())
	if !s.arrived {
		s.arrived = true
		b.send("arrived", map[string]string{"order_id": s.orderID})
	}
	if s.pickup {
		if now.Before(s.ready) {
			return
		}
		b.send("picked_up", map[string]string{"order_id": s.orderID})
	} else {
		code, _ := b.codes.Load(s.orderID)
		c, _ := code.(string)
		b.send("delivered", map[string]string{"order_id": s.orderID, "code": c})
	}
	b.plan = b.plan[1:]
}
