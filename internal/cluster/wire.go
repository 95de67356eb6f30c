package cluster

import (
	"errors"
	"fmt"

	"github.com/hummingbird-dispatch/hummingbird/api"
	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// args carries the arguments of any forwarded call; each method reads the fields it
// needs. gob leaves zero fields out, so a call costs only what it uses.
type args struct {
	S       []string
	N       int64
	Limit   int
	Request dispatch.OrderRequest
	Payment dispatch.PaymentEvent
	Fix     courier.Fix
	State   courier.State
	Station dispatch.Station
	Courier courier.Courier
	Area    dispatch.ServiceArea
	Shift   dispatch.Shift
}

// str returns the i-th string argument, or "" when the call sent fewer.
func (a args) str(i int) string {
	if i < len(a.S) {
		return a.S[i]
	}
	return ""
}

// pair is a result with a secret shown once (a new merchant's key, a courier's token).
type pair[T any] struct {
	V      T
	Secret string
}

// reply is the body of every answer: the result or the error, never both.
type reply[R any] struct {
	Result R
	Err    *wireError
}

// wireError carries an error between instances so that errors.Is and errors.As still
// work on the receiving side: a known error by its position in api.KnownErrors, a
// field error by its parts, anything else as text.
type wireError struct {
	Msg    string
	Known  int // 1-based position in api.KnownErrors; 0 when none matches
	Field  string
	Reason string
}

// remoteError is an error received from another instance.
type remoteError struct {
	msg    string
	target error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.target }

// known is api.KnownErrors, read once.
var known = api.KnownErrors()

func encodeError(err error) *wireError {
	if err == nil {
		return nil
	}
	w := &wireError{Msg: err.Error()}
	var fe *dispatch.FieldError
	if errors.As(err, &fe) {
		w.Field, w.Reason = fe.Field, fe.Reason
		return w
	}
	for i, k := range known {
		if errors.Is(err, k) {
			w.Known = i + 1
			break
		}
	}
	return w
}

func (w *wireError) decode() error {
	switch {
	case w == nil:
		return nil
	case w.Field != "":
		return &dispatch.FieldError{Field: w.Field, Reason: w.Reason}
	case w.Known > 0 && w.Known <= len(known):
		return &remoteError{msg: w.Msg, target: known[w.Known-1]}
	default:
		return &remoteError{msg: w.Msg}
	}
}

// ErrNoLeader means no instance holding the dispatch lease could be reached; the caller
// may retry shortly (a new leader takes over within the lease's TTL). It matches
// api.ErrNotReady, so clients see 503.
var ErrNoLeader = fmt.Errorf("%w: cluster: no dispatch leader reachable", api.ErrNotReady)
