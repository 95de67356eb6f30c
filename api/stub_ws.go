package api

import (
	"log/slog"

	"github.com/labstack/echo/v4"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
	"github.com/hummingbird-dispatch/hummingbird/internal/realtime"
)

// Feed publishes engine decisions to WebSocket topics; it implements dispatch.Notifier.
type Feed struct {
	hub *realtime.Hub
	log *slog.Logger
}

// NewFeed returns a feed publishing on hub.
func NewFeed(hub *realtime.Hub, log *slog.Logger) *Feed { return &Feed{hub: hub, log: log} }

var _ dispatch.Notifier = (*Feed)(nil)

// OrderEvent implements dispatch.Notifier.
func (f *Feed) OrderEvent(o dispatch.Order, e dispatch.Event) {}

// Offer implements dispatch.Notifier.
func (f *Feed) Offer(o dispatch.Offer) {}

// OfferWithdrawn implements dispatch.Notifier.
func (f *Feed) OfferWithdrawn(courierID, offerID, reason string) {}

// CourierMoved implements dispatch.Notifier.
func (f *Feed) CourierMoved(courierID string, pos geo.LatLng, orderIDs []string) {}

func (s *Server) handleCourierWS(c echo.Context) error { return notYet(c) }
func (s *Server) handleTrackWS(c echo.Context) error   { return notYet(c) }
