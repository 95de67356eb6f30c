package courier

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// The index skips H3 while a courier stays inside its cell's boundary (cellGeom.holds).
// Everything rests on that test never saying "inside" for a point H3 puts elsewhere, so it
// is checked here against H3 itself on ordinary cells, on the twelve pentagons and on
// the distorted cells that straddle an icosahedron edge.

// pentagonBaseCells are H3's twelve pentagon base cells.
var pentagonBaseCells = []uint64{4, 14, 24, 38, 49, 58, 63, 72, 83, 97, 107, 117}

// pentagons returns the pentagons at geo.IndexRes: the centre child of a pentagon is a
// pentagon, so each is the index cell of a base pentagon's centre.
func pentagons(t *testing.T) []geo.Cell {
	t.Helper()
	var out []geo.Cell
	for _, bc := range pentagonBaseCells {
		base, err := geo.ParseCell(fmt.Sprintf("%x", uint64(0x8001fffffffffff)|bc<<45))
		if err != nil {
			t.Fatal(err)
		}
		c, err := geo.IndexCell(base.Center())
		if err != nil {
			t.Fatal(err)
		}
		if n := len(c.Boundary()); n != 5 && n != 10 {
			t.Fatalf("base cell %d: index cell %v has %d vertices, not a pentagon", bc, c, n)
		}
		out = append(out, c)
	}
	return out
}

type vec struct{ x, y, z float64 }

func toVec(p geo.LatLng) vec {
	la, lo := p.Lat*math.Pi/180, p.Lng*math.Pi/180
	return vec{math.Cos(la) * math.Cos(lo), math.Cos(la) * math.Sin(lo), math.Sin(la)}
}

func fromVec(v vec) geo.LatLng {
	return geo.LatLng{Lat: math.Atan2(v.z, math.Hypot(v.x, v.y)) * 180 / math.Pi, Lng: math.Atan2(v.y, v.x) * 180 / math.Pi}
}

// slerp returns the point at fraction f of the great-circle arc from a to b.
func slerp(a, b geo.LatLng, f float64) geo.LatLng {
	u, v := toVec(a), toVec(b)
	o := math.Acos(u.x*v.x + u.y*v.y + u.z*v.z)
	s0, s1 := math.Sin((1-f)*o)/math.Sin(o), math.Sin(f*o)/math.Sin(o)
	return fromVec(vec{s0*u.x + s1*v.x, s0*u.y + s1*v.y, s0*u.z + s1*v.z})
}

