// Package bench replays benchmark instances through the dispatch engine the server runs,
// on a virtual clock, with simulated couriers that follow its instructions exactly.
package bench

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
	"github.com/hummingbird-dispatch/hummingbird/internal/mdrp"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/memory"
)

// epoch is minute 0 of every replayed day.
var epoch = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// virtualClock is the replay's clock: whole minutes from epoch, moved by the replay.
type virtualClock struct{ minute int }

// Now implements dispatch.Clock.
func (c *virtualClock) Now() time.Time { return epoch.Add(minutes(c.minute)) }

// offers collects the engine's offers during a round; the couriers answer after it.
type offers struct {
	dispatch.NopNotifier
	got []dispatch.Offer
}

// Offer implements dispatch.Notifier.
func (o *offers) Offer(of dispatch.Offer) { o.got = append(o.got, of) }

// Config returns the engine configuration for an instance: the server's defaults, with
// the instance's own world (its travel rule and service time) in place of the server's
// estimates. Only facts of the instance are set, never policy.
func Config(in *mdrp.Instance) (dispatch.Config, error) {
	return dispatch.Config{
		Travel:      instanceTravel{in: in, plane: newPlane()},
		ServiceTime: minutes(in.Params.PickupService),
		DropoffTime: minutes(in.Params.DropoffService),
		// Merchants may not order beyond MaxDistanceM; the instance's whole city is its
		// service area, so the limit is its diagonal.
		MaxDistanceM: 100_000,
	}, nil
}

// Replay runs one instance through a dispatch engine built with cfg (use Config(in),
// then change what an experiment varies) and returns what the couriers did.
func Replay(ctx context.Context, in *mdrp.Instance, cfg dispatch.Config) (*mdrp.Solution, error) {
	r, err := newReplay(ctx, in, cfg)
	if err != nil {
		return nil, err
	}
	if err := r.run(ctx); err != nil {
		return nil, fmt.Errorf("%s minute %d: %w", in.Name, r.clock.minute, err)
	}
	return &r.sol, nil
}

// replay is one instance's run.
type replay struct {
	in       *mdrp.Instance
	eng      *dispatch.Engine
	clock    *virtualClock
	notes    *offers
	plane    plane
	pickHalf int // half the pickup service, minutes
	dropHalf int // half the drop-off service, minutes
	merchant string

	orderIDs map[string]string // engine order id → instance order id
	orders   map[string]dispatch.Order
	couriers map[string]*simCourier // by engine courier id
	byOn     []*simCourier          // sorted by shift start
	events   eventQueue
	sol      mdrp.Solution
	rounds   roundTimes
}

// roundTimes measures the engine's rounds during a replay.
type roundTimes struct {
	n          int
	total, max time.Duration
}

func (t *roundTimes) add(d time.Duration) {
	t.n++
	t.total += d
	t.max = max(t.max, d)
}

func newReplay(ctx context.Context, in *mdrp.Instance, cfg dispatch.Config) (*replay, error) {
	r := &replay{in: in, clock: &virtualClock{}, notes: &offers{}, plane: newPlane(),
		pickHalf: in.Params.PickupService / 2, dropHalf: in.Params.DropoffService / 2,
		orderIDs: map[string]string{}, orders: map[string]dispatch.Order{}, couriers: map[string]*simCourier{}}
	if in.Params.PickupService%2 != 0 || in.Params.DropoffService%2 != 0 {
		return nil, fmt.Errorf("%s: odd service times (%d, %d) cannot be split into whole-minute halves",
			in.Name, in.Params.PickupService, in.Params.DropoffService)
	}
	r.clock.minute = r.firstMinute()
	r.eng = dispatch.New(cfg, memory.New(), r.clock, r.notes, nil)
	if err := r.eng.Start(ctx); err != nil {
		return nil, err
	}
	city := r.cityPolygon()
	if _, err := r.eng.CreateArea(ctx, dispatch.ServiceArea{Name: in.Name, Polygon: city}); err != nil {
		return nil, fmt.Errorf("service area: %w", err)
	}
	st, err := r.eng.CreateStation(ctx, dispatch.Station{Name: "fleet", Zone: city})
	if err != nil {
		return nil, fmt.Errorf("station: %w", err)
	}
	m, _, err := r.eng.CreateMerchant(ctx, "restaurants", "")
	if err != nil {
		return nil, err
	}
	r.merchant = m.ID
	for _, c := range in.Couriers {
		ec, _, err := r.eng.CreateCourier(ctx, courier.Courier{Name: c.ID, Kind: courier.Franchise,
			StationID: st.ID, Vehicle: courier.Bicycle, Capacity: courier.MaxCapacity})
		if err != nil {
			return nil, err
		}
		// The station knows its rota: every shift is scheduled from the start of the day.
		if _, err := r.eng.ScheduleShift(ctx, ec.ID, dispatch.Shift{Start: epoch.Add(minutes(c.On)),
			End: epoch.Add(minutes(c.Off)), At: r.plane.to(c.Start)}); err != nil {
			return nil, err
		}
		sc := &simCourier{Courier: c, eid: ec.ID, place: mdrp.StartPlace, at: c.Start, free: c.On}
		r.couriers[ec.ID] = sc
		r.byOn = append(r.byOn, sc)
	}
	sort.SliceStable(r.byOn, func(i, j int) bool { return r.byOn[i].On < r.byOn[j].On })
	return r, nil
}

