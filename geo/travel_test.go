package geo

import (
	"math"
	"testing"
	"time"
)

var _ TravelModel = Detour{}

func TestDetourTravel(t *testing.T) {
	km := Offset(paris, 0, 1000) // 1 km east
	inf := time.Duration(math.MaxInt64)
	tests := []struct {
		name   string
		d      Detour
		a, b   LatLng
		speed  float64
		want   time.Duration
		within time.Duration
	}{
		{"default factor", Detour{}, paris, km, 5, 260 * time.Second, 100 * time.Millisecond},
		{"factor 1", Detour{Factor: 1}, paris, km, 5, 200 * time.Second, 100 * time.Millisecond},
		{"factor 2, faster", Detour{Factor: 2}, paris, km, 10, 200 * time.Second, 100 * time.Millisecond},
		{"no distance", Detour{}, paris, paris, 5, 0, 0},
		{"zero speed", Detour{}, paris, km, 0, inf, 0},
		{"negative speed", Detour{}, paris, km, -3, inf, 0},
		{"NaN speed", Detour{}, paris, km, math.NaN(), inf, 0},
		{"speed so low the duration overflows", Detour{}, paris, km, 1e-12, inf, 0},
		{"antipodes at walking pace", Detour{}, LatLng{0, 0}, LatLng{0, 179}, 1.4, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.d.Travel(tc.a, tc.b, tc.speed)
			if tc.name == "antipodes at walking pace" { // long but finite
				if got <= 0 || got == inf || got < 100*24*time.Hour {
					t.Errorf("Travel = %v", got)
				}
				return
			}
			if diff := got - tc.want; diff < -tc.within || diff > tc.within {
				t.Errorf("Travel = %v, want %v ± %v", got, tc.want, tc.within)
			}
		})
	}
}
