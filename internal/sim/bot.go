package sim

import (
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// Bot timing (wall time).
const (
	botStep      = 200 * time.Millisecond // default of how often a bot moves and reports its position
	botRedial    = 500 * time.Millisecond // wait before reconnecting after a drop
	botWriteWait = 5 * time.Second
	// botStepWait is how long a bot waits for the answer to a step (arrived, picked_up,
	// delivered) before sending it again; after botSilentSteps such steps in a row it
	// gives up on the connection and reconnects, as an app would.
	botStepWait    = 10 * time.Second
	botSilentSteps = 3
)

// Acceptance odds: franchise couriers nearly always confirm; crowd couriers pick.
const (
	franchiseAccept = 0.95
	crowdAccept     = 0.6
)

// bot is one simulated courier: a real WebSocket client that follows the protocol. Its
// fields belong to the goroutine running run, except kick, which DropSocket signals.
type bot struct {
	id, token string
	kind      courier.Kind
	speed     float64
	pos       geo.LatLng
	bases     []string // instances' base URLs; the bot uses bases[cur]
	cur       int
	clock     *ScaledClock
	codes     *sync.Map
	ledger    *Ledger
	log       *slog.Logger
	rng       *rand.Rand
	kick      chan struct{} // a value asks the bot to drop its socket without a close frame
	every     time.Duration // how often the bot moves and sends a fix

	ws       *websocket.Conn
	msgID    int
	lastSeq  int64
	moved    time.Time
	jobs     map[string]*job // the courier's active orders, by id
	taken    int             // numbers jobs in the order they were taken
	pending  map[string]pend // messages awaiting their answer, by message id
	busy     string          // order whose step awaits its answer ("" none)
	busyAt   time.Time
	answered map[string]bool // offers accepted or declined, by id
	unheard  int             // steps in a row sent again for want of an answer
	heard    time.Time       // when this connection last received a frame
	silences *atomic.Int64   // shared count of connections given up for silence
}

// job is one active order of the courier, as last reported by the server.
type job struct {
	order dispatch.Order
	n     int
}

// pend is a sent message whose answer matters.
type pend struct {
	typ     string // accept, decline, arrived, picked_up, delivered
	orderID string
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

type botError string

func (e botError) Error() string { return string(e) }

const (
	errClosed  = botError("sim: connection closed")
	errDropped = botError("sim: socket dropped on purpose")
	errResync  = botError("sim: state disagrees with the server; reconnecting for hello")
	errSilent  = botError("sim: steps unanswered; reconnecting")
)

// holding describes the orders the bot works on, as "id:state"; only for after run.
func (b *bot) holding() []string {
	var out []string
	for id, j := range b.jobs {
		out = append(out, id+":"+string(j.order.State))
	}
	return out
}

// dropSocket asks the bot to cut its connection; a no-op if a request is already queued.
func (b *bot) dropSocket() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// run keeps the bot connected and working until ctx ends.
func (b *bot) run(ctx context.Context) {
	b.answered = map[string]bool{}
	b.jobs = map[string]*job{}
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
	select { // a drop asked for while disconnected has happened already
	case <-b.kick:
	default:
	}
	base := b.bases[b.cur]
	url := "ws" + strings.TrimPrefix(base, "http") + "/v1/courier/ws"
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
		// This instance may be gone: the next attempt goes to the next one, where a
		// resume point means nothing.
		b.cur = (b.cur + 1) % len(b.bases)
		b.lastSeq = 0
		return err
	}
	b.ws = ws
	b.pending = map[string]pend{}
	b.busy, b.unheard, b.heard = "", 0, time.Now()
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
	dropped := false
	defer func() {
		if !dropped {
			_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second))
		}
		ws.Close()
		<-readDone
	}()
	b.moved = b.clock.Now()
	b.send("location", b.fix(), pend{})
	b.send("availability", map[string]string{"state": string(courier.Available)}, pend{})
	t := time.NewTicker(b.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-b.kick:
			dropped = true
			_ = ws.NetConn().Close() // no close frame: as if the phone lost its network
			return errDropped
		case f, ok := <-frames:
			if !ok {
				return errClosed
			}
			if err := b.handle(f); err != nil {
				return err
			}
		case <-t.C:
			if err := b.step(); err != nil {
				return err
			}
		}
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func (b *bot) fix() map[string]any {
	return map[string]any{"lat": b.pos.Lat, "lng": b.pos.Lng, "accuracy": 5, "at": b.clock.Now().UTC().Format(time.RFC3339Nano)}
}

