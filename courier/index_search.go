package courier

import (
	"cmp"
	"slices"

	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// Candidate is a courier found by a search.
type Candidate struct {
	Entry
	// Distance is the straight-line distance in metres from the search point to the
	// courier (geo.FastDistance).
	Distance float64
	// Ring is the grid ring of the courier's cell from the search point's cell: 0 for the
	// same cell, 1 for its neighbours, and so on.
	Ring int
}

// Nearest returns up to n couriers accepted by keep (nil keeps all), nearest first by
// Distance (ties by ID). It searches ring by ring outward from the cell of p, up to
// maxRings rings (0, or more than geo.MaxRings, means geo.MaxRings).
//
// The rings searched are 0..min(k+1, maxRings), where k is the first ring by which n
// accepted couriers have been found, or 0..maxRings if fewer than n exist there. The
// result is exactly the n nearest by Distance among the accepted couriers in the rings
// searched. Ring k+1 is scanned because a courier in the next ring can be closer in metres
// than one in ring k. Couriers in rings beyond k+1 are not considered even when one is
// closer than the last result: grid rings bound distance only loosely (from a corner of
// its cell, p is a single cell edge, ≈ 175 m at geo.IndexRes, from ring 2), so the
// guarantee is about rings, not metres; the courier the caller prefers is ranked by
// travel time afterwards anyway.
//
// keep is called under the index's read lock with the index's own record: it must only
// read it, must not keep the pointer, and must not call the Index. Nearest returns nil if
// n < 1 or p is invalid.
func (x *Index) Nearest(p geo.LatLng, n, maxRings int, keep func(*Entry) bool) []Candidate {
	if n < 1 {
		return nil
	}
	if maxRings <= 0 || maxRings > geo.MaxRings {
		maxRings = geo.MaxRings
	}
	if p.Validate() != nil {
		return nil
	}
	g, err := x.geoms.locate(p)
	if err != nil {
		return nil
	}
	origin := g.cell
	q := newQuery(p)
	var buf [16]hit
	top := buf[:0] // max-heap of the n best so far: top[0] is the worst of them
	if n > len(buf) {
		top = make([]hit, 0, n)
	}
	limit := maxRings

	x.mu.RLock()
	for k := 0; k <= limit; k++ {
		ring := x.rings.ring(origin, k, &x.geoms)
		for j := range ring {
			rc := &ring[j]
			f := q.frame(&rc.disc)
			if len(top) == n && f.beyond(&rc.disc, top[0].d) {
				continue // no point of the cell can beat the n found
			}
			b := x.cells[rc.cell]
			if b == nil {
				continue
			}
			for i := range b.slots {
				s := &b.slots[i]
				h := hit{d: f.key(s.pos), ring: k, e: s.e, pos: &s.pos}
				if len(top) == n && !h.less(&top[0]) {
					continue // cannot enter; n accepted are already found
				}
				if keep != nil && !keep(&s.e.Entry) {
					continue
				}
				if len(top) < n {
					top = append(top, h)
					heapUp(top, len(top)-1)
				} else {
					top[0] = h
					heapDown(top)
				}
			}
		}
		if len(top) == n && limit == maxRings {
			limit = min(k+1, maxRings)
		}
	}
	out := candidates(p, top)
	x.mu.RUnlock()
	return out
}

// Within returns every courier accepted by keep (nil keeps all) whose cell is within
// rings grid steps of the cell of p, nearest first by Distance (ties by ID). rings is
// capped at geo.MaxRings. keep obeys the same rules as in Nearest. Within returns nil if
// rings < 0 or p is invalid.
func (x *Index) Within(p geo.LatLng, rings int, keep func(*Entry) bool) []Candidate {
	if rings < 0 {
		return nil
	}
	rings = min(rings, geo.MaxRings)
	if p.Validate() != nil {
		return nil
	}
	g, err := x.geoms.locate(p)
	if err != nil {
		return nil
	}
	origin := g.cell
	var hits []hit

	x.mu.RLock()
	for k := 0; k <= rings; k++ {
		for _, rc := range x.rings.ring(origin, k, &x.geoms) {
			b := x.cells[rc.cell]
			if b == nil {
				continue
			}
			for i := range b.slots {
				s := &b.slots[i]
				if keep != nil && !keep(&s.e.Entry) {
					continue
				}
				hits = append(hits, hit{ring: k, e: s.e, pos: &s.pos})
			}
		}
	}
	out := candidates(p, hits)
	x.mu.RUnlock()
	return out
}

// candidates ranks hits by their exact Distance (ties by ID) and copies them out of the
// index. x.mu must be held.
func candidates(p geo.LatLng, hits []hit) []Candidate {
	if len(hits) == 0 {
		return nil
	}
	for i := range hits {
		hits[i].d = geo.FastDistance(p, *hits[i].pos)
	}
	if len(hits) <= 32 {
		for i := 1; i < len(hits); i++ { // insertion sort: Nearest's few hits
			for j := i; j > 0 && hits[j].less(&hits[j-1]); j-- {
				hits[j], hits[j-1] = hits[j-1], hits[j]
			}
		}
	} else {
		slices.SortFunc(hits, func(a, b hit) int {
			if c := cmp.Compare(a.d, b.d); c != 0 {
				return c
			}
			return cmp.Compare(a.e.ID, b.e.ID)
		})
	}
	out := make([]Candidate, len(hits))
	for i := range hits {
		out[i] = Candidate{Entry: hits[i].e.Entry, Distance: hits[i].d, Ring: hits[i].ring}
	}
	return out
}

// hit is a candidate during a search, ranked by d: a frame key while searching, then
// metres.
type hit struct {
	d    float64
	ring int
	e    *entry
	pos  *geo.LatLng // the slot's copy of e.Pos, already in cache
}

// less ranks h before o: nearer, or as near with a smaller ID.
func (h *hit) less(o *hit) bool {
	if h.d != o.d {
		return h.d < o.d
	}
	return h.e.ID < o.e.ID
}

// heapUp restores the max-heap (worst hit at the root) after appending at i.
func heapUp(h []hit, i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !h[parent].less(&h[i]) {
			return
		}
		h[parent], h[i] = h[i], h[parent]
		i = parent
	}
}

// heapDown restores the max-heap after replacing the root.
func heapDown(h []hit) {
	i := 0
	for {
		worst, l, r := i, 2*i+1, 2*i+2
		if l < len(h) && h[worst].less(&h[l]) {
			worst = l
		}
		if r < len(h) && h[worst].less(&h[r]) {
			worst = r
		}
		if worst == i {
			return
		}
		h[i], h[worst] = h[worst], h[i]
		i = worst
	}
}
