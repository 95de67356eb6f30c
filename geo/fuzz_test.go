package geo

import (
	"errors"
	"math"
	"testing"
)

// FuzzLatLng: coordinates arrive from couriers' phones and merchants' requests. Validate
// must never panic, and any point it accepts must have a valid index cell near it.
func FuzzLatLng(f *testing.F) {
	for _, p := range []LatLng{
		paris, london, {0, 0}, {90, 180}, {-90, -180}, {90, 0}, {-90, 45}, {0, 180}, {0, -180},
		{90.0001, 0}, {0, 180.0001}, {-17.8, 179.9999}, {math.NaN(), 0}, {0, math.Inf(-1)},
		{1e308, -1e308}, {math.SmallestNonzeroFloat64, -0.0},
	} {
		f.Add(p.Lat, p.Lng)
	}
	f.Fuzz(func(t *testing.T, lat, lng float64) {
		p := LatLng{Lat: lat, Lng: lng}
		err := p.Validate()
		c, cerr := CellOf(p, IndexRes)
		if err != nil {
			if !errors.Is(err, ErrLatitude) && !errors.Is(err, ErrLongitude) && !errors.Is(err, ErrNotFinite) {
				t.Fatalf("%v: unexpected error %v", p, err)
			}
			if cerr == nil {
				t.Fatalf("%v: invalid point got cell %v", p, c)
			}
			return
		}
		if cerr != nil {
			t.Fatalf("%v: valid point, CellOf error %v", p, cerr)
		}
		if !c.Valid() || c.Res() != IndexRes {
			t.Fatalf("%v: cell %v valid=%v res=%d", p, c, c.Valid(), c.Res())
		}
		if d := Distance(p, c.Center()); d > 500 {
			t.Fatalf("%v: cell %v centre %.0f m away", p, c, d)
		}
	})
}
