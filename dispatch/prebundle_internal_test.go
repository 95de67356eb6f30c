package dispatch

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// Seven orders due within ChainHorizon at one station: five from the pizza shop (one
// waiting for half an hour, one ready now, three ready within PrebundleLead), one from the
// sushi shop, and one pizza order ready after PrebundleLead. How they are bundled
// before the assignment depends on how many couriers can start a trip.
func TestPrebundleSizesBundlesByOrdersPerCourier(t *testing.T) {
	e := &Engine{cfg: Config{}.withDefaults()}
	now := time.Date(2026, 12, 7, 19, 0, 0, 0, time.UTC)
	shop := geo.LatLng{Lat: 48.8566, Lng: 2.3522}
	mk := func(id, shopID string, ready time.Duration) *job {
		return e.single(&pending{order: Order{ID: id, ShopID: shopID, StationID: "st", Units: 1,
			ReadyAt: now.Add(ready), Pickup: Stop{Pos: shop}, Dropoff: Stop{Pos: geo.Offset(shop, 500, 700)}}})
	}
	jobs := []*job{mk("a1", "pizza", 0), mk("a2", "pizza", -30*time.Minute), mk("a3", "pizza", 5*time.Minute),
		mk("a4", "pizza", 8*time.Minute), mk("a5", "pizza", 9*time.Minute), mk("b1", "sushi", 0),
		mk("late", "pizza", 15*time.Minute)}
	fleetOf := func(n int, station string, capacity int) *fleet {
		fl := &fleet{}
		for i := range n {
			fl.idle = append(fl.idle, courier.Entry{ID: "c" + string(rune('0'+i)), Station: station, Capacity: capacity})
		}
		return fl
	}
	for _, tc := range []struct {
		name string
		fl   *fleet
		want []string
	}{
		// 7 orders, 1 courier: bundles of MaxBundle (4), in the order the goods can be collected; the
		// order ready after PrebundleLead is left alone.
		{"one courier", fleetOf(1, "st", 6), []string{"a1+a2+a3+a4", "a5", "b1", "late"}},
		// 7 orders, 3 couriers: three per courier.
		{"three couriers", fleetOf(3, "st", 6), []string{"a1+a2+a3", "a4+a5", "b1", "late"}},
		// One courier who carries two orders: no bundle bigger than that, or nobody could
		// take it.
		{"small bag", fleetOf(1, "st", 2), []string{"a1+a2", "a3+a4", "a5", "b1", "late"}},
		// As many couriers as orders: nothing is bundled before the assignment.
		{"enough couriers", fleetOf(7, "st", 6), []string{"a1", "a2", "a3", "a4", "a5", "b1", "late"}},
		// Couriers of another station do not count, and with none of its own there is
		// nobody to size bundles for: nothing is bundled before the assignment.
		{"other station's couriers", fleetOf(7, "other", 6), []string{"a1", "a2", "a3", "a4", "a5", "b1", "late"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, j := range e.prebundle(slices.Clone(jobs), tc.fl, now) {
				ids := make([]string, len(j.orders))
				for i, p := range j.orders {
					ids[i] = p.order.ID
				}
				slices.Sort(ids) // drop-offs are re-sequenced: compare members only
				got = append(got, strings.Join(ids, "+"))
			}
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("jobs %v, want %v", got, want)
			}
		})
	}
}
