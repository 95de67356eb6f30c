package geo

import (
	"errors"
	"fmt"
	"math"
)

// Coordinate errors.
var (
	ErrLatitude  = errors.New("geo: latitude out of range [-90, 90]")
	ErrLongitude = errors.New("geo: longitude out of range [-180, 180]")
	ErrNotFinite = errors.New("geo: coordinate is not a finite number")
)

// LatLng is a WGS84 position in degrees. The zero value is a valid point (0, 0); use
// NewLatLng or Validate on anything that comes from outside.
type LatLng struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// NewLatLng returns the point after validating it.
func NewLatLng(lat, lng float64) (LatLng, error) {
	p := LatLng{Lat: lat, Lng: lng}
	return p, p.Validate()
}

// Validate reports whether p is a finite point inside the valid range.
func (p LatLng) Validate() error {
	switch {
	case math.IsNaN(p.Lat) || math.IsInf(p.Lat, 0) || math.IsNaN(p.Lng) || math.IsInf(p.Lng, 0):
		return ErrNotFinite
	case p.Lat < -90 || p.Lat > 90:
		return fmt.Errorf("%w: %v", ErrLatitude, p.Lat)
	case p.Lng < -180 || p.Lng > 180:
		return fmt.Errorf("%w: %v", ErrLongitude, p.Lng)
	}
	return nil
}

// String formats p as "lat,lng" with six decimals (about 0.1 m).
func (p LatLng) String() string { return fmt.Sprintf("%.6f,%.6f", p.Lat, p.Lng) }

// earthRadiusM is the mean Earth radius in metres (IUGG).
const earthRadiusM = 6371008.8

// Distance returns the great-circle (haversine) distance between a and b in metres.
func Distance(a, b LatLng) float64 {
	const rad = math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLng := (b.Lng - a.Lng) * rad
	s1, s2 := math.Sin(dLat/2), math.Sin(dLng/2)
	h := s1*s1 + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*s2*s2
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(h)))
}

// FastDistance is an equirectangular approximation of Distance, within 0.1 % of it for
// points a few kilometres apart away from the poles. It is what hot paths (the courier
// index, cost matrices) use. The longitude difference is taken the short way round, so
// points on either side of the antimeridian are near, as they are.
func FastDistance(a, b LatLng) float64 {
	const rad = math.Pi / 180
	dLng := b.Lng - a.Lng
	if dLng > 180 {
		dLng -= 360
	} else if dLng < -180 {
		dLng += 360
	}
	x := dLng * rad * math.Cos((a.Lat+b.Lat)/2*rad)
	y := (b.Lat - a.Lat) * rad
	return earthRadiusM * math.Sqrt(x*x+y*y)
}

// Offset returns the point reached from p by moving north and east by the given metres
// (flat-earth approximation, for simulation and tests over city distances). The longitude
// wraps round the antimeridian so the result stays valid there.
func Offset(p LatLng, northM, eastM float64) LatLng {
	const rad = math.Pi / 180
	lat := p.Lat + northM/earthRadiusM/rad
	lng := p.Lng + eastM/(earthRadiusM*math.Cos(p.Lat*rad))/rad
	if lng > 180 {
		lng -= 360
	} else if lng < -180 {
		lng += 360
	}
	return LatLng{Lat: lat, Lng: lng}
}

// Toward returns the point at fraction f (0..1) of the straight segment from a to b.
func Toward(a, b LatLng, f float64) LatLng {
	return LatLng{Lat: a.Lat + (b.Lat-a.Lat)*f, Lng: a.Lng + (b.Lng-a.Lng)*f}
}
