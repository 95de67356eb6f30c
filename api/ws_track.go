package api

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/realtime"
)

const (
	// trackPendingMax bounds the frames held while a tracker's snapshot is being read.
	trackPendingMax = 64
	// trackETAGap is the least time between two ETA checks of one tracker (wall time):
	// position frames trigger a check, but a courier sending fixes several times a
	// second does not make the server estimate that often.
	trackETAGap = time.Second
	// trackETAPeriod is the longest time between two ETA checks of one tracker, so the
	// estimate moves on even while no frame arrives.
	trackETAPeriod = 15 * time.Second
)

// handleTrackWS is GET /v1/track/{token}/ws: the customer's live tracking stream. The
// token is the capability; an unknown token is a 404 problem before any upgrade. The
// client receives a snapshot (the JSON of GET /v1/track/{token}), then a status frame per
// state change and position frames while a courier is on the way; at a terminal state
// the server sends the last status and closes with 4001. Clients may only ping.
func (s *Server) handleTrackWS(c echo.Context) error {
	token := c.Param("token")
	ctx := c.Request().Context()
	t, err := s.track(ctx, token)
	if err != nil {
		return err
	}
	ws, err := s.upgrade(c)
	if err != nil {
		return nil
	}
	conn := realtime.NewConn(ws, s.cfg.WS)
	defer s.hub.Register(conn)()
	g := &trackGate{conn: conn, ended: make(chan dispatch.State, 1), kick: make(chan struct{}, 1)}
	unsubscribe := s.hub.Subscribe(trackTopic(t.Order.ID), g)
	defer unsubscribe()

	// Read again now that the stream is subscribed, so no event falls between the
	// snapshot and the stream; the gate drops what the snapshot already holds.
	view, o, err := s.trackSnapshot(ctx, token)
	if err != nil {
		s.log.Error("tracking snapshot", "order", t.Order.ID, "err", err)
		conn.Close(CloseInternal, "internal error")
		_ = conn.Serve(ctx, nil)
		return nil
	}
	s.feed.noteOrder(o)
	_ = conn.Send(encodeFrame(MsgSnapshot, 0, "", s.engine.Now(), view))
	g.start(o)

	closerDone, etaDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(closerDone)
		g.closeWhenEnded()
	}()
	go func() {
		defer close(etaDone)
		s.trackETA(ctx, g, token, view.ETAWindow)
	}()
	err = conn.Serve(ctx, s.readOnlyMessages(conn))
	<-closerDone
	<-etaDone
	if g.isFinal() {
		s.feed.dropOrder(o.ID)
	}
	s.log.Debug("tracking socket closed", "order", o.ID, "reason", err)
	return nil
}

// trackSnapshot builds the same view as GET /v1/track/{token}, with the timeline cut at
// the order's seq so that it matches the state it shows.
func (s *Server) trackSnapshot(ctx context.Context, token string) (trackView, dispatch.Order, error) {
	t, err := s.track(ctx, token)
	if err != nil {
		return trackView{}, dispatch.Order{}, err
	}
	o := t.Order
	events, err := s.engine.Events(ctx, o.MerchantID, o.ID, 0)
	if err != nil {
		return trackView{}, dispatch.Order{}, err
	}
	v := trackView{
		OrderID: o.ID, State: o.State,
		Pickup:     trackStop{Name: o.Pickup.Name, Pos: o.Pickup.Pos},
		Dropoff:    trackStop{Pos: o.Dropoff.Pos},
		PromisedAt: o.PromisedAt, CourierPosition: t.CourierPos,
		Events: []trackStep{}, HandoffCode: o.HandoffCode,
	}
	if !t.ETA.IsZero() {
		v.ETA = &t.ETA
		v.ETAWindow = newETAWindow(s.engine.Now(), t.ETA)
	}
	if o.CourierID != "" && (o.State.Active() || o.State == dispatch.Delivered) {
		c, err := s.dir.Courier(ctx, o.CourierID)
		if err != nil {
			return trackView{}, dispatch.Order{}, err
		}
		v.Courier = &trackCourier{FirstName: firstName(c.Name), Vehicle: c.Vehicle}
	}
	for _, e := range events {
		if e.Seq <= o.Seq && e.Type == dispatch.StateEvent(e.State) {
			v.Events = append(v.Events, trackStep{State: e.State, At: e.At})
		}
	}
	return v, o, nil
}

