package cluster

import (
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/api"
	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// BenchmarkLocate times one courier fix applied by the engine itself (direct) and
// forwarded to it over loopback HTTP with gob both ways (forwarded), the most frequent
// call a follower makes.
func BenchmarkLocate(b *testing.B) {
	for _, forward := range []bool{false, true} {
		name := "direct"
		if forward {
			name = "forwarded"
		}
		b.Run(name, func(b *testing.B) {
			e := newEngine(b)
			st, err := e.CreateStation(b.Context(), dispatch.Station{Name: "North", Zone: square(center, 0.04)})
			if err != nil {
				b.Fatal(err)
			}
			c, _, err := e.CreateCourier(b.Context(), courier.Courier{Name: "Ada", Kind: courier.Franchise, StationID: st.ID, Vehicle: courier.Bicycle})
			if err != nil {
				b.Fatal(err)
			}
			var d api.Dispatcher = e
			if forward {
				d = remoteTo(leaderServer(b, e), testToken)
			}
			if _, err := d.Connect(b.Context(), c.ID); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				// A courier standing still, reporting fresh fixes: the filter accepts all.
				f := courier.Fix{Pos: geo.LatLng{Lat: center.Lat, Lng: center.Lng}, At: time.Now()}
				if err := d.Locate(b.Context(), c.ID, f); err != nil {
					b.Fatalf("fix %d: %v", i, err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fixes/s")
		})
	}
}

// BenchmarkLocateForwardedParallel is BenchmarkLocate/forwarded with 32 couriers on
// concurrent sockets, as a follower holding many couriers forwards them.
func BenchmarkLocateForwardedParallel(b *testing.B) {
	e := newEngine(b)
	st, err := e.CreateStation(b.Context(), dispatch.Station{Name: "North", Zone: square(center, 0.04)})
	if err != nil {
		b.Fatal(err)
	}
	r := remoteTo(leaderServer(b, e), testToken)
	ids := make(chan string, 256)
	for range cap(ids) {
		c, _, err := e.CreateCourier(b.Context(), courier.Courier{Name: "Ada", Kind: courier.Franchise, StationID: st.ID, Vehicle: courier.Bicycle})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Connect(b.Context(), c.ID); err != nil {
			b.Fatal(err)
		}
		ids <- c.ID
	}
	b.SetParallelism(16) // 32 senders on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		id := <-ids
		for pb.Next() {
			f := courier.Fix{Pos: center, At: time.Now()}
			if err := r.Locate(b.Context(), id, f); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fixes/s")
}
