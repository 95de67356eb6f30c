package dispatch

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// Shift is a franchise courier's next shift as the station's rota has it: when it starts
// and ends and where the courier starts it.
type Shift struct {
	Start, End time.Time
	At         geo.LatLng
}

// rostered is a scheduled shift with the courier it belongs to.
type rostered struct {
	Shift
	s *session // the courier's session once it connects; offline until then
}

// ScheduleShift records a franchise courier's next shift and returns it as recorded.
// Until the courier comes online, rounds plan with it as a courier who will be free at
// At when the shift starts (if that is within ChainHorizon): an order it would serve best
// is held for it instead of going to a worse courier now, though nothing is offered to it
// before it connects. A zero At means the courier's station: the centre of its zone. Once
// it connects, the shift's End is its shift end (as SetShiftEnd sets it). A zero Shift
// clears the schedule; a shift is forgotten once it has ended.
func (e *Engine) ScheduleShift(ctx context.Context, courierID string, sh Shift) (Shift, error) {
	c, err := e.store.Courier(ctx, courierID)
	if err != nil {
		return Shift{}, err
	}
	if sh == (Shift{}) {
		e.mu.Lock()
		delete(e.rota, courierID)
		e.mu.Unlock()
		return Shift{}, nil
	}
	switch {
	case c.Kind != courier.Franchise:
		return Shift{}, invalid("courier_id", "only franchise couriers work shifts")
	case !sh.End.After(sh.Start):
		return Shift{}, invalid("end", "the shift must end after it starts")
	case sh.At.Validate() != nil:
		return Shift{}, invalid("at", "%v", sh.At.Validate())
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if sh.At == (geo.LatLng{}) {
		st, ok := e.stations[c.StationID]
		if !ok || len(st.Zone) == 0 {
			return Shift{}, invalid("at", "the courier has no station to start from: give the start place")
		}
		sh.At = centre(st.Zone)
	}
	s := e.sessions[courierID]
	if s == nil {
		s = newSession(c) // the engine's session from Connect on; not a known courier before
	}
	if !s.connected || s.shiftEnd.IsZero() {
		s.shiftEnd = sh.End
	}
	e.rota[courierID] = &rostered{Shift: sh, s: s}
	return sh, nil
}

// centre is the mean of a polygon's vertices: a station's meeting point when its rota
// names none.
func centre(p geo.Polygon) geo.LatLng {
	var c geo.LatLng
	for _, v := range p {
		c.Lat += v.Lat / float64(len(p))
		c.Lng += v.Lng / float64(len(p))
	}
	return c
}

// starting lists, for the round, the rostered couriers not yet online whose shift starts
// within ChainHorizon, as index entries at their start place, seen at their start time.
// Ended shifts are forgotten.
func (e *Engine) starting(now time.Time) []courier.Entry {
	var out []courier.Entry
	for id, r := range e.rota {
		switch {
		case !r.End.After(now):
			delete(e.rota, id)
			continue
		case r.s.connected:
			continue
		case r.Start.Sub(now) > e.cfg.ChainHorizon || now.After(r.Start):
			continue // too far ahead, or a no-show: plan only with couriers who turn up
		}
		c := r.s.c
		out = append(out, courier.Entry{ID: id, Kind: c.Kind, Station: c.StationID, Vehicle: c.Vehicle,
			Capacity: c.Capacity, State: courier.Offline, Pos: r.At, Seen: r.Start})
	}
	slices.SortFunc(out, func(a, b courier.Entry) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
