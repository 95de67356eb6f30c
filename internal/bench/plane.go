package bench

import (
	"math"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/geo"
	"github.com/hummingbird-dispatch/hummingbird/internal/mdrp"
)

// anchor is where an instance's planar origin (x = y = 0) is placed on the globe. Any
// mid-latitude point works; this one is central Chicago, near where the MDRPLIB data
// (Grubhub) comes from.
var anchor = geo.LatLng{Lat: 41.85, Lng: -87.70}

// earthRadius is the sphere radius, in metres, of the local projection.
const earthRadius = 6371008.8

// plane maps an instance's planar metres to and from latitude and longitude with an
// equirectangular projection around anchor. Over the ~15 km of an instance the scale
// error is far below a metre, and back rounds to whole metres, so a point mapped there
// and back is the same point exactly.
type plane struct {
	mPerDegLat, mPerDegLng float64
}

func newPlane() plane {
	rad := math.Pi / 180
	return plane{mPerDegLat: earthRadius * rad, mPerDegLng: earthRadius * rad * math.Cos(anchor.Lat*rad)}
}

// to places a planar point on the globe.
func (p plane) to(pt mdrp.Point) geo.LatLng {
	return geo.LatLng{Lat: anchor.Lat + float64(pt.Y)/p.mPerDegLat, Lng: anchor.Lng + float64(pt.X)/p.mPerDegLng}
}

// back returns the planar point of a position, to the nearest metre.
func (p plane) back(l geo.LatLng) mdrp.Point {
	return mdrp.Point{
		X: int(math.Round((l.Lng - anchor.Lng) * p.mPerDegLng)),
		Y: int(math.Round((l.Lat - anchor.Lat) * p.mPerDegLat)),
	}
}

// instanceTravel is the instance's travel rule behind the engine's travel-time
// interface: ceil(euclidean metres / metres per minute) whole minutes, whatever the
// vehicle.
type instanceTravel struct {
	in    *mdrp.Instance
	plane plane
}

// Travel implements geo.TravelModel.
func (t instanceTravel) Travel(a, b geo.LatLng, _ float64) time.Duration {
	return time.Duration(t.in.Travel(t.plane.back(a), t.plane.back(b))) * time.Minute
}
