package dispatch

import (
	"errors"
	"fmt"
)

// Matchable conditions. Transports map each to one wire error in a single table.
var (
	ErrNotFound      = errors.New("dispatch: not found")
	ErrConflict      = errors.New("dispatch: concurrent update, version changed")
	ErrExists        = errors.New("dispatch: already exists")
	ErrTransition    = errors.New("dispatch: state transition not allowed")
	ErrInvalid       = errors.New("dispatch: invalid input")
	ErrOutsideArea   = errors.New("dispatch: location outside every service area")
	ErrNotYours      = errors.New("dispatch: order or offer belongs to another courier")
	ErrOfferGone     = errors.New("dispatch: offer expired, withdrawn or taken")
	ErrHandoffCode   = errors.New("dispatch: wrong handoff code")
	ErrHandoffLocked = errors.New("dispatch: too many wrong handoff codes; an operator must resolve the delivery")
	ErrNotOnline     = errors.New("dispatch: courier is not online")
	ErrNoPosition    = errors.New("dispatch: courier has no position yet")
	ErrCourierBusy   = errors.New("dispatch: courier is carrying orders")
	ErrNotCancelable = errors.New("dispatch: order can no longer be canceled")
	// ErrFenced is returned by a store writing on behalf of a lease holder whose lease
	// has since passed to another holder (a higher epoch): the write did not happen.
	ErrFenced = errors.New("dispatch: writer's lease is stale")
)

// FieldError is a validation failure naming the offending field. It matches ErrInvalid.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("dispatch: invalid %s: %s", e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrInvalid) match.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
