package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

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
}

// handleTrackSnapshot returns the tracking view behind a token; the token is the
// capability, there is no other authentication. Unknown tokens are 404. The view is
// built by trackSnapshot (ws_track.go), shared with the tracking WebSocket's first frame:
// two engine reads, Track (order, courier position, ETA) then Events for the timeline,
// cut at the order's seq so the timeline matches the state shown.
func (s *Server) handleTrackSnapshot(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	token := c.Param("token")
	if token == "" || len(token) > maxTrackToken {
		return dispatch.ErrNotFound
	}
	v, _, err := s.trackSnapshot(c.Request().Context(), token)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, v)
}
