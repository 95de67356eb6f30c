package dispatch

import (
	"cmp"
	"slices"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// slot is a courier that can start a new trip: when and where it will be free.
type slot struct {
	s   *session
	at  time.Time
	pos geo.LatLng
}

// fleet is the round's franchise couriers that can start a new trip, in no order: the
// idle ones as the live index holds them and the soon-free ones where their trip ends.
// Ring searches cover geo.MaxRings around a shop (about 6 km). When they find fewer than
// Candidates couriers for an order whose goods are already ready, the round falls back
// on these lists, so a sparse fleet (late evening, the outskirts) still reaches a courier
// further away than the rings. Only such late orders look that far: for an order not yet
// ready, a far courier sent now would be matched only because it adds a match, while a
// nearer one will soon be free.
// Starting couriers (ScheduleShift) are only ever found here.
type fleet struct {
	idle, soon, starting []courier.Entry
	// indexedIdle counts the live index's entries that could pass a round's idle filter
	// (franchise, available, connected, nothing planned): with none, a ring search would
	// walk every ring for nothing.
	indexedIdle int
}

// soonFree indexes the franchise couriers that are on a trip, have none queued after it,
// and will be free within ChainHorizon, at the place their trip ends, and lists the
// round's fleet. The index lives as long as the engine so its ring and cell caches stay
// warm from round to round.
func (e *Engine) soonFree(now time.Time) (*courier.Index, *fleet) {
	fl := &fleet{starting: e.starting(now)}
	for _, s := range e.sessions {
		id := s.c.ID
		if s.connected && s.c.Kind == courier.Franchise && len(s.trips) == 0 && len(s.offers) == 0 {
			if x, ok := e.index.Get(id); ok {
				if x.Kind == courier.Franchise && x.State == courier.Available {
					fl.indexedIdle++
				}
				if s.state == courier.Available {
					fl.idle = append(fl.idle, x)
				}
			}
		}
		if !s.connected || s.c.Kind != courier.Franchise || len(s.trips) != 1 || len(s.offers) > 0 {
			e.soon.Remove(id)
			continue
		}
		at, pos := e.freeAt(s, now)
		if at.Sub(now) > e.cfg.ChainHorizon {
			e.soon.Remove(id)
			continue
		}
		x := courier.Entry{ID: id, Kind: s.c.Kind, Station: s.c.StationID, Vehicle: s.c.Vehicle,
			Capacity: s.c.Capacity, State: courier.Busy, Pos: pos, Seen: at}
		fl.soon = append(fl.soon, x)
		if e.soon.Move(id, pos, at) == nil {
			continue
		}
		_ = e.soon.Put(x)
	}
	return e.soon, fl
}

// candidates finds the couriers that could take j: idle ones near the shop from the
// live index, busy ones from soon whose current trip ends near it (both widened to the
// whole fleet for an order already ready), and rostered ones whose shift starts soon.
func (e *Engine) candidates(j *job, soon *courier.Index, fl *fleet, now time.Time) ([]courier.Candidate, []slot) {
	keepIdle := func(x *courier.Entry) bool {
		s := e.sessions[x.ID]
		return x.Kind == courier.Franchise && x.Station == j.station && x.State == courier.Available &&
			s != nil && s.connected && len(s.trips) == 0 && len(s.offers) == 0 &&
			x.Capacity >= j.units && !j.excluded(x.ID)
	}
	keepBusy := func(x *courier.Entry) bool {
		return x.Station == j.station && x.Capacity >= j.units && !j.excluded(x.ID) && len(e.sessions[x.ID].offers) == 0
	}
	var idle, busy []courier.Candidate
	if fl.indexedIdle > 0 {
		idle = e.index.Nearest(j.pickup, e.cfg.Candidates, 0, keepIdle)
	}
	if len(fl.soon) > 0 { // soon holds exactly fl.soon
		busy = soon.Nearest(j.pickup, e.cfg.Candidates, 0, keepBusy)
	}
	if !now.Before(j.ready) {
		// The goods are ready and no courier has come for them: look beyond the rings.
		idle = e.widen(j.pickup, idle, fl.idle, keepIdle)
		busy = e.widen(j.pickup, busy, fl.soon, keepBusy)
	}
	starting := e.widen(j.pickup, nil, fl.starting, func(x *courier.Entry) bool {
		return x.Station == j.station && x.Capacity >= j.units && !j.excluded(x.ID)
	})
	cands := slices.Concat(idle, busy, starting)
	slots := make([]slot, len(cands))
	for i, c := range cands {
		switch {
		case i < len(idle):
			slots[i] = slot{s: e.sessions[c.ID], pos: c.Pos}
			slots[i].at, _ = e.freeAt(slots[i].s, now)
		case i < len(idle)+len(busy):
			slots[i] = slot{s: e.sessions[c.ID], at: c.Seen, pos: c.Pos}
		default:
			slots[i] = slot{s: e.rota[c.ID].s, at: c.Seen, pos: c.Pos}
		}
	}
	return cands, slots
}

// widen completes a ring search around p that found fewer than Candidates couriers with
// the nearest others of all that keep accepts, nearest first (ties by id). Couriers found
// this way are beyond the rings; their Ring is geo.MaxRings+1.
func (e *Engine) widen(p geo.LatLng, found []courier.Candidate, all []courier.Entry, keep func(*courier.Entry) bool) []courier.Candidate {
	if len(found) >= e.cfg.Candidates || len(all) <= len(found) {
		return found
	}
	seen := make(map[string]bool, len(found))
	for _, c := range found {
		seen[c.ID] = true
	}
	var more []courier.Candidate
	for i := range all {
		x := &all[i]
		if !seen[x.ID] && keep(x) {
			more = append(more, courier.Candidate{Entry: *x, Distance: geo.FastDistance(p, x.Pos), Ring: geo.MaxRings + 1})
		}
	}
	slices.SortFunc(more, func(a, b courier.Candidate) int {
		return cmp.Or(cmp.Compare(a.Distance, b.Distance), cmp.Compare(a.ID, b.ID))
	})
	return append(found, more[:min(len(more), e.cfg.Candidates-len(found))]...)
}