// trackETA sends an "eta" frame each time the window around the order's estimate
// changes: checked after status and position frames (at most once per trackETAGap) and
// every trackETAPeriod. last is the window the snapshot showed. It returns when the
// connection is done or the order is closed.
func (s *Server) trackETA(ctx context.Context, g *trackGate, token string, last *etaWindow) {
	tick := time.NewTicker(trackETAPeriod)
	defer tick.Stop()
	gap := time.NewTimer(trackETAGap)
	defer gap.Stop()
	for {
		select {
		case <-g.conn.Done():
			return
		case <-g.kick:
		case <-tick.C:
		}
		t, err := s.track(ctx, token)
		if err != nil || t.ETA.IsZero() {
			return // closed (the gate closes the socket) or gone
		}
		now := s.engine.Now()
		if w := newETAWindow(now, t.ETA); last == nil || !w.From.Equal(last.From) || !w.To.Equal(last.To) {
			last = w
			if !g.sendUnlessFinal(encodeFrame(MsgETA, 0, "", now, ETAData{ETA: t.ETA, Window: *w})) {
				return
			}
		}
		gap.Reset(trackETAGap)
		select {
		case <-g.conn.Done():
			return
		case <-gap.C:
		}
	}
}

// readOnlyMessages answers the client of a read-only socket (tracking, operators): ping
// gets ok, anything else an error frame.
func (s *Server) readOnlyMessages(conn *realtime.Conn) func([]byte) {
	return func(b []byte) {
		typ, id, data, err := parseEnvelope(b)
		if err == nil {
			if typ == MsgPing {
				err = noData(data)
			} else {
				err = fmt.Errorf("%w: this socket is read-only and accepts only ping, not %q", ErrUnknownMessage, typ)
			}
		}
		s.reply(conn, id, noResult{}, err)
	}
}

// trackGate is the hub subscriber of one tracking socket. Until start it holds frames
// back (the snapshot goes first); then it forwards them, dropping status frames the
// snapshot already covers, and on a terminal status it forwards that frame, drops
// everything after it and signals ended. It decodes the frames it forwards, so it works
// the same whether the frames come from this process or another instance's feed.
type trackGate struct {
	conn  *realtime.Conn
	ended chan dispatch.State // receives the terminal state, once
	kick  chan struct{}       // capacity 1: a status or position went out, check the ETA

	mu      sync.Mutex
	started bool
	after   int64 // status frames with seq ≤ after are in the snapshot
	final   bool
	pending [][]byte
}

// Send implements realtime.Subscriber; it never blocks.
func (g *trackGate) Send(b []byte) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.started {
		return g.forwardLocked(b)
	}
	if len(g.pending) == trackPendingMax {
		g.conn.Close(ClosePolicy, "slow consumer")
		return realtime.ErrSlowConsumer
	}
	g.pending = append(g.pending, b)
	return nil
}

// start releases the held frames after the snapshot of o was queued.
func (g *trackGate) start(o dispatch.Order) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.started, g.after = true, o.Seq
	if o.State.Terminal() {
		g.endLocked(o.State)
	}
	for _, b := range g.pending {
		_ = g.forwardLocked(b)
	}
	g.pending = nil
}

func (g *trackGate) forwardLocked(b []byte) error {
	if g.final {
		return nil
	}
	var head struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	var st StatusData
	if json.Unmarshal(b, &head) != nil {
		return g.conn.Send(b)
	}
	if head.Type == MsgStatus || head.Type == MsgPosition {
		select {
		case g.kick <- struct{}{}:
		default:
		}
	}
	if head.Type == MsgStatus && json.Unmarshal(head.Data, &st) == nil {
		if st.Seq <= g.after {
			return nil
		}
		if st.State.Terminal() {
			err := g.conn.Send(b)
			g.endLocked(st.State)
			return err
		}
	}
	return g.conn.Send(b)
}

func (g *trackGate) endLocked(st dispatch.State) {
	g.final = true
	g.ended <- st // capacity 1, sent at most once
}

// sendUnlessFinal queues b unless the terminal status went out already, so that no
// frame follows it; it reports whether b was queued.
func (g *trackGate) sendUnlessFinal(b []byte) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return !g.final && g.started && g.conn.Send(b) == nil
}

func (g *trackGate) isFinal() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.final
}

// closeWhenEnded closes the socket with 4001 once the terminal status frame queued
// before it has been written; it returns when the connection is done.
func (g *trackGate) closeWhenEnded() {
	select {
	case st := <-g.ended:
		_ = g.conn.CloseAfterQueued(CloseTrackingEnded, "order "+string(st))
	case <-g.conn.Done():
	}
}
