package courier

import (
	"errors"
	"fmt"
)

// ErrTransition is returned for a state change the machine does not allow.
var ErrTransition = errors.New("courier: state transition not allowed")

// State is a courier's availability.
type State string

// Availability states.
//
//	offline ⇄ available ⇄ paused → offline
//	available → busy (first order assigned) → available (last order done)
//
// A busy courier may take more orders while it has capacity (bundling). It cannot go
// offline or pause while carrying orders: it must finish or the orders be reassigned.
const (
	Offline   State = "offline"
	Available State = "available"
	Busy      State = "busy"
	Paused    State = "paused"
)

var transitions = map[State][]State{
	Offline:   {Available},
	Available: {Offline, Paused, Busy},
	Paused:    {Available, Offline},
	Busy:      {Available},
}

// Valid reports whether s is a known state.
func (s State) Valid() bool { _, ok := transitions[s]; return ok }

// CanMove reports whether the machine allows s → to. Staying in the same state is allowed.
func (s State) CanMove(to State) bool {
	if s == to {
		return s.Valid()
	}
	for _, t := range transitions[s] {
		if t == to {
			return true
		}
	}
	return false
}

// Move returns to if s → to is allowed, or an error naming both states.
func (s State) Move(to State) (State, error) {
	if !s.CanMove(to) {
		return s, fmt.Errorf("%w: %s → %s", ErrTransition, s, to)
	}
	return to, nil
}

// Online reports whether a courier in state s holds a live position in the index.
func (s State) Online() bool { return s == Available || s == Busy || s == Paused }
