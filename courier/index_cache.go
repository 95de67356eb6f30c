package courier

import (
	"math"
	"sync"

	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// maxGeoms bounds the geometry cache (≈ 250 bytes a cell with the map's share, 8 MiB
// in all). A city has a few thousand cells; a country-wide fleet may visit more, and then
// the cache starts over.
const maxGeoms = 1 << 15

// maxSquares bounds the memo of small squares to cells (≈ 20 bytes a square, 2.5 MiB in
// all: a 15 km × 15 km city has 110,000 squares).
const maxSquares = 1 << 17

// squareDeg is the side of a memo square in degrees: 55 m north-south, less east-west,
// small beside a cell at geo.IndexRes (≈ 350 m across), so most squares lie in one cell.
const squareDeg = 0.0005

// geomCache remembers the geometry of the cells couriers have been in and searches have
// walked, and which cell was last found in each small square of the map, so that a point
// can often be located without H3: the square's cell is the answer when the point is
// clearly inside it (cellGeom.holds). Its geometries are immutable and shared.
type geomCache struct {
	mu      sync.Mutex
	m       map[geo.Cell]*cellGeom
	squares map[uint64]geo.Cell
}

// square returns the memo key of p's square.
func square(p geo.LatLng) uint64 {
	i, j := int32(math.Floor(p.Lat/squareDeg)), int32(math.Floor(p.Lng/squareDeg))
	return uint64(uint32(i))<<32 | uint64(uint32(j))
}

// locate returns the geometry of the index cell containing p (valid). It may call H3
// (cgo), so callers do not hold the index lock.
func (gc *geomCache) locate(p geo.LatLng) (*cellGeom, error) {
	sq := square(p)
	gc.mu.Lock()
	g := gc.m[gc.squares[sq]]
	gc.mu.Unlock()
	if g != nil && g.holds(p) {
		return g, nil
	}
	c, err := geo.IndexCell(p)
	if err != nil {
		return nil, err
	}
	g = gc.get(c)
	gc.mu.Lock()
	if len(gc.squares) >= maxSquares {
		clear(gc.squares)
	}
	gc.squares[sq] = c
	gc.mu.Unlock()
	return g, nil
}

// get returns the geometry of cell c, from H3 (cgo) the first time.
func (gc *geomCache) get(c geo.Cell) *cellGeom {
	gc.mu.Lock()
	g, ok := gc.m[c]
	gc.mu.Unlock()
	if ok {
		return g
	}
	g = newCellGeom(c)
	gc.mu.Lock()
	if len(gc.m) >= maxGeoms {
		clear(gc.m)
	}
	gc.m[c] = g
	gc.mu.Unlock()
	return g
}

// maxRingCells bounds the ring cache by the cells it holds (48 bytes each, 24 MiB at
// most; a city of 3,000 cells searched up to ring 3 holds 110,000).
const maxRingCells = 1 << 19

// ringCell is one cell of a cached ring, with what a search needs to skip it without
// looking its bucket up.
type ringCell struct {
	cell geo.Cell
	disc
}

type ringKey struct {
	origin geo.Cell
	k      int
}

// ringCache remembers the cells of ring k around an origin cell, so a search calls H3
// (cgo) only for rings never walked before. The slices it returns are shared and must not
// be modified.
type ringCache struct {
	mu    sync.RWMutex
	m     map[ringKey][]ringCell
	cells int // cells held, for the bound
}

// ring returns the cells at grid distance k from origin (ring 0 is origin itself), empty
// if H3 cannot build the ring. geoms supplies the cells' geometry.
func (rc *ringCache) ring(origin geo.Cell, k int, geoms *geomCache) []ringCell {
	key := ringKey{origin, k}
	rc.mu.RLock()
	r, ok := rc.m[key]
	rc.mu.RUnlock()
	if ok {
		return r
	}
	cells, err := origin.Ring(k)
	if err != nil {
		cells = nil
	}
	r = make([]ringCell, len(cells))
	for i, c := range cells {
		r[i] = ringCell{cell: c, disc: geoms.get(c).disc}
	}
	rc.mu.Lock()
	if rc.cells+len(r)+1 > maxRingCells {
		clear(rc.m)
		rc.cells = 0
	}
	rc.m[key] = r
	rc.cells += len(r) + 1 // an empty ring still costs its key
	rc.mu.Unlock()
	return r
}
