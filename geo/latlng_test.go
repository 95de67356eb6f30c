package geo

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/uber/h3-go/v4"
)

var (
	paris  = LatLng{Lat: 48.8566, Lng: 2.3522}
	london = LatLng{Lat: 51.5074, Lng: -0.1278}
)

func TestLatLngValidate(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		p    LatLng
		want error // nil: valid
	}{
		{LatLng{0, 0}, nil},
		{paris, nil},
		{LatLng{90, 180}, nil},
		{LatLng{-90, -180}, nil},
		{LatLng{89.9999, 179.9999}, nil},
		{LatLng{90.0001, 0}, ErrLatitude},
		{LatLng{-90.0001, 0}, ErrLatitude},
		{LatLng{0, 180.0001}, ErrLongitude},
		{LatLng{0, -180.0001}, ErrLongitude},
		{LatLng{1000, 1000}, ErrLatitude},
		{LatLng{nan, 0}, ErrNotFinite},
		{LatLng{0, nan}, ErrNotFinite},
		{LatLng{inf, 0}, ErrNotFinite},
		{LatLng{0, -inf}, ErrNotFinite},
		{LatLng{-inf, inf}, ErrNotFinite},
	}
	for _, tc := range tests {
		err := tc.p.Validate()
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%v.Validate() = %v, want %v", tc.p, err, tc.want)
		}
		p, err2 := NewLatLng(tc.p.Lat, tc.p.Lng)
		if (err == nil) != (err2 == nil) || !sameFloat(p.Lat, tc.p.Lat) || !sameFloat(p.Lng, tc.p.Lng) {
			t.Errorf("NewLatLng(%v, %v) = %v, %v; Validate said %v", tc.p.Lat, tc.p.Lng, p, err2, err)
		}
	}
}

func sameFloat(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

func TestLatLngString(t *testing.T) {
	if got, want := paris.String(), "48.856600,2.352200"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		name    string
		a, b    LatLng
		want, ε float64 // metres
	}{
		{"Paris–London", paris, london, 343_500, 1_000},
		{"same point", paris, paris, 0, 0},
		{"one degree of latitude", LatLng{0, 0}, LatLng{1, 0}, math.Pi / 180 * earthRadiusM, 1e-6},
		{"antipodes", LatLng{0, 0}, LatLng{0, 180}, math.Pi * earthRadiusM, 1e-6},
		{"pole to pole", LatLng{90, 0}, LatLng{-90, 0}, math.Pi * earthRadiusM, 1e-6},
		{"across the antimeridian", LatLng{0, 179.9}, LatLng{0, -179.9}, 0.2 * math.Pi / 180 * earthRadiusM, 1e-3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Distance(tc.a, tc.b)
			if math.Abs(got-tc.want) > tc.ε {
				t.Errorf("Distance = %.3f m, want %.3f ± %g", got, tc.want, tc.ε)
			}
			if back := Distance(tc.b, tc.a); back != got {
				t.Errorf("not symmetric: %v vs %v", got, back)
			}
			// H3's great-circle distance uses a radius 1.6 m smaller: agree to 1 ppm.
			h := h3.GreatCircleDistanceM(h3.LatLng{Lat: tc.a.Lat, Lng: tc.a.Lng}, h3.LatLng{Lat: tc.b.Lat, Lng: tc.b.Lng})
			if math.Abs(got-h) > 1e-6*got+1e-6 {
				t.Errorf("Distance = %.3f m, h3.GreatCircleDistanceM = %.3f m", got, h)
			}
		})
	}
}

// cityPoints returns n pairs of points less than 10 km apart in cities from the equator
// to 70° and on both sides of the antimeridian.
func cityPoints(rng *rand.Rand, n int) [][2]LatLng {
	centres := []LatLng{paris, london, {-33.87, 151.21}, {1.35, 103.82}, {64.15, -21.94}, {-17.8, 179.99}, {69.65, 18.96}, {40.71, -74.0}}
	out := make([][2]LatLng, n)
	for i := range out {
		c := centres[i%len(centres)]
		a := Offset(c, (rng.Float64()*2-1)*5000, (rng.Float64()*2-1)*5000)
		ang, d := rng.Float64()*2*math.Pi, rng.Float64()*10_000
		out[i] = [2]LatLng{a, Offset(a, d*math.Cos(ang), d*math.Sin(ang))}
	}
	return out
}

func TestFastDistanceWithinTenthPercent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, ab := range cityPoints(rng, 20_000) {
		a, b := ab[0], ab[1]
		exact, fast := Distance(a, b), FastDistance(a, b)
		if math.Abs(fast-exact) > 1e-3*exact+1e-9 {
			t.Fatalf("%v → %v: FastDistance %.3f m, Distance %.3f m", a, b, fast, exact)
		}
		if FastDistance(b, a) != fast {
			t.Fatalf("%v → %v: FastDistance not symmetric", a, b)
		}
	}
}

func TestOffsetAgreesWithDistance(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 10_000 {
		p := LatLng{Lat: rng.Float64()*140 - 70, Lng: rng.Float64()*360 - 180}
		north, east := (rng.Float64()*2-1)*7000, (rng.Float64()*2-1)*7000
		q := Offset(p, north, east)
		if err := q.Validate(); err != nil {
			t.Fatalf("Offset(%v, %.0f, %.0f) = %v: %v", p, north, east, q, err)
		}
		want := math.Hypot(north, east)
		if got := Distance(p, q); math.Abs(got-want) > 1e-3*want+1e-6 {
			t.Fatalf("Offset(%v, %.0f, %.0f): %.3f m away, want %.3f", p, north, east, got, want)
		}
	}
	if q := Offset(LatLng{0, 179.9999}, 0, 100); q.Lng > -179 || q.Validate() != nil {
		t.Errorf("Offset across the antimeridian = %v, want a valid point just west of -180", q)
	}
}

func TestToward(t *testing.T) {
	a, b := LatLng{10, 20}, LatLng{20, 40}
	for _, tc := range []struct {
		f    float64
		want LatLng
	}{{0, a}, {1, b}, {0.5, LatLng{15, 30}}, {0.25, LatLng{12.5, 25}}} {
		if got := Toward(a, b, tc.f); got != tc.want {
			t.Errorf("Toward(%v) = %v, want %v", tc.f, got, tc.want)
		}
	}
}