// send writes one frame and remembers p under its message id when p.typ is set; write
// errors surface as a closed read side.
func (b *bot) send(typ string, data any, p pend) {
	b.msgID++
	raw, _ := json.Marshal(data)
	id := b.id + "-" + itoa(int64(b.msgID))
	if p.typ != "" {
		b.pending[id] = p
	}
	f := frame{Type: typ, ID: id, TS: b.clock.Now().UTC().Format(time.RFC3339Nano), Data: raw}
	_ = b.ws.SetWriteDeadline(time.Now().Add(botWriteWait))
	if err := b.ws.WriteJSON(f); err != nil {
		b.ws.Close()
	}
}

// state is the data of hello and snapshot: the courier's authoritative state.
type state struct {
	Orders []dispatch.Order `json:"orders"`
	Offers []dispatch.Offer `json:"offers"`
}

// handle reacts to one server frame; an error ends the session.
func (b *bot) handle(f frame) error {
	b.heard = time.Now()
	if f.Seq > b.lastSeq {
		b.lastSeq = f.Seq
	}
	switch f.Type {
	case "hello", "snapshot":
		var s state
		if err := json.Unmarshal(f.Data, &s); err != nil {
			b.log.Debug("bad hello", "courier", b.id, "err", err)
			return nil
		}
		if b.log.Enabled(context.Background(), slog.LevelDebug) {
			var ids []string
			for _, o := range s.Orders {
				ids = append(ids, o.ID+":"+string(o.State))
			}
			b.log.Debug(f.Type, "courier", b.id, "orders", ids, "offers", len(s.Offers))
		}
		b.jobs = map[string]*job{}
		b.busy = ""
		for _, o := range s.Orders {
			b.update(o)
		}
		for _, of := range s.Offers {
			b.answer(of)
		}
	case "offer":
		var of dispatch.Offer
		if json.Unmarshal(f.Data, &of) == nil {
			b.answer(of)
		}
	case "order":
		var d struct {
			Order dispatch.Order `json:"order"`
		}
		if json.Unmarshal(f.Data, &d) == nil {
			b.update(d.Order)
		}
	case "ok":
		return b.ok(f)
	case "error":
		return b.refused(f)
	}
	return nil
}

// answer accepts or declines an offer once.
func (b *bot) answer(of dispatch.Offer) {
	if b.answered[of.ID] || (!of.ExpiresAt.IsZero() && b.clock.Now().After(of.ExpiresAt)) {
		return
	}
	b.answered[of.ID] = true
	odds := crowdAccept
	if b.kind == courier.Franchise {
		odds = franchiseAccept
	}
	if b.rng.Float64() < odds {
		b.send("accept", map[string]string{"offer_id": of.ID}, pend{typ: "accept"})
	} else {
		b.send("decline", map[string]string{"offer_id": of.ID}, pend{typ: "decline"})
	}
}

// update records an order's newer state: active orders are kept, closed ones dropped.
func (b *bot) update(o dispatch.Order) {
	if o.ID == "" {
		return
	}
	j, ok := b.jobs[o.ID]
	if ok && o.Version != 0 && o.Version < j.order.Version {
		return
	}
	switch o.State {
	case dispatch.Assigned, dispatch.AtPickup, dispatch.PickedUp, dispatch.AtDropoff:
		if !ok {
			b.taken++
			j = &job{n: b.taken}
			b.jobs[o.ID] = j
		}
		j.order = o
	default:
		if ok {
			b.log.Debug("job closed", "courier", b.id, "order", o.ID, "state", o.State, "version", o.Version)
		}
		delete(b.jobs, o.ID)
	}
	if b.busy == o.ID {
		b.busy = ""
	}
}

