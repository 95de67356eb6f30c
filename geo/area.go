package geo

import (
	"errors"
	"fmt"
	"math"

	"github.com/uber/h3-go/v4"
)

// Polygon errors.
var (
	ErrPolygonTooSmall = errors.New("geo: polygon needs at least 3 distinct vertices")
	ErrPolygonTooLarge = errors.New("geo: polygon covers too many cells")
	ErrPolygonEmpty    = errors.New("geo: polygon covers no cell")
)

// MaxAreaCells bounds the cells one polygon may cover at ZoneRes (≈ 21,000 km²): a metro
// region, far above any real service area, low enough that a hostile polygon cannot
// exhaust memory.
const MaxAreaCells = 200_000

// Polygon is a closed outer ring of vertices (the last vertex need not repeat the first).
// Holes are not supported: a zone with a hole is two zones.
type Polygon []LatLng

// Validate checks every vertex and that the ring has at least three distinct ones.
func (p Polygon) Validate() error {
	distinct := map[LatLng]struct{}{}
	for i, v := range p {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("vertex %d: %w", i, err)
		}
		distinct[v] = struct{}{}
	}
	if len(distinct) < 3 {
		return ErrPolygonTooSmall
	}
	return nil
}

// CellSet is a set of cells at one resolution. It is read-only after construction and
// therefore safe for concurrent reads.
type CellSet struct {
	res   int
	cells map[Cell]struct{}
}

// Cover returns the cells at res whose centres lie inside p.
func (p Polygon) Cover(res int) (CellSet, error) {
	if err := p.Validate(); err != nil {
		return CellSet{}, err
	}
	loop := make([]h3.LatLng, len(p))
	for i, v := range p {
		loop[i] = h3.LatLng{Lat: v.Lat, Lng: v.Lng}
	}
	poly := h3.GeoPolygon{GeoLoop: loop}
	// Estimate from the bounding box first so a huge polygon is refused before H3
	// allocates for it.
	avg, err := h3.HexagonAreaAvgM2(res)
	if err != nil {
		return CellSet{}, fmt.Errorf("%w: %v", ErrH3, err)
	}
	box := p.boxArea()
	if box == 0 {
		// All vertices on one parallel or meridian: no area, and H3 fails on it.
		return CellSet{}, ErrPolygonEmpty
	}
	if box/avg > 2*MaxAreaCells {
		return CellSet{}, ErrPolygonTooLarge
	}
	cs, err := h3.PolygonToCells(poly, res)
	if err != nil {
		return CellSet{}, fmt.Errorf("%w: %v", ErrH3, err)
	}
	if len(cs) == 0 {
		return CellSet{}, ErrPolygonEmpty
	}
	if len(cs) > MaxAreaCells {
		return CellSet{}, ErrPolygonTooLarge
	}
	set := CellSet{res: res, cells: make(map[Cell]struct{}, len(cs))}
	for _, c := range cs {
		set.cells[Cell(c)] = struct{}{}
	}
	return set, nil
}

// boxArea returns the area in square metres of p's bounding box. The width is measured
// along the box's widest parallel (the one nearest the equator) and without wrapping
// round the antimeridian, so the estimate errs large: it guards against huge polygons.
func (p Polygon) boxArea() float64 {
	const rad = math.Pi / 180
	lo, hi := p[0], p[0]
	for _, v := range p[1:] {
		lo.Lat, lo.Lng = min(lo.Lat, v.Lat), min(lo.Lng, v.Lng)
		hi.Lat, hi.Lng = max(hi.Lat, v.Lat), max(hi.Lng, v.Lng)
	}
	widest := 0.0 // latitude of the widest parallel in the box
	if lo.Lat > 0 {
		widest = lo.Lat
	} else if hi.Lat < 0 {
		widest = hi.Lat
	}
	h := (hi.Lat - lo.Lat) * rad * earthRadiusM
	w := (hi.Lng - lo.Lng) * rad * earthRadiusM * math.Cos(widest*rad)
	return h * w
}

// Len returns the number of cells.
func (s CellSet) Len() int { return len(s.cells) }

// Res returns the set's resolution.
func (s CellSet) Res() int { return s.res }

// Has reports whether c (at the set's resolution) is in the set.
func (s CellSet) Has(c Cell) bool {
	_, ok := s.cells[c]
	return ok
}

// Contains reports whether point p falls in one of the set's cells.
func (s CellSet) Contains(p LatLng) bool {
	c, err := CellOf(p, s.res)
	return err == nil && s.Has(c)
}

// Cells returns the set's cells in no particular order.
func (s CellSet) Cells() []Cell {
	out := make([]Cell, 0, len(s.cells))
	for c := range s.cells {
		out = append(out, c)
	}
	return out
}
