package dispatch

import (
	"slices"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// trip is one accepted job in a courier's plan: a pickup at one shop, then drop-offs in
// the order the offer listed them.
type trip struct {
	pickup geo.LatLng
	ready  time.Time
	picked bool
	left   []drop // drop-offs not yet done, in sequence
}

// drop is one order's destination within a trip.
type drop struct {
	id  string
	pos geo.LatLng
}

// mark is where a courier's next leg starts and when it may leave: the last stop it
// finished (plus the second half of that stop's service time), or where it was when it
// took a job while idle.
type mark struct {
	pos geo.LatLng
	at  time.Time
}

// pickHalf and dropHalf are the parts of the pickup and drop-off service times spent on
// each side of the event.
func (e *Engine) pickHalf() time.Duration { return e.cfg.ServiceTime / 2 }
func (e *Engine) dropHalf() time.Duration { return e.cfg.DropoffTime / 2 }

// addTrip appends an accepted offer to the courier's plan. A courier that had nothing to
// do starts its first leg from where it is, now.
func (e *Engine) addTrip(s *session, of *Offer, now time.Time) {
	if len(s.trips) == 0 {
		s.mark.at, s.mark.pos = e.freeAt(s, now)
	}
	t := &trip{pickup: of.Pickup.Pos, ready: of.ReadyAt}
	for i, id := range of.OrderIDs {
		t.left = append(t.left, drop{id: id, pos: of.Dropoffs[i].Pos})
	}
	s.trips = append(s.trips, t)
}

// tripPicked records that the courier picked up orderID at its trip's shop now.
func (e *Engine) tripPicked(s *session, orderID string, now time.Time) {
	for _, t := range s.trips {
		if slices.ContainsFunc(t.left, func(d drop) bool { return d.id == orderID }) {
			t.picked = true
			s.mark = mark{pos: t.pickup, at: now.Add(e.pickHalf())}
			return
		}
	}
}

// tripDropped removes orderID from the plan: delivered (the courier is at its
// destination now) or canceled (done is false: the courier's position is unchanged).
func (e *Engine) tripDropped(s *session, orderID string, now time.Time, done bool) {
	for i, t := range s.trips {
		k := slices.IndexFunc(t.left, func(d drop) bool { return d.id == orderID })
		if k < 0 {
			continue
		}
		if done {
			s.mark = mark{pos: t.left[k].pos, at: now.Add(e.dropHalf())}
		}
		t.left = slices.Delete(t.left, k, k+1)
		if len(t.left) == 0 {
			s.trips = slices.Delete(s.trips, i, i+1)
		}
		return
	}
}

// freeAt projects the courier's plan forward and returns when and where it will have
// finished every trip it holds. An idle courier is free where it stands, now or when
// its last drop-off's service ends. The
// projection never lies in the past: a courier running late is free no earlier than now.
func (e *Engine) freeAt(s *session, now time.Time) (time.Time, geo.LatLng) {
	if len(s.trips) == 0 {
		// Idle where it stands, once the last drop-off's service time is over.
		pos := s.mark.pos
		if s.fix != nil {
			pos = s.fix.Pos
		}
		return later(now, s.mark.at), pos
	}
	speed := s.c.Vehicle.Speed()
	half := e.pickHalf()
	at, pos := s.mark.at, s.mark.pos
	for _, t := range s.trips {
		if !t.picked {
			at = at.Add(e.cfg.Travel.Travel(pos, t.pickup, speed) + half)
			if t.ready.After(at) {
				at = t.ready
			}
			at = at.Add(half)
			pos = t.pickup
		}
		for _, d := range t.left {
			at = at.Add(e.cfg.Travel.Travel(pos, d.pos, speed) + e.cfg.DropoffTime)
			pos = d.pos
		}
	}
	if at.Before(now) {
		at = now
	}
	return at, pos
}

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