// ok handles the answer to one of the bot's messages.
func (b *bot) ok(f frame) error {
	p, ok := b.pending[f.Ack]
	if !ok {
		return nil
	}
	delete(b.pending, f.Ack)
	var d struct {
		Orders []dispatch.Order `json:"orders"`
		Order  dispatch.Order   `json:"order"`
	}
	_ = json.Unmarshal(f.Data, &d)
	switch p.typ {
	case "accept":
		for _, o := range d.Orders {
			b.ledger.accepted(o.ID, b.id)
			b.update(o)
		}
	case "arrived", "picked_up", "delivered":
		b.unheard = 0
		if d.Order.State == dispatch.Delivered {
			b.ledger.delivered(d.Order.ID)
		}
		b.update(d.Order)
		if b.busy == p.orderID {
			b.busy = ""
		}
	}
	return nil
}

// refused handles an error answer. A step the server finds out of place means the bot's
// view is stale: it reconnects, and hello says how things stand.
func (b *bot) refused(f frame) error {
	p, ok := b.pending[f.Ack]
	if !ok {
		b.log.Debug("courier error frame", "courier", b.id, "data", string(f.Data))
		return nil
	}
	delete(b.pending, f.Ack)
	if p.orderID == "" {
		return nil
	}
	b.unheard = 0
	var e struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(f.Data, &e)
	if b.busy == p.orderID {
		b.busy = ""
	}
	b.log.Debug("step refused", "courier", b.id, "order", p.orderID, "step", p.typ, "code", e.Code)
	switch e.Code {
	case "not_found", "not_yours":
		delete(b.jobs, p.orderID)
	case "invalid_transition":
		return errResync
	}
	return nil
}

// atShop is how close a bot must be to a pickup to collect it without riding.
const atShop = 30 // metres

// next returns the job to work on: an order waiting at the shop where the bot stands
// (a bundle is collected together), else the oldest job taken, to its pickup or its
// drop-off. Working oldest first means a new assignment never starves an order the bot
// already carries.
func (b *bot) next() *job {
	var here, oldest *job
	for _, j := range b.jobs {
		s := j.order.State
		if (s == dispatch.Assigned || s == dispatch.AtPickup) && geo.Distance(b.pos, j.order.Pickup.Pos) < atShop {
			if here == nil || j.n < here.n {
				here = j
			}
		}
		if oldest == nil || j.n < oldest.n {
			oldest = j
		}
	}
	if here != nil {
		return here
	}
	return oldest
}

// step moves the bot toward its current job and reports the next step on arrival. One
// step is in flight at a time; one unanswered for botStepWait is sent again, and
// botSilentSteps of those in a row end the connection (errSilent).
func (b *bot) step() error {
	now := b.clock.Now()
	dt := now.Sub(b.moved).Seconds()
	b.moved = now
	if b.busy != "" && time.Since(b.busyAt) > botStepWait {
		b.unheard++
		b.log.Warn("courier step unanswered", "courier", b.id, "order", b.busy, "tries", b.unheard,
			"last_frame_ago", time.Since(b.heard).Round(time.Millisecond), "instance", b.bases[b.cur])
		b.busy = ""
		if b.unheard >= botSilentSteps {
			b.silences.Add(1)
			return errSilent
		}
	}
	j := b.next()
	if j == nil {
		b.send("location", b.fix(), pend{})
		return nil
	}
	o := j.order
	target := o.Dropoff.Pos
	if o.State == dispatch.Assigned || o.State == dispatch.AtPickup {
		target = o.Pickup.Pos
	}
	d := geo.Distance(b.pos, target)
	if reach := b.speed * dt; reach < d {
		b.pos = geo.Toward(b.pos, target, reach/d)
		b.send("location", b.fix(), pend{})
		return nil
	}
	b.pos = target
	b.send("location", b.fix(), pend{})
	if b.busy != "" {
		return nil
	}
	var typ string
	data := map[string]string{"order_id": o.ID}
	switch o.State {
	case dispatch.Assigned, dispatch.PickedUp:
		typ = "arrived"
	case dispatch.AtPickup:
		if now.Before(o.ReadyAt) {
			return nil
		}
		typ = "picked_up"
	case dispatch.AtDropoff:
		typ = "delivered"
		code, _ := b.codes.Load(o.ID)
		data["code"], _ = code.(string)
	default:
		return nil
	}
	b.busy, b.busyAt = o.ID, time.Now()
	b.send(typ, data, pend{typ: typ, orderID: o.ID})
	return nil
}
