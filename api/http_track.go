package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// maxTrackToken bounds the token looked up (real ones are 32 characters).
const maxTrackToken = 64

// trackStop is a stop as the customer sees it: no phone numbers or notes.
type trackStop struct {
	Name string     `json:"name,omitempty"`
	Pos  geo.LatLng `json:"pos"`
}

// trackStep is one state change on the customer's timeline.
type trackStep struct {
	State dispatch.State `json:"state"`
	At    time.Time      `json:"at"`
}

// trackView is GET /v1/track/{token}: what the customer's tracking page shows. It
// carries nothing about the merchant beyond the pickup's name and position.
type trackView struct {
	OrderID    string         `json:"order_id"`
	State      dispatch.State `json:"state"`
	Pickup     trackStop      `json:"pickup"`
	Dropoff    trackStop      `json:"dropoff"`
	PromisedAt time.Time      `json:"promised_at"`
	// ETA is null once the order is closed.
	ETA *time.Time `json:"eta"`
	// CourierPosition is null unless a courier is on the way (assigned…at_dropoff).
	CourierPosition *geo.LatLng `json:"courier_position"`
	Events          []trackStep `json:"events"`
	HandoffCode     string      `json:"handoff_code"`
	// ETAWindow is the range the page shows around ETA (null once closed).
	ETAWindow *etaWindow `json:"eta_window"`
	// Courier is who brings the order: set from assignment on, null before.
	Courier *trackCourier `json:"courier"`
}

// etaWindow is the range shown around an estimate (dispatch.ETAWindow).
type etaWindow struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// newETAWindow returns the window around eta seen at now, nil without an estimate.
func newETAWindow(now, eta time.Time) *etaWindow {
	if eta.IsZero() {
		return nil
	}
	from, to := dispatch.ETAWindow(now, eta)
	return &etaWindow{From: from, To: to}
}

// trackCourier is the courier as the customer sees it: first name and vehicle only.
type trackCourier struct {
	FirstName string          `json:"first_name"`
	Vehicle   courier.Vehicle `json:"vehicle"`
}

// firstName returns the first word of a courier's name.
func firstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return ""
}

// track reads the tracking view behind a token. Unknown tokens, and the links of orders
// closed more than TrackLinkTTL ago, are dispatch.ErrNotFound.
func (s *Server) track(ctx context.Context, token string) (dispatch.Tracking, error) {
	if token == "" || len(token) > maxTrackToken {
		return dispatch.Tracking{}, dispatch.ErrNotFound
	}
	t, err := s.engine.Track(ctx, token)
	if err != nil {
		return dispatch.Tracking{}, err
	}
	if closed := t.Order.ClosedAt; !closed.IsZero() && s.engine.Now().Sub(closed) > s.cfg.TrackLinkTTL {
		return dispatch.Tracking{}, fmt.Errorf("%w: tracking link expired", dispatch.ErrNotFound)
	}
	return t, nil
}

// handleTrackSnapshot returns the tracking view behind a token; the token is the
// capability, there is no other authentication. Unknown tokens are 404. The view is
// built by trackSnapshot (ws_track.go), shared with the tracking WebSocket's first frame:
// engine reads, Track (order, courier position, ETA) then Events for the timeline, cut at
// the order's seq so the timeline matches the state shown, and the courier's name.
func (s *Server) handleTrackSnapshot(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	v, _, err := s.trackSnapshot(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, v)
}