// firstMinute is the earliest minute anything happens.
func (r *replay) firstMinute() int {
	first := 0
	for i, o := range r.in.Orders {
		if i == 0 || o.Placement < first {
			first = o.Placement
		}
	}
	for _, c := range r.in.Couriers {
		first = min(first, c.On)
	}
	return first
}

// cityPolygon is the instance's bounding box with a kilometre's margin, on the globe.
func (r *replay) cityPolygon() geo.Polygon {
	lo, hi := mdrp.Point{X: 0, Y: 0}, mdrp.Point{X: 0, Y: 0}
	grow := func(p mdrp.Point) {
		lo.X, lo.Y, hi.X, hi.Y = min(lo.X, p.X), min(lo.Y, p.Y), max(hi.X, p.X), max(hi.Y, p.Y)
	}
	for _, o := range r.in.Orders {
		grow(o.Customer)
	}
	for _, x := range r.in.Restaurants {
		grow(x.At)
	}
	for _, c := range r.in.Couriers {
		grow(c.Start)
	}
	const m = 1000
	return geo.Polygon{
		r.plane.to(mdrp.Point{X: lo.X - m, Y: lo.Y - m}), r.plane.to(mdrp.Point{X: hi.X + m, Y: lo.Y - m}),
		r.plane.to(mdrp.Point{X: hi.X + m, Y: hi.Y + m}), r.plane.to(mdrp.Point{X: lo.X - m, Y: hi.Y + m}),
	}
}

// run advances minute by minute until every order is delivered or nothing more can
// happen.
func (r *replay) run(ctx context.Context) error {
	orders := slices.Clone(r.in.Orders)
	sort.SliceStable(orders, func(i, j int) bool { return orders[i].Placement < orders[j].Placement })
	lastOff := 0
	for _, c := range r.in.Couriers {
		lastOff = max(lastOff, c.Off)
	}
	nextOrder, nextCourier := 0, 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := r.clock.minute
		if err := r.events.runDue(now); err != nil {
			return err
		}
		for ; nextCourier < len(r.byOn) && r.byOn[nextCourier].On <= now; nextCourier++ {
			if err := r.startShift(ctx, r.byOn[nextCourier]); err != nil {
				return err
			}
		}
		if err := r.endShifts(now); err != nil {
			return err
		}
		for ; nextOrder < len(orders) && orders[nextOrder].Placement <= now; nextOrder++ {
			if err := r.place(ctx, orders[nextOrder]); err != nil {
				return err
			}
		}
		r.eng.Tick(ctx)
		r.rounds.add(r.eng.Stats().LastRound)
		if err := r.answer(ctx); err != nil {
			return err
		}
		if nextOrder == len(orders) && r.events.empty() && (now > lastOff || len(r.sol.Orders) == len(orders)) {
			return nil
		}
		r.clock.minute++
	}
}

// place creates and pays an order as its merchant and payment provider would.
func (r *replay) place(ctx context.Context, o mdrp.Order) error {
	rest, _ := r.in.Restaurant(o.Restaurant)
	eo, err := r.eng.CreateOrder(ctx, r.merchant, dispatch.OrderRequest{
		ExternalRef: o.ID, ShopID: o.Restaurant, ValueCents: 2000,
		Pickup:  dispatch.Stop{Pos: r.plane.to(rest.At), Name: o.Restaurant},
		Dropoff: dispatch.Stop{Pos: r.plane.to(o.Customer)},
		ReadyAt: epoch.Add(minutes(o.Ready)),
	})
	if err != nil {
		return fmt.Errorf("order %s: %w", o.ID, err)
	}
	r.orderIDs[eo.ID] = o.ID
	r.orders[eo.ID] = eo
	_, err = r.eng.ApplyPayment(ctx, dispatch.PaymentEvent{ID: "evt_" + eo.ID, Kind: dispatch.PaymentSucceeded,
		OrderID: eo.ID, Intent: "pi_" + o.ID, At: r.clock.Now()})
	return err
}

// answer has every courier that got an offer this round accept it, as MDRP couriers
// accept every instruction, and plans its trip.
func (r *replay) answer(ctx context.Context) error {
	got := r.notes.got
	r.notes.got = nil
	for _, of := range got {
		if of.Kind != dispatch.OfferAssign {
			continue // there is no crowd in an MDRP instance
		}
		c := r.couriers[of.CourierID]
		assigned, err := r.eng.Accept(ctx, of.CourierID, of.ID)
		if err != nil {
			return fmt.Errorf("courier %s accept %s: %w", c.ID, of.ID, err)
		}
		if len(assigned) != len(of.OrderIDs) {
			return fmt.Errorf("courier %s accept %s: %d of %d orders assigned", c.ID, of.ID, len(assigned), len(of.OrderIDs))
		}
		if err := r.trip(ctx, c, of); err != nil {
			return err
		}
	}
	return nil
}

// minutes converts whole minutes to a duration.
func minutes(m int) time.Duration { return time.Duration(m) * time.Minute }
