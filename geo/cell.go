package geo

import (
	"errors"
	"fmt"

	"github.com/uber/h3-go/v4"
)

// Resolutions used by Hummingbird, named so the choice is visible in one place.
const (
	// IndexRes is the resolution of the live courier index and of dispatch ring search.
	// Resolution 9 cells average 0.105 km² (edge ≈ 174 m, about 350 m across): one ring
	// is a two-minute bicycle ride, so ring k approximates "k × 2 minutes away", a crowd
	// broadcast widens in steps a courier can feel, and a moving courier changes cell
	// only every 20-60 s — most GPS fixes stay in their cell, which keeps index updates
	// cheap. Resolution 8 (≈ 460 m edge) is too coarse to rank couriers by ring alone;
	// resolution 10 (≈ 66 m) makes rings so thin that a search walks dozens of them.
	IndexRes = 9
	// ZoneRes is the resolution at which service areas and station zones are stored as
	// cell sets: the same as IndexRes, so a pickup's index cell is looked up directly.
	ZoneRes = IndexRes
	// HeatRes is the coarser resolution of the operators' supply/demand map
	// (≈ 0.74 km² cells): enough orders per cell to show a ratio.
	HeatRes = 8
)

// Cell errors.
var (
	ErrInvalidCell = errors.New("geo: invalid H3 cell")
	ErrH3          = errors.New("geo: H3 operation failed")
)

// Cell is an H3 cell index. The zero value is not a valid cell.
type Cell uint64

// CellOf returns the cell of p at resolution res. p must be valid.
func CellOf(p LatLng, res int) (Cell, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	c, err := h3.LatLngToCell(h3.LatLng{Lat: p.Lat, Lng: p.Lng}, res)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrH3, err)
	}
	return Cell(c), nil
}

// IndexCell is CellOf at IndexRes.
func IndexCell(p LatLng) (Cell, error) { return CellOf(p, IndexRes) }

// ParseCell reads the hexadecimal form of a cell.
func ParseCell(s string) (Cell, error) {
	c := h3.CellFromString(s)
	if !c.IsValid() {
		return 0, fmt.Errorf("%w: %q", ErrInvalidCell, s)
	}
	return Cell(c), nil
}

// Valid reports whether c is a valid H3 cell.
func (c Cell) Valid() bool { return h3.Cell(c).IsValid() }

// String returns the cell's hexadecimal form.
func (c Cell) String() string { return h3.Cell(c).String() }

// MarshalText encodes the cell as hexadecimal.
func (c Cell) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText decodes a hexadecimal cell.
func (c *Cell) UnmarshalText(b []byte) error {
	v, err := ParseCell(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Res returns the cell's resolution.
func (c Cell) Res() int { return h3.Cell(c).Resolution() }

// Center returns the cell's centre.
func (c Cell) Center() LatLng {
	ll, err := h3.Cell(c).LatLng()
	if err != nil {
		return LatLng{}
	}
	return LatLng{Lat: ll.Lat, Lng: ll.Lng}
}

// Parent returns the cell containing c at the coarser resolution res.
func (c Cell) Parent(res int) (Cell, error) {
	p, err := h3.Cell(c).Parent(res)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrH3, err)
	}
	return Cell(p), nil
}

// Boundary returns the cell's vertices.
func (c Cell) Boundary() []LatLng {
	b, err := h3.Cell(c).Boundary()
	if err != nil {
		return nil
	}
	out := make([]LatLng, len(b))
	for i, v := range b {
		out[i] = LatLng{Lat: v.Lat, Lng: v.Lng}
	}
	return out
}

// Ring returns the cells at exactly grid distance k from c (k = 0 gives c itself).
func (c Cell) Ring(k int) ([]Cell, error) {
	if k == 0 {
		return []Cell{c}, nil
	}
	r, err := h3.Cell(c).GridRing(k)
	if err != nil {
		// GridRing fails near pentagons; the disk difference always works.
		return c.ringSlow(k)
	}
	return fromH3(r), nil
}

func (c Cell) ringSlow(k int) ([]Cell, error) {
	d, err := h3.Cell(c).GridDiskDistances(k)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrH3, err)
	}
	if k >= len(d) {
		return nil, nil
	}
	return fromH3(d[k]), nil
}

// Disk returns every cell within grid distance k of c, c first.
func (c Cell) Disk(k int) ([]Cell, error) {
	d, err := h3.Cell(c).GridDisk(k)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrH3, err)
	}
	out := fromH3(d)
	// H3 lists c first except near pentagons, where it falls back to another walk.
	for i := range out {
		if out[i] == c {
			out[0], out[i] = out[i], out[0]
			break
		}
	}
	return out, nil
}

// GridDistance returns the number of grid steps between a and b.
func GridDistance(a, b Cell) (int, error) {
	n, err := h3.GridDistance(h3.Cell(a), h3.Cell(b))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrH3, err)
	}
	return n, nil
}

func fromH3(cs []h3.Cell) []Cell {
	out := make([]Cell, 0, len(cs))
	for _, h := range cs {
		if h != 0 {
			out = append(out, Cell(h))
		}
	}
	return out
}
