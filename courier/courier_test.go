package courier

import (
	"errors"
	"strings"
	"testing"
)

func TestCourierNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   Courier
		want Courier // after Normalize, when err is nil
		err  error
	}{
		{"crowd, defaults filled", Courier{Name: "Ana", Kind: Crowd},
			Courier{Name: "Ana", Kind: Crowd, Vehicle: Bicycle, Capacity: 3}, nil},
		{"franchise with station", Courier{Name: "Bo", Kind: Franchise, StationID: "st1", Vehicle: Car},
			Courier{Name: "Bo", Kind: Franchise, StationID: "st1", Vehicle: Car, Capacity: 6}, nil},
		{"foot default capacity", Courier{Name: "Cy", Kind: Crowd, Vehicle: Foot},
			Courier{Name: "Cy", Kind: Crowd, Vehicle: Foot, Capacity: 2}, nil},
		{"explicit capacity kept", Courier{Name: "Di", Kind: Crowd, Vehicle: Scooter, Capacity: 1},
			Courier{Name: "Di", Kind: Crowd, Vehicle: Scooter, Capacity: 1}, nil},
		{"maximum capacity", Courier{Name: "Ed", Kind: Crowd, Capacity: MaxCapacity},
			Courier{Name: "Ed", Kind: Crowd, Vehicle: Bicycle, Capacity: MaxCapacity}, nil},
		{"100 runes of 2 bytes", Courier{Name: strings.Repeat("é", 100), Kind: Crowd},
			Courier{Name: strings.Repeat("é", 100), Kind: Crowd, Vehicle: Bicycle, Capacity: 3}, nil},
		{"empty name", Courier{Kind: Crowd}, Courier{}, ErrName},
		{"101 runes", Courier{Name: strings.Repeat("a", 101), Kind: Crowd}, Courier{}, ErrName},
		{"no kind", Courier{Name: "Fa"}, Courier{}, ErrKind},
		{"unknown kind", Courier{Name: "Fa", Kind: "boss"}, Courier{}, ErrKind},
		{"unknown vehicle", Courier{Name: "Ga", Kind: Crowd, Vehicle: "plane"}, Courier{}, ErrVehicle},
		{"negative capacity", Courier{Name: "Ha", Kind: Crowd, Capacity: -1}, Courier{}, ErrCapacity},
		{"capacity over the maximum", Courier{Name: "Ha", Kind: Crowd, Capacity: MaxCapacity + 1}, Courier{}, ErrCapacity},
		{"franchise without station", Courier{Name: "Io", Kind: Franchise}, Courier{}, ErrStation},
		{"crowd with station", Courier{Name: "Jo", Kind: Crowd, StationID: "st1"}, Courier{}, ErrStation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.in
			err := c.Normalize()
			if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("Normalize() = %v, want %v", err, tc.err)
			}
			if err == nil && c != tc.want {
				t.Errorf("Normalize() gave %+v, want %+v", c, tc.want)
			}
		})
	}
}

func TestVehicle(t *testing.T) {
	for _, tc := range []struct {
		v        Vehicle
		kmh      float64
		capacity int
	}{{Foot, 5, 2}, {Bicycle, 15, 3}, {Scooter, 22, 4}, {Car, 20, 6}, {"plane", 0, 0}} {
		if got := tc.v.Speed() * 3.6; got < tc.kmh-1e-9 || got > tc.kmh+1e-9 {
			t.Errorf("%s: %v km/h, want %v", tc.v, got, tc.kmh)
		}
		if tc.v.DefaultCapacity() != tc.capacity || tc.v.Valid() != (tc.capacity > 0) {
			t.Errorf("%s: capacity %d valid %v", tc.v, tc.v.DefaultCapacity(), tc.v.Valid())
		}
	}
	if !Franchise.Valid() || !Crowd.Valid() || Kind("").Valid() {
		t.Error("Kind.Valid")
	}
}
