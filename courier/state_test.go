package courier

import (
	"errors"
	"testing"
)

// TestStateMachine checks every pair of states against the documented diagram:
//
//	offline ⇄ available ⇄ paused → offline
//	available → busy → available
func TestStateMachine(t *testing.T) {
	allowed := map[[2]State]bool{
		{Offline, Available}: true,
		{Available, Offline}: true, {Available, Paused}: true, {Available, Busy}: true,
		{Paused, Available}: true, {Paused, Offline}: true,
		{Busy, Available}: true,
		// Staying put is allowed for every known state.
		{Offline, Offline}: true, {Available, Available}: true, {Paused, Paused}: true, {Busy, Busy}: true,
	}
	states := []State{Offline, Available, Busy, Paused, "", "sleeping"}
	for _, from := range states {
		for _, to := range states {
			want := allowed[[2]State{from, to}]
			if got := from.CanMove(to); got != want {
				t.Errorf("%q.CanMove(%q) = %v, want %v", from, to, got, want)
			}
			got, err := from.Move(to)
			switch {
			case want && (err != nil || got != to):
				t.Errorf("%q.Move(%q) = %q, %v; want %q", from, to, got, err, to)
			case !want && (!errors.Is(err, ErrTransition) || got != from):
				t.Errorf("%q.Move(%q) = %q, %v; want %q, ErrTransition", from, to, got, err, from)
			}
		}
	}
}

func TestStateValidOnline(t *testing.T) {
	for _, tc := range []struct {
		s             State
		valid, online bool
	}{
		{Offline, true, false},
		{Available, true, true},
		{Busy, true, true},
		{Paused, true, true},
		{"", false, false},
		{"Available", false, false},
	} {
		if tc.s.Valid() != tc.valid || tc.s.Online() != tc.online {
			t.Errorf("%q: Valid=%v Online=%v, want %v %v", tc.s, tc.s.Valid(), tc.s.Online(), tc.valid, tc.online)
		}
	}
}
