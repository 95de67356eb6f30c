package courier

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// paris is the centre of the test city.
var paris = geo.LatLng{Lat: 48.8566, Lng: 2.3522}

// citySide is the side of the square test city in metres.
const citySide = 15_000

// cityPoint returns a uniform random point in the test city.
func cityPoint(rng *rand.Rand) geo.LatLng {
	return geo.Offset(paris, (rng.Float64()-0.5)*citySide, (rng.Float64()-0.5)*citySide)
}

// cityIndex returns an index of n available bicycle couriers scattered over the city,
// and their ids.
func cityIndex(tb testing.TB, rng *rand.Rand, n int) (*Index, []string) {
	tb.Helper()
	x := NewIndex()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("c%06d", i)
		e := Entry{
			ID: ids[i], Kind: Crowd, Vehicle: Bicycle, Capacity: 3, State: Available,
			Pos: cityPoint(rng), Seen: time.Unix(0, 0),
		}
		if err := x.Put(e); err != nil {
			tb.Fatal(err)
		}
	}
	return x, ids
}
