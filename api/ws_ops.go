package api

import (
	"context"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hummingbird-dispatch/hummingbird/internal/realtime"
)

// handleOpsWS is GET /v1/admin/ws: the operators' live feed. Authentication (admin bearer
// token, or the session cookie from a same-origin page) happens in adminAuth before the
// upgrade. The server pushes an "ops" frame (the JSON of GET /v1/admin/ops) at once and
// then every OpsPeriod; the client may only ping.
func (s *Server) handleOpsWS(c echo.Context) error {
	ws, err := s.upgrade(c)
	if err != nil {
		return nil
	}
	conn := realtime.NewConn(ws, s.cfg.WS)
	defer s.hub.Register(conn)()
	ctx := c.Request().Context()
	pushDone := make(chan struct{})
	go func() {
		defer close(pushDone)
		s.pushOps(ctx, conn)
	}()
	err = conn.Serve(ctx, s.readOnlyMessages(conn))
	<-pushDone
	s.log.Debug("ops socket closed", "reason", err)
	return nil
}

// pushOps sends the operators' view every OpsPeriod until the connection is done.
func (s *Server) pushOps(ctx context.Context, conn *realtime.Conn) {
	tick := time.NewTicker(s.cfg.OpsPeriod)
	defer tick.Stop()
	for {
		b, err := s.opsFrame(ctx)
		if err != nil {
			s.log.Error("ops view", "err", err)
			conn.Close(CloseInternal, "internal error")
			return
		}
		if conn.Send(b) != nil {
			return
		}
		select {
		case <-conn.Done():
			return
		case <-tick.C:
		}
	}
}
