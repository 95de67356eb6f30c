package courier

import (
	"math"

	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// metresPerDegree converts the square root of a frame key to geo.FastDistance's metres.
// It is a constant, computed from geo so the two cannot disagree.
var metresPerDegree = geo.FastDistance(geo.LatLng{}, geo.LatLng{Lat: 1})

// polarLat is the latitude beyond which the index always asks H3 for a moving courier's
// cell and searches prune no cell: near the poles a local flat projection is no longer
// trustworthy.
const polarLat = 80

// edgeMargin is how far inside every edge of its cell, in metres, a position must be for
// Move to skip the H3 lookup. The flat projection below bends a cell edge by millimetres
// and H3 rounds at nanometres, so one metre leaves a wide safety band while sending only
// about 1 % of the positions in a cell to H3.
const edgeMargin = 1.0

// maxEdges is the most vertices an H3 cell boundary has (a pentagon or a hexagon crossing
// an icosahedron edge gains distortion vertices).
const maxEdges = 10

// halfPlane is one cell edge in the cell's local plane: a point (x, y) is on the cell's
// side when nx·x + ny·y ≥ c. (nx, ny) is a unit vector, so the slack is in metres.
// float32 halves what Move reads per cell; its rounding (< 0.1 mm over a cell) is lost in
// edgeMargin.
type halfPlane struct{ nx, ny, c float32 }

// cellGeom is what the index knows about a cell. H3 cell edges are great-circle arcs
// (straight in H3's gnomonic face projection); over the few hundred metres of a cell at
// geo.IndexRes they are straight, to a few millimetres, in the flat projection centred on
// the cell that Move uses to skip H3.
type cellGeom struct {
	// Move reads these, kept together.
	lat, lng float64 // centre
	kx, ky   float64 // metres per degree of longitude and latitude at the centre
	n        int     // edges in use; 0 disables the shortcut for this cell
	edges    [maxEdges]halfPlane

	cell geo.Cell
	disc disc // centre and reach, for searches
}

// disc is what a search needs to know about a cell: its centre, the sine and cosine of
// half the centre's latitude, and reach, a distance in frame units that no point of the
// cell is farther than from the centre (+Inf near the poles, which turns cell pruning off
// there).
type disc struct {
	lat, lng   float64
	cosH, sinH float64
	reach      float64
}

func newCellGeom(c geo.Cell) *cellGeom {
	center := c.Center()
	g := &cellGeom{lat: center.Lat, lng: center.Lng, cell: c,
		disc: disc{lat: center.Lat, lng: center.Lng, reach: math.Inf(1)}}
	g.disc.sinH, g.disc.cosH = math.Sincos(center.Lat * (math.Pi / 360))
	if math.Abs(center.Lat) > polarLat {
		return g
	}
	g.ky = metresPerDegree
	g.kx = metresPerDegree * math.Cos(center.Lat*math.Pi/180)
	b := c.Boundary()
	if len(b) < 3 || len(b) > maxEdges {
		return g
	}
	// A cell lies within the convex hull of its vertices, give or take the bulge of its
	// great-circle edges (millimetres): 1 % and a metre more cover that and rounding.
	far := 0.0
	for _, v := range b {
		far = max(far, geo.FastDistance(center, v))
	}
	g.disc.reach = (far*1.01 + 1) / metresPerDegree
	for i, v := range b {
		w := b[(i+1)%len(b)]
		ax, ay := g.local(v)
		bx, by := g.local(w)
		dx, dy := bx-ax, by-ay
		l := math.Hypot(dx, dy)
		if l < 1e-6 {
			continue // repeated vertex
		}
		nx, ny := -dy/l, dx/l
		c := nx*ax + ny*ay
		if c > 0 { // the centre (0, 0) must be on the inner side
			nx, ny, c = -nx, -ny, -c
		}
		g.edges[g.n] = halfPlane{nx: float32(nx), ny: float32(ny), c: float32(c)}
		g.n++
	}
	if g.n < 3 {
		g.n = 0
	}
	return g
}

// local projects p to metres east and north of g's centre.
func (g *cellGeom) local(p geo.LatLng) (x, y float64) {
	return wrapLng(p.Lng-g.lng) * g.kx, (p.Lat - g.lat) * g.ky
}

// holds reports whether p certainly lies in g's cell: at least edgeMargin inside every
// edge. The intersection of the edges' inner half-planes lies inside the cell even if a
// distorted cell is not quite convex, so a true answer is always right.
func (g *cellGeom) holds(p geo.LatLng) bool {
	if g.n == 0 {
		return false
	}
	x, y := g.local(p)
	for i := range g.edges[:g.n] {
		h := &g.edges[i]
		if float64(h.nx)*x+float64(h.ny)*y < float64(h.c)+edgeMargin {
			return false
		}
	}
	return true
}

// wrapLng brings a longitude difference into [-180, 180], the short way round.
func wrapLng(d float64) float64 {
	if d > 180 {
		return d - 360
	}
	if d < -180 {
		return d + 360
	}
	return d
}

// query is a search point with the sine and cosine of half its latitude.
type query struct {
	lat, lng   float64
	cosH, sinH float64
}

func newQuery(p geo.LatLng) query {
	s, c := math.Sincos(p.Lat * (math.Pi / 360))
	return query{lat: p.Lat, lng: p.Lng, cosH: c, sinH: s}
}

// frame ranks the points of one cell by distance from a query point without a math.Cos
// per point. geo.FastDistance needs cos of the mean latitude m = (a+b)/2 of the query a
// and the point b; with c the cell centre's latitude and δ = (b-c)/2, m = (a+c)/2 + δ, so
// cos m = C·cos δ − S·sin δ with C, S the cosine and sine of (a+c)/2, computed once per
// cell from half-angle products, and δ < 2·10⁻⁵ rad inside a cell, where two Taylor terms
// are exact to the last bit.
type frame struct {
	lat, lng float64 // query point
	clat     float64 // cell centre's latitude
	c, s     float64 // cos and sin of (query lat + centre lat)/2
	c2, s6   float64 // c/2 and s/6, the Taylor coefficients
}

func (q *query) frame(g *disc) frame {
	c := q.cosH*g.cosH - q.sinH*g.sinH
	s := q.sinH*g.cosH + q.cosH*g.sinH
	return frame{lat: q.lat, lng: q.lng, clat: g.lat, c: c, s: s, c2: c / 2, s6: s / 6}
}

// key returns the squared equirectangular distance from the query to p, a point of the
// frame's cell, in degrees of latitude: metresPerDegree·√key equals geo.FastDistance up to
// rounding in the last bits, so both rank points alike.
func (f *frame) key(p geo.LatLng) float64 {
	d := (p.Lat - f.clat) * (math.Pi / 360)
	cosM := f.c - d*(f.s+d*(f.c2-d*f.s6)) // C·cos δ − S·sin δ to δ³
	x := wrapLng(p.Lng-f.lng) * cosM
	y := p.Lat - f.lat
	return x*x + y*y
}

// beyond reports whether every point of g's cell is farther from the query than √d
// (frame units), so a search already holding n candidates at most that far can skip the
// cell. It is the triangle inequality in the plane the key approximates; the 0.1 % shaved
// off covers the difference between the planes of two point pairs (under 0.01 % within a
// search's reach below polarLat).
func (f *frame) beyond(g *disc, d float64) bool {
	lb := (math.Sqrt(f.key(geo.LatLng{Lat: g.lat, Lng: g.lng})) - g.reach) * (1 - 1e-3)
	return lb > 0 && lb*lb > d
}
