package dispatch

import (
	"time"

	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// ETA window bounds: the customer sees a range, never a false-precise minute. The range
// is a fifth of the time still to go, at least ETAWindowMin and at most ETAWindowMax
// wide, centred on the estimate and widened outward to whole minutes.
const (
	ETAWindowMin = 2 * time.Minute
	ETAWindowMax = 10 * time.Minute
)

// ETAWindow returns the range shown to the customer for an estimated arrival eta seen at
// now. The range never starts before now truncated to the minute and is at least
// ETAWindowMin wide, so an estimate that is already due reads "now to two minutes".
func ETAWindow(now, eta time.Time) (from, to time.Time) {
	w := min(max(eta.Sub(now)/5, ETAWindowMin), ETAWindowMax)
	from = eta.Add(-w / 2).Truncate(time.Minute)
	if floor := now.Truncate(time.Minute); from.Before(floor) {
		from = floor
	}
	to = eta.Add(w / 2)
	if r := to.Truncate(time.Minute); r.Before(to) {
		to = r.Add(time.Minute)
	}
	if to.Sub(from) < ETAWindowMin {
		to = from.Add(ETAWindowMin)
	}
	return from, to
}

// eta estimates when o reaches its drop-off if a courier at pos riding at speed (m/s)
// goes there now: to the pickup first (waiting for the ready time) while the order is
// not picked up. It reads only the engine's configuration, so it needs no lock.
func (e *Engine) eta(o Order, pos geo.LatLng, speed float64, now time.Time) time.Time {
	eta := now
	if o.State == Assigned || o.State == AtPickup {
		eta = eta.Add(e.cfg.Travel.Travel(pos, o.Pickup.Pos, speed))
		if o.ReadyAt.After(eta) {
			eta = o.ReadyAt
		}
		eta = eta.Add(e.cfg.ServiceTime + e.cfg.Travel.Travel(o.Pickup.Pos, o.Dropoff.Pos, speed))
	} else {
		eta = eta.Add(e.cfg.Travel.Travel(pos, o.Dropoff.Pos, speed))
	}
	return eta.Truncate(time.Second)
}
