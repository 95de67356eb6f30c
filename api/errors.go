package api

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gorilla/websocket"
	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
	"github.com/hummingbird-dispatch/hummingbird/internal/signature"
)

// Transport-level errors.
var (
	ErrUnauthorized        = errors.New("api: missing or invalid credentials")
	ErrBodyTooLarge        = errors.New("api: request body too large")
	ErrMalformed           = errors.New("api: malformed request body")
	ErrIdempotencyMismatch = errors.New("api: idempotency key reused with a different request")
	ErrIdempotencyBusy     = errors.New("api: a request with this idempotency key is still running")
	ErrIdempotencyKey      = errors.New("api: idempotency key must be 1-255 printable characters")
	ErrUnknownMessage      = errors.New("api: unknown message type")
	ErrHandshake           = errors.New("api: bad WebSocket handshake")
	ErrNotReady            = errors.New("api: not ready")
	ErrCrossOrigin         = errors.New("api: cross-origin request refused")
	ErrRateLimited         = errors.New("api: too many requests")
)

// wireError is how one domain or transport error appears on the wire: an HTTP status
// with a stable problem code, and the same code in a WebSocket error frame.
type wireError struct {
	err    error
	status int
	code   string
	title  string
}

// errorTable is the single mapping of errors to wire errors; first match wins.
var errorTable = []wireError{
	{ErrUnauthorized, http.StatusUnauthorized, "unauthorized", "Unauthorized"},
	{ErrBodyTooLarge, http.StatusRequestEntityTooLarge, "body_too_large", "Request body too large"},
	{ErrMalformed, http.StatusBadRequest, "malformed_request", "Malformed request"},
	{ErrIdempotencyMismatch, http.StatusUnprocessableEntity, "idempotency_key_reused", "Idempotency key reused"},
	{ErrIdempotencyBusy, http.StatusConflict, "idempotency_key_in_use", "Idempotency key in use"},
	{ErrIdempotencyKey, http.StatusBadRequest, "bad_idempotency_key", "Bad idempotency key"},
	{ErrUnknownMessage, http.StatusBadRequest, "unknown_message", "Unknown message type"},
	{ErrHandshake, http.StatusBadRequest, "bad_handshake", "Bad WebSocket handshake"},
	{ErrNotReady, http.StatusServiceUnavailable, "not_ready", "Not ready"},
	{ErrCrossOrigin, http.StatusForbidden, "cross_origin", "Cross-origin request refused"},
	{ErrRateLimited, http.StatusTooManyRequests, "rate_limited", "Too many requests"},
	{signature.ErrMissingHeader, http.StatusBadRequest, "bad_signature", "Bad signature"},
	{signature.ErrMalformed, http.StatusBadRequest, "bad_signature", "Bad signature"},
	{signature.ErrNoV1, http.StatusBadRequest, "bad_signature", "Bad signature"},
	{signature.ErrExpired, http.StatusBadRequest, "stale_signature", "Signature timestamp outside tolerance"},
	{signature.ErrMismatch, http.StatusBadRequest, "bad_signature", "Bad signature"},
	{dispatch.ErrFenced, http.StatusServiceUnavailable, "not_ready", "Not ready"},
	{dispatch.ErrNotFound, http.StatusNotFound, "not_found", "Not found"},
	{dispatch.ErrConflict, http.StatusConflict, "conflict", "Concurrent update"},
	{dispatch.ErrExists, http.StatusConflict, "already_exists", "Already exists"},
	{dispatch.ErrTransition, http.StatusConflict, "invalid_transition", "State transition not allowed"},
	{dispatch.ErrOutsideArea, http.StatusUnprocessableEntity, "outside_service_area", "Outside the service area"},
	{dispatch.ErrInvalid, http.StatusUnprocessableEntity, "invalid_field", "Invalid field"},
	{dispatch.ErrNotYours, http.StatusForbidden, "not_yours", "Belongs to another courier"},
	{dispatch.ErrOfferGone, http.StatusConflict, "offer_gone", "Offer expired, withdrawn or taken"},
	{dispatch.ErrHandoffCode, http.StatusUnprocessableEntity, "wrong_handoff_code", "Wrong handoff code"},
	{dispatch.ErrHandoffLocked, http.StatusLocked, "handoff_locked", "Handoff code locked"},
	{dispatch.ErrNotOnline, http.StatusConflict, "not_online", "Courier not online"},
	{dispatch.ErrNoPosition, http.StatusConflict, "no_position", "Courier has no position yet"},
	{dispatch.ErrCourierBusy, http.StatusConflict, "courier_busy", "Courier is carrying orders"},
	{dispatch.ErrNotCancelable, http.StatusConflict, "not_cancelable", "Order can no longer be canceled"},
	{courier.ErrTransition, http.StatusConflict, "invalid_transition", "State transition not allowed"},
	{courier.ErrAccuracy, http.StatusUnprocessableEntity, "fix_rejected", "GPS fix rejected"},
	{courier.ErrSpeed, http.StatusUnprocessableEntity, "fix_rejected", "GPS fix rejected"},
	{courier.ErrFuture, http.StatusUnprocessableEntity, "fix_rejected", "GPS fix rejected"},
	{courier.ErrStale, http.StatusUnprocessableEntity, "fix_rejected", "GPS fix rejected"},
	{courier.ErrOutOfOrder, http.StatusUnprocessableEntity, "fix_rejected", "GPS fix rejected"},
	{geo.ErrLatitude, http.StatusUnprocessableEntity, "invalid_coordinates", "Invalid coordinates"},
	{geo.ErrLongitude, http.StatusUnprocessableEntity, "invalid_coordinates", "Invalid coordinates"},
	{geo.ErrNotFinite, http.StatusUnprocessableEntity, "invalid_coordinates", "Invalid coordinates"},
}