// edgeCells returns cells with more than six boundary vertices, found along the
// icosahedron edges that join each pentagon (an icosahedron vertex) to its nearest ones.
func edgeCells(t *testing.T, pents []geo.Cell) []geo.Cell {
	t.Helper()
	seen := map[geo.Cell]bool{}
	var out []geo.Cell
	for i, a := range pents {
		for j, b := range pents {
			d := geo.Distance(a.Center(), b.Center())
			if i >= j || d > 8_000_000 { // neighbouring vertices are ≈ 7,050 km apart
				continue
			}
			for k := 1; k < 400; k++ {
				c, err := geo.IndexCell(slerp(a.Center(), b.Center(), float64(k)/400))
				if err != nil {
					t.Fatal(err)
				}
				if len(c.Boundary()) > 6 && !seen[c] {
					seen[c] = true
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// checkHolds samples points around c; every point cellGeom.holds accepts must be in c
// according to H3. It returns the share of the points in c that holds accepts.
func checkHolds(t *testing.T, rng *rand.Rand, c geo.Cell, samples int) float64 {
	t.Helper()
	g := newCellGeom(c)
	center := c.Center()
	radius := 0.0
	for _, v := range c.Boundary() {
		radius = max(radius, geo.Distance(center, v))
	}
	in, held := 0, 0
	for range samples {
		p := geo.Offset(center, (rng.Float64()*2-1)*1.2*radius, (rng.Float64()*2-1)*1.2*radius)
		got, err := geo.IndexCell(p)
		if err != nil {
			t.Fatal(err)
		}
		h := g.holds(p)
		if h && got != c {
			t.Fatalf("cell %v: holds(%v) but H3 puts it in %v", c, p, got)
		}
		if got == c {
			in++
			if h {
				held++
			}
		}
	}
	// The band that matters: points just edgeMargin inside each edge.
	for i := range g.edges[:g.n] {
		h := g.edges[i]
		for k := range 50 {
			// Walk along the edge line at depth edgeMargin (+ a hair for rounding).
			along := (float64(k)/49*2 - 1) * radius
			nx, ny, depth := float64(h.nx), float64(h.ny), float64(h.c)+edgeMargin*1.001
			x := nx*depth - ny*along
			y := ny*depth + nx*along
			p := geo.LatLng{Lat: g.lat + y/g.ky, Lng: g.lng + x/g.kx}
			if p.Lng > 180 {
				p.Lng -= 360
			} else if p.Lng < -180 {
				p.Lng += 360
			}
			if !g.holds(p) {
				continue // beyond another edge, near a corner
			}
			if got, err := geo.IndexCell(p); err != nil || got != c {
				t.Fatalf("cell %v: holds(%v), %.3f m inside edge %d, but H3 puts it in %v (%v)", c, p, edgeMargin, i, got, err)
			}
		}
	}
	if in == 0 {
		return 0
	}
	return float64(held) / float64(in)
}

func TestCellGeomHoldsAgreesWithH3(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	t.Run("random cells", func(t *testing.T) {
		for range 300 {
			// Uniform on the sphere, within the latitudes where the shortcut is on.
			lat := math.Asin(rng.Float64()*2-1) * 180 / math.Pi
			if math.Abs(lat) > polarLat {
				continue
			}
			c, err := geo.IndexCell(geo.LatLng{Lat: lat, Lng: rng.Float64()*360 - 180})
			if err != nil {
				t.Fatal(err)
			}
			if share := checkHolds(t, rng, c, 1000); share < 0.9 {
				t.Errorf("cell %v: holds accepts only %.0f%% of its points", c, 100*share)
			}
		}
	})
	t.Run("antimeridian", func(t *testing.T) {
		for _, lng := range []float64{179.999, -179.999, 180, -180} {
			c, err := geo.IndexCell(geo.LatLng{Lat: -17.5, Lng: lng})
			if err != nil {
				t.Fatal(err)
			}
			if share := checkHolds(t, rng, c, 2000); share < 0.9 {
				t.Errorf("cell %v: holds accepts only %.0f%% of its points", c, 100*share)
			}
		}
	})
	pents := pentagons(t)
	t.Run("pentagons", func(t *testing.T) {
		for _, c := range pents {
			share := checkHolds(t, rng, c, 2000)
			if math.Abs(c.Center().Lat) <= polarLat && share < 0.8 {
				t.Errorf("pentagon %v: holds accepts only %.0f%% of its points", c, 100*share)
			}
		}
	})
	t.Run("icosahedron edges", func(t *testing.T) {
		cells := edgeCells(t, pents)
		if len(cells) < 1000 {
			t.Fatalf("found %d distorted cells along icosahedron edges, want over 1000", len(cells))
		}
		for i, c := range cells {
			if i%10 != 0 {
				continue
			}
			share := checkHolds(t, rng, c, 1000)
			if math.Abs(c.Center().Lat) <= polarLat && share < 0.8 {
				t.Errorf("cell %v: holds accepts only %.0f%% of its points", c, 100*share)
			}
		}
	})
	t.Run("polar cells are never held", func(t *testing.T) {
		c, err := geo.IndexCell(geo.LatLng{Lat: 85, Lng: 10})
		if err != nil {
			t.Fatal(err)
		}
		if g := newCellGeom(c); g.n != 0 || g.holds(c.Center()) {
			t.Errorf("polar cell %v: shortcut on (%d edges)", c, g.n)
		}
	})
}

// TestFrameKeyMatchesFastDistance checks that the search's ranking key is
// geo.FastDistance in disguise, including across the antimeridian, and that beyond never
// rules out a cell holding a point nearer than the bound.
func TestFrameKeyMatchesFastDistance(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for range 2000 {
		lat := rng.Float64()*160 - 80
		if rng.IntN(10) == 0 {
			lat = rng.Float64()*20 + 70 // high latitudes, polar cells included
		}
		centre := geo.LatLng{Lat: lat, Lng: rng.Float64()*360 - 180}
		c, err := geo.IndexCell(centre)
		if err != nil {
			t.Fatal(err)
		}
		g := newCellGeom(c)
		from := geo.Offset(c.Center(), (rng.Float64()*2-1)*8_000, (rng.Float64()*2-1)*8_000)
		q := newQuery(from)
		f := q.frame(&g.disc)
		for range 20 {
			// A point of the cell: between the centre and a vertex.
			vs := c.Boundary()
			p := geo.Toward(c.Center(), vs[rng.IntN(len(vs))], rng.Float64())
			key := f.key(p)
			got := metresPerDegree * math.Sqrt(key)
			want := geo.FastDistance(from, p)
			if math.Abs(got-want) > 1e-9*max(1, want) {
				t.Fatalf("%v → %v: key gives %.9f m, FastDistance %.9f m", from, p, got, want)
			}
			if f.beyond(&g.disc, key) {
				t.Fatalf("%v → cell %v: beyond(%.3f m) but %v is that near", from, c, want, p)
			}
		}
	}
}

// TestLocate checks the square memo: whatever the memo holds, locate answers what H3
// answers, for points scattered over a city (squares revisited, many straddling a cell
// edge), across the antimeridian and near a pole.
func TestLocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	gc := geomCache{m: map[geo.Cell]*cellGeom{}, squares: map[uint64]geo.Cell{}}
	centres := []geo.LatLng{paris, {Lat: -17.8, Lng: 179.9995}, {Lat: 85, Lng: 10}, {Lat: -33.87, Lng: 151.21}}
	fromMemo := 0
	for i := range 60_000 {
		c := centres[i%len(centres)]
		p := geo.Offset(c, (rng.Float64()-0.5)*2000, (rng.Float64()-0.5)*2000)
		if i%3 == 0 { // revisit a square, often on the other side of an edge
			p = geo.Offset(p, rng.NormFloat64()*20, rng.NormFloat64()*20)
		}
		sq := square(p)
		memo := gc.m[gc.squares[sq]]
		if memo != nil && memo.holds(p) {
			fromMemo++
		}
		g, err := gc.locate(p)
		if err != nil {
			t.Fatal(err)
		}
		if want := mustCell(t, p); g.cell != want {
			t.Fatalf("locate(%v) = %v, H3 says %v", p, g.cell, want)
		}
	}
	if fromMemo < 30_000 {
		t.Errorf("only %d of 60000 points located from the memo", fromMemo)
	}
}
