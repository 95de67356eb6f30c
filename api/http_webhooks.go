package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hummingbird-dispatch/hummingbird/internal/webhook"
)

// WebhookStore is what the merchant webhook endpoints need: the outbox's replay and
// history and the merchant's URL setting. The internal/store adapters implement it; the
// Deliverer (internal/webhook) does the sending.
type WebhookStore interface {
	Replay(ctx context.Context, merchantID, orderID string, now time.Time) (int, error)
	Deliveries(ctx context.Context, merchantID, orderID string) ([]webhook.Delivery, error)
	webhook.Settings
}

// webhookRequest is the body of PUT /v1/webhook; an empty url turns webhooks off.
type webhookRequest struct {
	URL string `json:"url"`
}

// webhookSettings answers PUT /v1/webhook: the URL now in force and the secret that
// signs what is sent there.
type webhookSettings struct {
	URL    string `json:"url"`
	Secret string `json:"secret"`
}

// replayAccepted answers POST /v1/orders/{id}/webhooks/replay.
type replayAccepted struct {
	Enqueued int `json:"enqueued"`
}

// deliveryView is one delivery on the wire.
type deliveryView struct {
	ID        string         `json:"id"`
	EventID   string         `json:"event_id"`
	Type      string         `json:"type"`
	Seq       int64          `json:"seq"`
	Replay    bool           `json:"replay"`
	Status    webhook.Status `json:"status"`
	CreatedAt time.Time      `json:"created_at"`
	// NextAttemptAt is set while the delivery is pending.
	NextAttemptAt *time.Time    `json:"next_attempt_at,omitempty"`
	Attempts      []attemptView `json:"attempts"`
}

type attemptView struct {
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code,omitempty"`
	Error      string    `json:"error,omitempty"`
	DurationMS float64   `json:"duration_ms"`
}

type deliveryList struct {
	Deliveries []deliveryView `json:"deliveries"`
}

func newDeliveryView(d webhook.Delivery) deliveryView {
	v := deliveryView{ID: d.ID, EventID: d.EventID, Type: webhook.EventType(d.Event.Type), Seq: d.Event.Seq,
		Replay: d.Replay, Status: d.Status, CreatedAt: d.CreatedAt, Attempts: make([]attemptView, len(d.Attempts))}
	if d.Status == webhook.Pending {
		next := d.NextAt
		v.NextAttemptAt = &next
	}
	for i, a := range d.Attempts {
		v.Attempts[i] = attemptView{At: a.At, StatusCode: a.StatusCode, Error: a.Error,
			DurationMS: float64(a.Duration.Microseconds()) / 1000}
	}
	return v
}

// webhooks returns the configured store or ErrNotReady.
func (s *Server) webhooks() (WebhookStore, error) {
	if s.cfg.Webhooks == nil {
		return nil, fmt.Errorf("%w: webhooks are not configured on this server", ErrNotReady)
	}
	return s.cfg.Webhooks, nil
}

// handlePutWebhook sets (https, or http to 127.0.0.1/localhost) or clears the
// merchant's webhook URL and shows the signing secret.
func (s *Server) handlePutWebhook(c echo.Context) error {
	hooks, err := s.webhooks()
	if err != nil {
		return err
	}
	var req webhookRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	req.URL = strings.TrimSpace(req.URL)
	if err := webhook.CheckURL("url", req.URL); err != nil {
		return err
	}
	m := merchant(c)
	if err := hooks.UpdateMerchantWebhook(c.Request().Context(), m.ID, req.URL); err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, webhookSettings{URL: req.URL, Secret: m.WebhookSecret})
}

// handleReplayWebhooks sends every event of one of the merchant's orders again (new
// deliveries, the same event ids), honouring Idempotency-Key; 202 with the count.
func (s *Server) handleReplayWebhooks(c echo.Context) error {
	hooks, err := s.webhooks()
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	m := merchant(c)
	return s.once(c, m.ID, body, func() outcome {
		if m.WebhookURL == "" {
			return outcome{err: fieldError("url", "no webhook URL is set; PUT /v1/webhook first")}
		}
		n, err := hooks.Replay(c.Request().Context(), m.ID, c.Param("id"), s.engine.Now())
		if err != nil {
			return outcome{err: err}
		}
		return outcome{status: http.StatusAccepted, body: replayAccepted{Enqueued: n}}
	})
}

// handleOrderWebhooks lists the deliveries of one of the merchant's orders with their
// attempts, oldest first.
func (s *Server) handleOrderWebhooks(c echo.Context) error {
	hooks, err := s.webhooks()
	if err != nil {
		return err
	}
	ds, err := hooks.Deliveries(c.Request().Context(), merchant(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	out := deliveryList{Deliveries: make([]deliveryView, len(ds))}
	for i, d := range ds {
		out.Deliveries[i] = newDeliveryView(d)
	}
	return writeJSON(c, http.StatusOK, out)
}
