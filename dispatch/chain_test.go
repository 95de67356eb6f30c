package dispatch_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// Order A is ready in 2 minutes at a shop; order B, ready in 40 minutes at a second shop
// 1.2 km east, can only be reached by the courier next to A's shop (a second courier
// 1.4 km west of A's shop is too far from B's). Matching one job per courier and the
// most matches first, B would take the near courier and A the far one, late. With the
// two-job look-ahead, B is planned as the near courier's job after A, and A keeps it.
func TestLookAheadKeepsCourierForNearerOrder(t *testing.T) {
	e := newEnv(t, dispatch.Config{MaxPickupTravel: 8 * time.Minute})
	near := e.courier(courier.Franchise, geo.Offset(paris, 100, 0))
	far := e.courier(courier.Franchise, geo.Offset(paris, -1400, 0))
	a := e.orderReady("a", e.clock.Now().Add(2*time.Minute))
	e.shop = geo.Offset(paris, 1200, 0)
	b := e.orderReady("b", e.clock.Now().Add(40*time.Minute))
	e.pay(a)
	e.pay(b)
	e.tick()
	ta, _ := e.eng.Trace(a.ID)
	tb, _ := e.eng.Trace(b.ID)
	if len(ta.Rounds) == 0 || len(tb.Rounds) == 0 {
		t.Fatalf("no round traced: %+v %+v", ta.Rounds, tb.Rounds)
	}
	name := map[string]string{near: "near", far: "far", "": "none"}
	if w := ta.Rounds[0].Winner; w != near {
		t.Errorf("A went to the %s courier (%s), want the near one", name[w], ta.Rounds[0].Outcome)
	}
	if r := tb.Rounds[0]; r.Winner != "" || !strings.Contains(r.Outcome, "next job after order "+a.ID) {
		t.Errorf("B: winner %s, %q; want it planned after A", name[r.Winner], r.Outcome)
	}
}