var internalError = wireError{status: http.StatusInternalServerError, code: "internal", title: "Internal error"}

// lookup returns the wire error for err (internal when unknown).
func lookup(err error) wireError {
	for _, w := range errorTable {
		if errors.Is(err, w.err) {
			return w
		}
	}
	return internalError
}

// Problem is an RFC 9457 problem document with our stable code.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail,omitempty"`
	// Field names the offending request field for validation errors.
	Field string `json:"field,omitempty"`
}

// problemFor renders err; internal errors hide their detail.
func problemFor(err error) Problem {
	w := lookup(err)
	p := Problem{Type: "https://hummingbird.dev/problems/" + w.code, Title: w.title, Status: w.status, Code: w.code}
	if w.status != http.StatusInternalServerError {
		p.Detail = err.Error()
	}
	var fe *dispatch.FieldError
	if errors.As(err, &fe) {
		p.Field = fe.Field
	}
	return p
}

// WebSocket close codes used by the server (RFC 6455 §7.4 and the private range).
const (
	CloseNormal        = websocket.CloseNormalClosure     // 1000: client asked to leave
	CloseGoingAway     = websocket.CloseGoingAway         // 1001: server shutting down
	CloseUnsupported   = websocket.CloseUnsupportedData   // 1003: binary frame
	ClosePolicy        = websocket.ClosePolicyViolation   // 1008: slow consumer
	CloseTooBig        = websocket.CloseMessageTooBig     // 1009: frame over the read limit
	CloseInternal      = websocket.CloseInternalServerErr // 1011: server error
	CloseReplaced      = 4000                             // another connection of the same courier took over
	CloseTrackingEnded = 4001                             // the tracked order reached a terminal state
	CloseResync        = 4002                             // the live stream had a gap: reconnect for a snapshot
)

// KnownErrors lists the errors the wire table names, in table order without repeats, so
// that a layer forwarding calls between instances can carry them by position and the
// receiving side still matches them with errors.Is.
func KnownErrors() []error {
	out := make([]error, 0, len(errorTable))
	for _, w := range errorTable {
		if !slices.Contains(out, w.err) {
			out = append(out, w.err)
		}
	}
	return out
}
