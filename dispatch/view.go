package dispatch

import (
	"context"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// Tracking is what the customer's tracking page shows.
type Tracking struct {
	Order Order
	// CourierPos is set only while a courier is on the way (assigned, not yet delivered).
	CourierPos *geo.LatLng
	// ETA is the estimated drop-off time while the order is open.
	ETA time.Time
}

// Track returns the tracking view behind a token.
func (e *Engine) Track(ctx context.Context, token string) (Tracking, error) {
	o, err := e.store.OrderByTrackToken(ctx, token)
	if err != nil {
		return Tracking{}, err
	}
	t := Tracking{Order: o}
	if o.State.Terminal() {
		return t, nil
	}
	t.ETA = o.PromisedAt
	if !o.State.Active() {
		return t, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.sessions[o.CourierID]; s != nil && s.fix != nil {
		pos := s.fix.Pos
		t.CourierPos = &pos
		t.ETA = e.eta(o, pos, s.c.Vehicle.Speed(), e.clock.Now())
	}
	return t, nil
}

// CellCount is supply and demand in one H3 cell at geo.HeatRes.
type CellCount struct {
	Cell      geo.Cell `json:"cell"`
	Available int      `json:"available"`
	Busy      int      `json:"busy"`
	Waiting   int      `json:"waiting"`
}

// Snapshot is the operators' live view of the city.
type Snapshot struct {
	At        time.Time             `json:"at"`
	Couriers  map[courier.State]int `json:"couriers"`
	ByKind    map[courier.Kind]int  `json:"couriers_by_kind"`
	Waiting   int                   `json:"orders_waiting"`
	Unpaid    int                   `json:"orders_unpaid"`
	OpenOffer int                   `json:"offers_open"`
	Cells     []CellCount           `json:"cells"`
	Positions []courier.Entry       `json:"positions"`
	Stats     Stats                 `json:"stats"`
}

// Snapshot returns the live city view.
func (e *Engine) Snapshot() Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	snap := Snapshot{At: e.clock.Now(), Couriers: map[courier.State]int{}, ByKind: map[courier.Kind]int{},
		Waiting: len(e.queue), Unpaid: len(e.unpaid), OpenOffer: len(e.offers), Stats: e.stats}
	cells := map[geo.Cell]*CellCount{}
	at := func(p geo.LatLng) *CellCount {
		c, err := geo.CellOf(p, geo.HeatRes)
		if err != nil {
			return &CellCount{}
		}
		if cells[c] == nil {
			cells[c] = &CellCount{Cell: c}
		}
		return cells[c]
	}
	snap.Positions = e.index.Snapshot()
	for _, x := range snap.Positions {
		snap.Couriers[x.State]++
		snap.ByKind[x.Kind]++
		switch x.State {
		case courier.Available:
			at(x.Pos).Available++
		case courier.Busy:
			at(x.Pos).Busy++
		}
	}
	for _, p := range e.queue {
		at(p.order.Pickup.Pos).Waiting++
	}
	for _, c := range cells {
		snap.Cells = append(snap.Cells, *c)
	}
	return snap
}
