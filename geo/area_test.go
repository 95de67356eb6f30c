package geo

import (
	"errors"
	"math"
	"testing"

	"github.com/uber/h3-go/v4"
)

// square returns the square of the given side in metres centred on c.
func square(c LatLng, side float64) Polygon {
	h := side / 2
	return Polygon{Offset(c, -h, -h), Offset(c, -h, h), Offset(c, h, h), Offset(c, h, -h)}
}

func TestPolygonCover(t *testing.T) {
	set, err := square(paris, 1000).Cover(ZoneRes)
	if err != nil {
		t.Fatal(err)
	}
	avg, err := h3.HexagonAreaAvgM2(ZoneRes)
	if err != nil {
		t.Fatal(err)
	}
	want := 1e6 / avg // ≈ 9.5
	if n := float64(set.Len()); math.Abs(n-want) > 0.3*want {
		t.Errorf("1 km² square covers %v cells, want %.1f ± 30 %%", n, want)
	}
	if set.Res() != ZoneRes || len(set.Cells()) != set.Len() {
		t.Errorf("Res = %d, Cells = %d, Len = %d", set.Res(), len(set.Cells()), set.Len())
	}
	for _, c := range set.Cells() {
		if c.Res() != ZoneRes || !set.Has(c) {
			t.Errorf("cell %v: res %d, Has %v", c, c.Res(), set.Has(c))
		}
		// Cover keeps the cells whose centres lie inside the square.
		if d := FastDistance(paris, c.Center()); d > 500*math.Sqrt2 {
			t.Errorf("cell %v centre %.0f m from the square's centre", c, d)
		}
	}
	if !set.Contains(paris) {
		t.Error("the square's centre is not contained")
	}
	if set.Contains(Offset(paris, 3000, 0)) || set.Contains(LatLng{Lat: 100}) {
		t.Error("a point 3 km away, or an invalid one, is contained")
	}
	if set.Has(mustCell(t, Offset(paris, 3000, 0), ZoneRes)) {
		t.Error("Has a cell 3 km away")
	}
	// Bigger squares grow with their area.
	big, err := square(paris, 5000).Cover(ZoneRes)
	if err != nil {
		t.Fatal(err)
	}
	if w := 25e6 / avg; math.Abs(float64(big.Len())-w) > 0.3*w {
		t.Errorf("25 km² square covers %d cells, want %.0f ± 30 %%", big.Len(), w)
	}
}

func TestPolygonCoverErrors(t *testing.T) {
	tests := []struct {
		name string
		p    Polygon
		want error
	}{
		{"empty", nil, ErrPolygonTooSmall},
		{"two vertices", Polygon{paris, london}, ErrPolygonTooSmall},
		{"repeated vertices", Polygon{paris, paris, london, london}, ErrPolygonTooSmall},
		{"invalid vertex", Polygon{paris, london, {Lat: 95, Lng: 0}}, ErrLatitude},
		{"NaN vertex", Polygon{paris, london, {Lat: 10, Lng: math.NaN()}}, ErrNotFinite},
		{"collinear", Polygon{paris, Offset(paris, 100, 0), Offset(paris, 200, 0)}, ErrPolygonEmpty},
		{"smaller than a cell", square(Offset(paris, 60, 60), 5), ErrPolygonEmpty},
		{"a continent", Polygon{{35, -10}, {35, 40}, {70, 40}, {70, -10}}, ErrPolygonTooLarge},
		{"round the world", Polygon{{-10, -179}, {-10, 179}, {10, 179}, {10, -179}}, ErrPolygonTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, err := tc.p.Cover(ZoneRes)
			if !errors.Is(err, tc.want) {
				t.Errorf("Cover error = %v, want %v", err, tc.want)
			}
			if set.Len() != 0 {
				t.Errorf("failed Cover returned %d cells", set.Len())
			}
		})
	}
	if err := (Polygon{paris, london, {Lat: 95}}).Validate(); err == nil || !errors.Is(err, ErrLatitude) {
		t.Errorf("Validate error = %v, want ErrLatitude naming the vertex", err)
	}
}

func TestCellSetMembership(t *testing.T) {
	a, b := mustCell(t, paris, ZoneRes), mustCell(t, london, ZoneRes)
	square := Polygon{Offset(paris, -500, -500), Offset(paris, -500, 500), Offset(paris, 500, 500), Offset(paris, 500, -500)}
	set, err := square.Cover(ZoneRes)
	if err != nil || !set.Has(a) || set.Has(b) || !set.Contains(paris) || set.Contains(london) || set.Res() != ZoneRes {
		t.Fatalf("Cover = %v cells, %v", set.Len(), err)
	}
	if n := len(set.Cells()); n != set.Len() {
		t.Fatalf("Cells() gives %d, Len() %d", n, set.Len())
	}
	var zero CellSet
	if zero.Contains(paris) || zero.Has(a) || zero.Len() != 0 {
		t.Error("the zero CellSet is not empty")
	}
}
