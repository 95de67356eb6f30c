package dispatch_test

import (
	"testing"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// Two orders ready now, at shop A and at shop B 1.2 km east of it. One courier waits at
// B; of the two near A, "edge" is 700 m west of A and "central" 600 m east, between A
// and B. The central one is nearer A, but the edge one is sent there: the central
// courier stays nearer the rest of the round's demand. With the centrality weight
// turned all but off, the nearer courier takes A.
func TestCentralCourierStaysFree(t *testing.T) {
	for _, tc := range []struct {
		name   string
		weight float64
		want   string
	}{
		{name: "default weight", weight: 0, want: "edge"},
		{name: "centrality off", weight: 1e-9, want: "central"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, dispatch.Config{CentralityWeight: tc.weight})
			a, b := e.shop, geo.Offset(e.shop, 1200, 0)
			names := map[string]string{
				e.courier(courier.Franchise, geo.Offset(a, -700, 0)): "edge",
				e.courier(courier.Franchise, geo.Offset(a, 600, 0)):  "central",
				e.courier(courier.Franchise, b):                      "at B",
			}
			now := e.clock.Now()
			oa := e.orderReady("A", now)
			e.shop = b
			ob := e.orderReady("B", now)
			e.pay(oa)
			e.pay(ob)
			e.tick()
			got := map[string]string{}
			for _, of := range e.rec.offers {
				for _, id := range of.OrderIDs {
					got[id] = names[of.CourierID]
				}
			}
			if got[oa.ID] != tc.want || got[ob.ID] != "at B" {
				t.Fatalf("A went to %q and B to %q, want A to %q and B to the courier at B", got[oa.ID], got[ob.ID], tc.want)
			}
		})
	}
}
