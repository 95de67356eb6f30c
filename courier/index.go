package courier

import (
	"errors"
	"sync"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// Entry is one courier's live record in the index.
type Entry struct {
	ID       string
	Kind     Kind
	Station  string // station id for franchise couriers
	Vehicle  Vehicle
	Capacity int
	Load     int // orders currently carried or reserved
	State    State
	Pos      geo.LatLng
	Cell     geo.Cell  // at geo.IndexRes, maintained by the index
	Seen     time.Time // time of the last position
}

// Spare returns Capacity-Load (never negative).
func (e Entry) Spare() int { return max(0, e.Capacity-e.Load) }

// ErrUnknown is returned for a courier id the index does not hold.
var ErrUnknown = errors.New("courier: not in the index")

// errNoID refuses an entry without an id: it could never be moved, updated or removed.
var errNoID = errors.New("courier: index entry needs an id")

// Index is the live spatial index of online couriers, keyed by their H3 cell at
// geo.IndexRes. It is safe for concurrent use: one RWMutex guards the entries, searches
// share the read lock, Put, Move, Update and Remove take the write lock. H3 lookups (cgo)
// run outside the lock.
//
// Every entry sits in the bucket of the cell that contains its position. Move keeps that
// true cheaply: the index remembers the boundary of each occupied cell and skips the H3
// lookup while a new position is clearly (a metre or more) inside its courier's current
// cell, which is where nearly all 1 Hz GPS fixes land.
type Index struct {
	mu    sync.RWMutex
	byID  map[string]*entry
	cells map[geo.Cell]*bucket

	rings ringCache // ring cell lists per (origin cell, k)
	geoms geomCache // boundary per cell
}

// entry is the index's private record: the public Entry plus its place in a bucket. The
// fields Move touches (Pos, Seen, b, sp) sit together at the end, and Move can load the
// bucket and the slot at once rather than one after the other.
type entry struct {
	Entry
	b    *bucket // bucket of Cell
	sp   *slot   // &b.slots[slot], kept up to date when the slots move
	slot int     // position in b.slots
}

// bucket holds the entries of one cell. Slots keep a copy of the position inline so a
// search reads one contiguous slice per cell and touches an entry only when it is a
// candidate.
type bucket struct {
	slots []slot
	geom  cellGeom // the cell and its boundary, copied in so Move reads no pointer
}

// slot is one entry's place in a bucket: a copy of its position and the entry.
type slot struct {
	pos geo.LatLng
	e   *entry
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{
		byID:  make(map[string]*entry),
		cells: make(map[geo.Cell]*bucket),
		rings: ringCache{m: make(map[ringKey][]ringCell)},
		geoms: geomCache{m: make(map[geo.Cell]*cellGeom), squares: make(map[uint64]geo.Cell)},
	}
}

// Put adds e, or replaces the entry with the same ID. The index computes Cell from Pos
// and ignores the Cell given. It fails, leaving the index unchanged, if Pos is invalid
// (a geo error) or ID is empty.
func (x *Index) Put(e Entry) error {
	if err := e.Pos.Validate(); err != nil {
		return err
	}
	if e.ID == "" {
		return errNoID
	}
	g, err := x.geoms.locate(e.Pos)
	if err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	r, ok := x.byID[e.ID]
	if !ok {
		r = &entry{}
		x.byID[e.ID] = r
	}
	r.Entry = e
	x.place(r, e.Pos, g)
	return nil
}

// Move records a new position p seen at time at for courier id. This is the hot path: a
// position that stays in the courier's cell (a metre or more from its edges) costs no H3
// lookup and no allocation. It returns ErrUnknown if id is not in the index and the geo error if p is
// invalid; either way nothing changes. Move neither filters fixes (see Filter) nor orders
// them: concurrent Moves of one courier apply in an unspecified order.
func (x *Index) Move(id string, p geo.LatLng, at time.Time) error {
	if err := p.Validate(); err != nil {
		return err
	}
	x.mu.Lock()
	r, ok := x.byID[id]
	if !ok {
		x.mu.Unlock()
		return ErrUnknown
	}
	if r.b.geom.holds(p) {
		r.Pos, r.Seen = p, at
		r.sp.pos = p
		x.mu.Unlock()
		return nil
	}
	x.mu.Unlock()

	// The courier may have left its cell: find the cell with H3 outside the lock, then
	// look the entry up again, since it may have been removed or replaced meanwhile.
	g, err := x.geoms.locate(p)
	if err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	r, ok = x.byID[id]
	if !ok {
		return ErrUnknown
	}
	r.Seen = at
	x.place(r, p, g)
	return nil
}

// Update applies fn to courier id's entry under the write lock, for changes of state,
// load, capacity and the like. fn must not change ID, Pos, Cell or Seen (changes to them
// are undone), must not keep the pointer, and must not call the Index. Update returns
// ErrUnknown if id is not in the index.
func (x *Index) Update(id string, fn func(*Entry)) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	r, ok := x.byID[id]
	if !ok {
		return ErrUnknown
	}
	keepID, pos, cell, seen := r.ID, r.Pos, r.Cell, r.Seen
	fn(&r.Entry)
	r.ID, r.Pos, r.Cell, r.Seen = keepID, pos, cell, seen
	return nil
}

// Remove deletes courier id from the index; removing an absent id does nothing.
func (x *Index) Remove(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	r, ok := x.byID[id]
	if !ok {
		return
	}
	delete(x.byID, id)
	x.detach(r)
}

// Get returns a copy of courier id's entry and whether it is in the index.
func (x *Index) Get(id string) (Entry, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	r, ok := x.byID[id]
	if !ok {
		return Entry{}, false
	}
	return r.Entry, true
}

// Len returns the number of couriers in the index.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byID)
}

// Snapshot returns a copy of all entries, in no particular order (for the ops map and
// supply counts).
func (x *Index) Snapshot() []Entry {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]Entry, 0, len(x.byID))
	for _, r := range x.byID {
		out = append(out, r.Entry)
	}
	return out
}

// place puts r at position p inside cell g, moving it between buckets if its cell
// changed. x.mu must be held for writing.
func (x *Index) place(r *entry, p geo.LatLng, g *cellGeom) {
	r.Pos, r.Cell = p, g.cell
	if r.b != nil && r.b.geom.cell == g.cell {
		r.sp.pos = p
		return
	}
	if r.b != nil {
		x.detach(r)
	}
	b, ok := x.cells[g.cell]
	if !ok {
		b = &bucket{geom: *g}
		x.cells[g.cell] = b
	}
	r.b, r.slot = b, len(b.slots)
	old := cap(b.slots)
	b.slots = append(b.slots, slot{pos: p, e: r})
	if cap(b.slots) != old { // moved: repoint every entry of the bucket
		for i := range b.slots {
			b.slots[i].e.sp = &b.slots[i]
		}
	} else {
		r.sp = &b.slots[r.slot]
	}
}

// detach takes r out of its bucket by swapping the last slot into its place, and drops
// the bucket when it empties. x.mu must be held for writing.
func (x *Index) detach(r *entry) {
	b := r.b
	last := len(b.slots) - 1
	if r.slot != last {
		b.slots[r.slot] = b.slots[last]
		moved := b.slots[r.slot].e
		moved.slot, moved.sp = r.slot, &b.slots[r.slot]
	}
	b.slots[last] = slot{} // let the collector have the entry
	b.slots = b.slots[:last]
	if last == 0 {
		delete(x.cells, b.geom.cell)
	}
	r.b, r.sp, r.slot = nil, nil, 0
}
