package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/signature"
)

// stripeEvent is the part of a Stripe event the webhook reads; everything else in the
// (large) Stripe payload is ignored, so decoding is not strict here.
type stripeEvent struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Created int64  `json:"created"`
	Data    struct {
		Object struct {
			// ID is the PaymentIntent id (pi_...) or, for charge.* events, the charge id.
			ID string `json:"id"`
			// PaymentIntent is set on charges: the intent the charge belongs to.
			PaymentIntent string            `json:"payment_intent"`
			Metadata      map[string]string `json:"metadata"`
		} `json:"object"`
	} `json:"data"`
}

// paymentResponse is the webhook's answer.
type paymentResponse struct {
	Result dispatch.PaymentResult `json:"result"`
	Detail string                 `json:"detail,omitempty"`
}

// handlePaymentWebhook applies a signed payment-provider event.
//
// The signature is checked over the raw body at the engine's clock time before anything
// is parsed; any failure is 400 and changes nothing. Answers follow what Stripe does
// with them — it retries every non-2xx for days:
//
//   - unknown event types: 200 "ignored" (Stripe sends whatever the endpoint subscribes to);
//   - missing event id or metadata.order_id: 422, the sender must fix the payload;
//   - an order id we do not know: 200 "ignored" with a detail, logged at warning level.
//     Retrying cannot make the order appear (orders exist before their payment intent;
//     such events come from another environment sharing the account, or from test
//     events), so a non-2xx would only make Stripe retry for three days;
//   - otherwise the engine's result: "applied", "duplicate" (event id seen before) or
//     "ignored" (nothing to do in the order's state). Store failures are 5xx, so the
//     provider's retry applies the event later.
func (s *Server) handlePaymentWebhook(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	v := signature.Verifier{Secrets: s.cfg.PaymentSecrets, Tolerance: s.cfg.PaymentTolerance}
	if err := v.Verify(c.Request().Header.Get(signature.HeaderName), body, s.engine.Now()); err != nil {
		return err
	}
	var ev stripeEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	obj := ev.Data.Object
	pe := dispatch.PaymentEvent{
		ID: ev.ID, Kind: dispatch.PaymentKind(ev.Type), OrderID: obj.Metadata["order_id"], Intent: obj.ID,
	}
	if obj.PaymentIntent != "" {
		pe.Intent = obj.PaymentIntent
	}
	if ev.Created > 0 {
		pe.At = time.Unix(ev.Created, 0).UTC()
	}
	res, err := s.engine.ApplyPayment(c.Request().Context(), pe)
	if errors.Is(err, dispatch.ErrNotFound) {
		s.log.Warn("payment event for unknown order", "event", pe.ID, "type", pe.Kind, "order", pe.OrderID)
		return writeJSON(c, http.StatusOK, paymentResponse{Result: dispatch.PaymentIgnored, Detail: "unknown order " + pe.OrderID})
	}
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, paymentResponse{Result: res})
}
