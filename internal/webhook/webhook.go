// Package webhook delivers signed order-status webhooks to merchants.
//
// The order event log is the outbox: every event is committed in the same transaction
// as the order's state change, and [Store.Enqueue] later turns the events appended since
// its stored cursor into pending deliveries, one per event, for merchants that have a
// webhook URL. The [Deliverer] polls: it enqueues, claims due deliveries under a lease
// (so another instance skips them), POSTs each one signed like Stripe's webhooks
// (internal/signature, header Hummingbird-Signature) and records the attempt, scheduling
// the next one with exponential backoff and full jitter, or marking the delivery
// delivered, or dead after Config.MaxAttempts. Delivery is at least once: a crash
// between the POST and the record sends it again once the lease has passed. Merchants
// dedupe by the event id, which is the same on every retry and replay, and order by the
// order's event seq, since retries make deliveries of one order overtake each other.
//
// Concurrency: a Deliverer's Run owns every goroutine it starts (at most
// Config.Concurrency requests in flight) and waits for all of them before it returns;
// Step sends one batch and waits for it. Run and Step must not be called concurrently
// on the same Deliverer. Stores implementing [Store] and [Settings] must be safe for
// concurrent use by several goroutines and several processes sharing one database.
package webhook

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// Status is where a delivery stands.
type Status string

// Delivery statuses.
const (
	// Pending deliveries are due at NextAt (which doubles as the lease of a claimed one).
	Pending Status = "pending"
	// Delivered deliveries got a 2xx answer.
	Delivered Status = "delivered"
	// Dead deliveries failed MaxAttempts times (or their merchant has no URL any more);
	// they are kept and visible, and a replay sends their events again.
	Dead Status = "dead"
)

// Attempt is one try at sending a delivery.
type Attempt struct {
	// At is when the request was started (the deliverer's clock).
	At time.Time `json:"at"`
	// StatusCode is the HTTP status of the answer; 0 when none came.
	StatusCode int `json:"status_code,omitempty"`
	// Error says why no answer came (timeout, refused address, ...); empty otherwise.
	Error string `json:"error,omitempty"`
	// Duration is how long the request took.
	Duration time.Duration `json:"duration"`
}

// OK reports whether the attempt delivered the event: an answer with a 2xx status.
func (a Attempt) OK() bool { return a.Error == "" && a.StatusCode >= 200 && a.StatusCode < 300 }

// Delivery is one event on its way to one merchant.
type Delivery struct {
	// ID identifies the delivery; a replay makes new deliveries of the same events.
	ID string `json:"id"`
	// EventID is the webhook's id, the same across retries and replays (see EventID).
	EventID    string `json:"event_id"`
	MerchantID string `json:"merchant_id"`
	OrderID    string `json:"order_id"`
	// Event is the order event being delivered; Event.Seq is its place in the order.
	Event dispatch.Event `json:"event"`
	// OrderRef is the merchant's own reference of the order (Order.ExternalRef).
	OrderRef string `json:"merchant_order_ref,omitempty"`
	// Replay is set on deliveries made by Store.Replay.
	Replay bool   `json:"replay"`
	Status Status `json:"status"`
	// Tries counts the attempts recorded so far.
	Tries     int       `json:"tries"`
	CreatedAt time.Time `json:"created_at"`
	// NextAt is when a pending delivery is due (or its lease ends); for a finished one,
	// when it was last scheduled.
	NextAt time.Time `json:"next_at"`
	// Attempts are filled by Store.Deliveries, oldest first; Claim leaves them nil.
	Attempts []Attempt `json:"attempts,omitempty"`
	// URL and Secret are the merchant's current webhook URL and signing secret, filled
	// by Claim; URL is empty if the merchant has cleared it since.
	URL    string `json:"-"`
	Secret string `json:"-"`
}

