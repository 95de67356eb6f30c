package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
)

// Limits on client frames (besides realtime's read limit on the whole frame).
const (
	maxMessageID = 64 // client message id, printable ASCII
	maxRefLen    = 64 // offer_id, order_id
	maxCodeLen   = 16 // handoff code
)

// command is one validated client message. Only the fields of its type are set.
type command struct {
	typ     string
	id      string
	fix     courier.Fix
	state   courier.State
	offerID string
	orderID string
	code    string
}

// parseCommand parses and validates one courier frame. It never panics. On error the
// returned command still carries the client's id when the envelope got that far, so the
// error frame can ack it. Errors match the error table: ErrMalformed (not a JSON object,
// unknown field, missing type), ErrUnknownMessage, *dispatch.FieldError (a missing or
// wrong value, naming the field) and the geo coordinate errors.
func parseCommand(b []byte) (command, error) {
	typ, id, data, err := parseEnvelope(b)
	cmd := command{typ: typ, id: id}
	if err != nil {
		return cmd, err
	}
	switch typ {
	case MsgPing:
		err = noData(data)
	case MsgLocation:
		cmd.fix, err = parseLocation(data)
	case MsgAvailability:
		cmd.state, err = parseAvailability(data)
	case MsgAccept, MsgDecline:
		cmd.offerID, err = parseRef(data, "offer_id")
	case MsgArrived, MsgPickedUp:
		cmd.orderID, err = parseRef(data, "order_id")
	case MsgDelivered:
		cmd.orderID, cmd.code, err = parseDelivered(data)
	default:
		err = fmt.Errorf("%w: %q", ErrUnknownMessage, typ)
	}
	return cmd, err
}

// parseEnvelope checks the envelope of a client frame and returns its type, id and raw
// data (nil when absent or null).
func parseEnvelope(b []byte) (typ, id string, data json.RawMessage, err error) {
	m, err := object(b, "frame", "type", "id", "ts", "data")
	if err != nil {
		return "", "", nil, err
	}
	if raw, ok := present(m, "id"); ok {
		if err := json.Unmarshal(raw, &id); err != nil || !printableASCII(id) || len(id) > maxMessageID {
			return "", "", nil, fieldError("id", "must be a string of 1-%d printable ASCII characters", maxMessageID)
		}
	}
	raw, ok := present(m, "type")
	if !ok {
		return "", id, nil, fmt.Errorf("%w: frame has no type", ErrMalformed)
	}
	if err := json.Unmarshal(raw, &typ); err != nil {
		return "", id, nil, fmt.Errorf("%w: type must be a string", ErrMalformed)
	}
	if raw, ok := present(m, "ts"); ok {
		var ts time.Time
		if err := json.Unmarshal(raw, &ts); err != nil {
			return typ, id, nil, fieldError("ts", "must be an RFC 3339 time")
		}
	}
	data, _ = present(m, "data")
	return typ, id, data, nil
}

// object decodes raw as one JSON object whose keys are all in allowed, compared exactly
// (encoding/json alone would accept "Type" for "type"). Trailing data is an error.
func object(raw []byte, where string, allowed ...string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("%w: %s must be a JSON object", ErrMalformed, where)
	}
	var unknown []string
	for k := range m {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fmt.Errorf("%w: unknown field %q in %s", ErrMalformed, unknown[0], where)
	}
	return m, nil
}

// present returns m[key] unless it is absent or JSON null.
func present(m map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	raw, ok := m[key]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, false
	}
	return raw, true
}

// dataObject decodes the data of a message that needs one.
func dataObject(data json.RawMessage, allowed ...string) (map[string]json.RawMessage, error) {
	if data == nil {
		return nil, fieldError("data", "is required")
	}
	if t := bytes.TrimSpace(data); len(t) == 0 || t[0] != '{' {
		return nil, fieldError("data", "must be an object")
	}
	return object(data, "data", allowed...)
}

// noData accepts an absent, null or empty data object.
func noData(data json.RawMessage) error {
	if data == nil {
		return nil
	}
	_, err := dataObject(data)
	return err
}

// stringField returns the required string data[key] of 1..max bytes.
func stringField(m map[string]json.RawMessage, key string, max int) (string, error) {
	raw, ok := present(m, key)
	if !ok {
		return "", fieldError("data."+key, "is required")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || s == "" || len(s) > max {
		return "", fieldError("data."+key, "must be a string of 1-%d bytes", max)
	}
	return s, nil
}

// numberField returns data[key] as a finite number; ok is false when it is absent.
func numberField(m map[string]json.RawMessage, key string) (v float64, ok bool, err error) {
	raw, ok := present(m, key)
	if !ok {
		return 0, false, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, true, fieldError("data."+key, "must be a number")
	}
	return v, true, nil
}

func parseLocation(data json.RawMessage) (courier.Fix, error) {
	m, err := dataObject(data, "lat", "lng", "accuracy", "at")
	if err != nil {
		return courier.Fix{}, err
	}
	var f courier.Fix
	for _, c := range []struct {
		key string
		dst *float64
	}{{"lat", &f.Pos.Lat}, {"lng", &f.Pos.Lng}} {
		v, ok, err := numberField(m, c.key)
		if err != nil {
			return courier.Fix{}, err
		}
		if !ok {
			return courier.Fix{}, fieldError("data."+c.key, "is required")
		}
		*c.dst = v
	}
	if err := f.Pos.Validate(); err != nil {
		return courier.Fix{}, err
	}
	if f.Accuracy, _, err = numberField(m, "accuracy"); err != nil {
		return courier.Fix{}, err
	}
	if f.Accuracy < 0 {
		return courier.Fix{}, fieldError("data.accuracy", "must not be negative")
	}
	raw, ok := present(m, "at")
	if !ok {
		return courier.Fix{}, fieldError("data.at", "is required")
	}
	if err := json.Unmarshal(raw, &f.At); err != nil {
		return courier.Fix{}, fieldError("data.at", "must be an RFC 3339 time")
	}
	return f, nil
}

func parseAvailability(data json.RawMessage) (courier.State, error) {
	m, err := dataObject(data, "state")
	if err != nil {
		return "", err
	}
	s, err := stringField(m, "state", 16)
	if err != nil {
		return "", err
	}
	switch st := courier.State(s); st {
	case courier.Available, courier.Paused, courier.Offline:
		return st, nil
	}
	return "", fieldError("data.state", "must be available, paused or offline")
}

func parseRef(data json.RawMessage, key string) (string, error) {
	m, err := dataObject(data, key)
	if err != nil {
		return "", err
	}
	return stringField(m, key, maxRefLen)
}

func parseDelivered(data json.RawMessage) (orderID, code string, err error) {
	m, err := dataObject(data, "order_id", "code")
	if err != nil {
		return "", "", err
	}
	if orderID, err = stringField(m, "order_id", maxRefLen); err != nil {
		return "", "", err
	}
	if code, err = stringField(m, "code", maxCodeLen); err != nil {
		return "", "", err
	}
	return orderID, code, nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return s != ""
}
