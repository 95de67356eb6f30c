package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/internal/realtime"
)

// handshakeTimeout bounds writing the upgrade response.
const handshakeTimeout = 10 * time.Second

// upgrade switches the request to a WebSocket. Any origin is allowed: the courier socket
// is used by a native app and authenticates with a bearer token, the tracking socket by
// an unguessable token in its URL; neither relies on cookies, so a foreign page gains
// nothing it could not do without a browser. A failed handshake has been answered with
// a problem document when upgrade returns an error.
func (s *Server) upgrade(c echo.Context) (*websocket.Conn, error) {
	up := websocket.Upgrader{
		HandshakeTimeout: handshakeTimeout,
		CheckOrigin:      func(*http.Request) bool { return true },
		Error: func(_ http.ResponseWriter, _ *http.Request, status int, reason error) {
			p := problemFor(fmt.Errorf("%w: %v", ErrHandshake, reason))
			p.Status = status
			s.writeProblem(c, p)
		},
	}
	return up.Upgrade(c.Response(), c.Request(), nil)
}

// sendRoom is how many frames a fresh connection's send queue takes.
func sendRoom(cfg realtime.Config) int {
	if cfg.SendQueue > 0 {
		return cfg.SendQueue
	}
	return realtime.DefaultSendQueue
}

// resumeParam reads ?resume=<seq>; nil when absent.
func resumeParam(v string) (*int64, error) {
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return nil, fieldError("resume", "must be a non-negative integer (the last seq received)")
	}
	return &n, nil
}

// handleCourierWS is GET /v1/courier/ws: the courier app's one connection. The bearer
// token is checked before the upgrade (401 problem, no WebSocket). A second connection
// of the same courier replaces the first, which is closed with 4000. See
// docs/protocol.md.
func (s *Server) handleCourierWS(c echo.Context) error {
	r := c.Request()
	ctx := r.Context()
	cour, err := s.courierFor(ctx, r)
	if err != nil {
		return err
	}
	resume, err := resumeParam(c.QueryParam("resume"))
	if err != nil {
		return err
	}
	ws, err := s.upgrade(c)
	if err != nil {
		return nil
	}
	conn := realtime.NewConn(ws, s.cfg.WS)
	defer s.hub.Register(conn)()
	unsubscribe, err := s.attachCourier(ctx, cour, conn, resume)
	if err != nil {
		s.log.Error("courier connect", "courier", cour.ID, "err", err)
		conn.Close(CloseInternal, "internal error")
		_ = conn.Serve(ctx, nil)
		return nil
	}
	err = conn.Serve(ctx, s.courierMessages(ctx, cour.ID, conn))
	unsubscribe()
	s.detachCourier(cour.ID, conn)
	s.log.Debug("courier socket closed", "courier", cour.ID, "reason", err)
	return nil
}

// attachCourier makes conn the courier's connection, tells the engine, and queues hello
// plus the resumed frames. The previous connection, if any, is closed with 4000.
func (s *Server) attachCourier(ctx context.Context, cour courier.Courier, conn *realtime.Conn, resume *int64) (unsubscribe func(), err error) {
	unlock := s.feed.lockCourier(cour.ID)
	defer unlock()
	prev, mark := s.feed.claim(cour.ID, conn)
	if prev != nil {
		prev.Close(CloseReplaced, "replaced by a newer connection")
	}
	view, err := s.engine.Connect(ctx, cour.ID)
	if err != nil {
		s.feed.release(cour.ID, conn)
		s.engine.Disconnect(cour.ID) // prev's own detach will no longer do it
		return nil, err
	}
	hello := HelloData{Courier: view.Courier, CourierSnapshot: courierSnapshot(view), ServerTime: s.engine.Now().UTC()}
	return s.feed.start(cour.ID, conn, hello, resume, mark, sendRoom(s.cfg.WS)), nil
}

// detachCourier tells the engine the courier left, unless a newer connection took over.
func (s *Server) detachCourier(id string, conn *realtime.Conn) {
	unlock := s.feed.lockCourier(id)
	defer unlock()
	if s.feed.release(id, conn) {
		s.engine.Disconnect(id)
	}
}

// courierMessages handles the client's frames: each is parsed and validated, then makes
// at most one engine call, and gets exactly one reply, "ok" or "error", acking its id.
// A rejected frame changes nothing and leaves the connection open.
func (s *Server) courierMessages(ctx context.Context, courierID string, conn *realtime.Conn) func([]byte) {
	return func(b []byte) {
		cmd, err := parseCommand(b)
		var data any
		if err == nil {
			data, err = s.courierCommand(ctx, courierID, cmd)
		}
		s.reply(conn, cmd.id, data, err)
	}
}

// reply sends "ok" with data, or "error" for err.
func (s *Server) reply(conn *realtime.Conn, ack string, data any, err error) {
	now := s.engine.Now()
	if err != nil {
		if lookup(err).status >= http.StatusInternalServerError {
			s.log.Error("websocket message", "err", err)
		}
		_ = conn.Send(encodeFrame(MsgError, 0, ack, now, errorData(err)))
		return
	}
	_ = conn.Send(encodeFrame(MsgOK, 0, ack, now, data))
}

// noResult is the data of an "ok" reply that carries nothing.
type noResult struct{}

// courierCommand makes the one engine call of a validated message.
func (s *Server) courierCommand(ctx context.Context, id string, cmd command) (any, error) {
	switch cmd.typ {
	case MsgPing:
		return noResult{}, nil
	case MsgLocation:
		return noResult{}, s.engine.Locate(ctx, id, cmd.fix)
	case MsgAvailability:
		st, err := s.engine.SetAvailability(ctx, id, cmd.state)
		return AvailabilityResult{State: st}, err
	case MsgAccept:
		os, err := s.engine.Accept(ctx, id, cmd.offerID)
		return AcceptResult{Orders: orderViews(os)}, err
	case MsgDecline:
		return noResult{}, s.engine.Decline(ctx, id, cmd.offerID)
	case MsgArrived:
		o, err := s.engine.Arrived(ctx, id, cmd.orderID)
		return OrderResult{Order: orderView(o)}, err
	case MsgPickedUp:
		o, err := s.engine.PickedUp(ctx, id, cmd.orderID)
		return OrderResult{Order: orderView(o)}, err
	case MsgDelivered:
		o, err := s.engine.Delivered(ctx, id, cmd.orderID, cmd.code)
		return OrderResult{Order: orderView(o)}, err
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownMessage, cmd.typ) // parseCommand lets none through
}