// Store is the outbox the Deliverer works on. Adapters live under internal/store and
// pass storetest.Webhook. Times are stored at microsecond precision.
type Store interface {
	// Enqueue turns every order event appended since the previous Enqueue into a
	// pending delivery due at now, for merchants that have a webhook URL at that moment,
	// and advances its cursor in the same transaction. It returns how many deliveries it
	// made. Calling it again, or from several processes at once, never makes two
	// deliveries of one event.
	Enqueue(ctx context.Context, now time.Time) (int, error)
	// Claim returns at most limit pending deliveries due at now (oldest due first), each
	// leased until now+lease so that no other Claim returns it meanwhile, with the
	// merchant's current URL and secret.
	Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error)
	// Record saves an attempt of delivery id. With done, the delivery ends: delivered if
	// the attempt is OK, dead otherwise; without, it is due again at next. An attempt
	// recorded on a delivery that has already ended is kept, but the delivery's status
	// does not change. An unknown id is dispatch.ErrNotFound.
	Record(ctx context.Context, id string, attempt Attempt, next time.Time, done bool) error
	// Replay makes a fresh pending delivery, due at now, of every event of the
	// merchant's order (new delivery ids, the same event ids) and returns how many. An
	// unknown order or another merchant's is dispatch.ErrNotFound.
	Replay(ctx context.Context, merchantID, orderID string, now time.Time) (int, error)
	// Deliveries returns the deliveries of the merchant's order with their attempts,
	// oldest first (by creation time, then seq). An unknown order or another merchant's
	// is dispatch.ErrNotFound; an order without deliveries has an empty list.
	Deliveries(ctx context.Context, merchantID, orderID string) ([]Delivery, error)
}

// Settings changes a merchant's webhook endpoint. It lives here rather than in
// dispatch.DirectoryStore because only the webhook endpoints need it.
type Settings interface {
	// UpdateMerchantWebhook sets the merchant's webhook URL; "" turns webhooks off. An
	// unknown merchant is dispatch.ErrNotFound.
	UpdateMerchantWebhook(ctx context.Context, merchantID, url string) error
}

// EventID returns the webhook id of an order's event: evt_<order id>_<seq>. It is the
// same on every retry and replay, so merchants dedupe by it.
func EventID(orderID string, seq int64) string {
	return "evt_" + orderID + "_" + strconv.FormatInt(seq, 10)
}

// EventType returns the webhook type of an event: state events keep their type
// ("order.paid"), the others get the "order." prefix ("order.offer.sent").
func EventType(t dispatch.EventType) string {
	if s := string(t); strings.HasPrefix(s, "order.") {
		return s
	}
	return "order." + string(t)
}

// Payload is the JSON body of a webhook.
type Payload struct {
	// ID is the event id (EventID).
	ID   string `json:"id"`
	Type string `json:"type"`
	// Created is the event's time in Unix seconds (not the sending time, which is in
	// the signature).
	Created int64       `json:"created"`
	Data    PayloadData `json:"data"`
}

// PayloadData is the order part of a Payload.
type PayloadData struct {
	OrderID          string         `json:"order_id"`
	MerchantOrderRef string         `json:"merchant_order_ref,omitempty"`
	Seq              int64          `json:"seq"`
	State            dispatch.State `json:"state"`
	Event            dispatch.Event `json:"event"`
}

// NewPayload returns the body sent for d.
func NewPayload(d Delivery) Payload {
	return Payload{
		ID:      d.EventID,
		Type:    EventType(d.Event.Type),
		Created: d.Event.At.Unix(),
		Data: PayloadData{
			OrderID: d.OrderID, MerchantOrderRef: d.OrderRef, Seq: d.Event.Seq, State: d.Event.State, Event: d.Event,
		},
	}
}

// MaxURLLen bounds a webhook URL.
const MaxURLLen = 2000

// CheckURL validates a merchant's webhook URL: "" (off), an absolute https URL, or
// plain http to the local machine (127.0.0.1, [::1], localhost) for development and
// tests. No user info, no fragment, at most MaxURLLen bytes. A refusal is a
// *dispatch.FieldError naming field.
func CheckURL(field, raw string) error {
	if raw == "" {
		return nil
	}
	if len(raw) > MaxURLLen {
		return &dispatch.FieldError{Field: field, Reason: fmt.Sprintf("must be at most %d bytes", MaxURLLen)}
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Hostname() == "" || u.Opaque != "" {
		return &dispatch.FieldError{Field: field, Reason: "must be an absolute URL"}
	}
	if u.User != nil || u.Fragment != "" || strings.ContainsAny(raw, " \t\r\n") {
		return &dispatch.FieldError{Field: field, Reason: "must have no user info, fragment or spaces"}
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		switch u.Hostname() {
		case "127.0.0.1", "::1", "localhost":
			return nil
		}
		return &dispatch.FieldError{Field: field, Reason: "must be https (plain http only to 127.0.0.1 or localhost)"}
	}
	return &dispatch.FieldError{Field: field, Reason: "must be an https URL"}
}
