package dispatch_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/memory"
)

// BenchmarkRound measures one dispatch round with 1,000 open orders from 200 shops and
// 5,000 available franchise couriers spread over a 10 km × 10 km city.
func BenchmarkRound(b *testing.B) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	// A long commit lead offers every match at once, so each round does the whole work
	// (with the default the engine would hold matches whose couriers need not set off).
	eng := dispatch.New(dispatch.Config{CommitLead: 24 * time.Hour}, memory.New(), clock, dispatch.NopNotifier{}, nil)
	if _, err := eng.CreateArea(ctx, dispatch.ServiceArea{Name: "city", Polygon: box(paris, 7000)}); err != nil {
		b.Fatal(err)
	}
	st, err := eng.CreateStation(ctx, dispatch.Station{Name: "all", Zone: box(paris, 6000)})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	spot := func() geo.LatLng { return geo.Offset(paris, rng.Float64()*10000-5000, rng.Float64()*10000-5000) }
	for range 5000 {
		c, _, err := eng.CreateCourier(ctx, courier.Courier{Name: "c", Kind: courier.Franchise, StationID: st.ID, Vehicle: courier.Bicycle})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := eng.Connect(ctx, c.ID); err != nil {
			b.Fatal(err)
		}
		if err := eng.Locate(ctx, c.ID, courier.Fix{Pos: spot(), At: clock.Now()}); err != nil {
			b.Fatal(err)
		}
		if _, err := eng.SetAvailability(ctx, c.ID, courier.Available); err != nil {
			b.Fatal(err)
		}
	}
	shops := make([]geo.LatLng, 200)
	for i := range shops {
		shops[i] = spot()
	}
	for i := range 1000 {
		s := rng.IntN(len(shops))
		o, err := eng.CreateOrder(ctx, "mer", dispatch.OrderRequest{ShopID: string(rune('A' + s)),
			Pickup: dispatch.Stop{Pos: shops[s]}, Dropoff: dispatch.Stop{Pos: geo.Offset(shops[s], rng.Float64()*4000-2000, rng.Float64()*4000-2000)}})
		if err != nil {
			b.Fatal(i, err)
		}
		if _, err := eng.ApplyPayment(ctx, dispatch.PaymentEvent{ID: "evt" + o.ID, Kind: dispatch.PaymentSucceeded, OrderID: o.ID}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		eng.Tick(ctx)
		b.StopTimer()
		if n := eng.Snapshot().OpenOffer; n < 500 {
			b.Fatalf("round made only %d offers", n)
		}
		eng.WithdrawAll()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/round")
}
