package geo

import (
	"math"
	"time"
)

// TravelModel estimates how long a trip takes. Implementations must be safe for
// concurrent use.
type TravelModel interface {
	// Travel returns the time to go from a to b at speed metres per second.
	Travel(a, b LatLng, speedMPS float64) time.Duration
}

// DefaultDetour is the ratio of street distance to straight-line distance used by the
// default model: 1.3 is the commonly measured circuity of European and North American city
// street networks (Boeing 2019, "Urban spatial order", finds median circuity ≈ 1.1-1.3).
const DefaultDetour = 1.3

// Detour is the default travel model: straight-line distance × Factor ÷ speed.
type Detour struct {
	// Factor multiplies the straight-line distance; zero means DefaultDetour.
	Factor float64
}

// Travel implements TravelModel. A speed that is not positive (or NaN), or a trip too long
// for a time.Duration, yields the "infinite" duration math.MaxInt64.
func (d Detour) Travel(a, b LatLng, speedMPS float64) time.Duration {
	if !(speedMPS > 0) {
		return time.Duration(math.MaxInt64)
	}
	f := d.Factor
	if f == 0 {
		f = DefaultDetour
	}
	ns := FastDistance(a, b) * f / speedMPS * float64(time.Second)
	// Converting a float beyond the int64 range is implementation-defined in Go (on amd64
	// it gives a negative duration), so saturate first.
	if !(ns < math.MaxInt64) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(ns)
}
