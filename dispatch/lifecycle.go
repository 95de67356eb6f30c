package dispatch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// Limits on order requests.
const (
	MaxUnits     = courier.MaxCapacity
	MaxTextLen   = 500
	MaxReadyLead = 4 * time.Hour
)

// OrderRequest is what a merchant asks for.
type OrderRequest struct {
	ExternalRef string `json:"external_ref,omitempty"`
	// ShopID names the counter the order leaves from; orders of one shop may be bundled.
	// Empty means the merchant id.
	ShopID     string    `json:"shop_id,omitempty"`
	Pickup     Stop      `json:"pickup"`
	Dropoff    Stop      `json:"dropoff"`
	Units      int       `json:"units,omitempty"`
	ValueCents int64     `json:"value_cents"`
	Currency   string    `json:"currency,omitempty"`
	ReadyAt    time.Time `json:"ready_at,omitzero"`
}

// Quote is the fee and timing the platform offers for a request.
type Quote struct {
	FeeCents   int64     `json:"fee_cents"`
	Currency   string    `json:"currency"`
	DistanceM  float64   `json:"distance_m"`
	ReadyAt    time.Time `json:"ready_at"`
	PromisedAt time.Time `json:"promised_at"`
	// CouriersNearby counts online couriers within reach of the pickup.
	CouriersNearby int `json:"couriers_nearby"`
}

// normalize fills defaults (a ready time defaultPrep from now) and validates r.
func (r *OrderRequest) normalize(now time.Time, defaultPrep time.Duration) error {
	for _, s := range []struct {
		name string
		stop *Stop
	}{{"pickup", &r.Pickup}, {"dropoff", &r.Dropoff}} {
		if err := s.stop.Pos.Validate(); err != nil {
			return invalid(s.name+".pos", "%v", err)
		}
		for _, f := range []string{s.stop.Name, s.stop.Address, s.stop.Phone, s.stop.Notes} {
			if len(f) > MaxTextLen || !utf8.ValidString(f) {
				return invalid(s.name, "text fields must be valid UTF-8 of at most %d bytes", MaxTextLen)
			}
		}
	}
	if len(r.ExternalRef) > 100 || len(r.ShopID) > 100 {
		return invalid("external_ref", "external_ref and shop_id are at most 100 bytes")
	}
	if r.Units == 0 {
		r.Units = 1
	}
	if r.Units < 1 || r.Units > MaxUnits {
		return invalid("units", "must be 1..%d", MaxUnits)
	}
	if r.ValueCents < 0 || r.ValueCents > 100_000_00 {
		return invalid("value_cents", "must be 0..10000000")
	}
	if r.Currency == "" {
		r.Currency = "EUR"
	}
	if len(r.Currency) != 3 || strings.ToUpper(r.Currency) != r.Currency || strings.ContainsFunc(r.Currency, func(c rune) bool { return c < 'A' || c > 'Z' }) {
		return invalid("currency", "must be an ISO 4217 code such as EUR")
	}
	if r.ReadyAt.IsZero() {
		r.ReadyAt = now.Add(defaultPrep)
	}
	if r.ReadyAt.Before(now.Add(-time.Hour)) || r.ReadyAt.After(now.Add(MaxReadyLead)) {
		return invalid("ready_at", "must be between an hour ago and %s from now", MaxReadyLead)
	}
	return nil
}

// estimate prices and times a request (caller holds the lock).
func (e *Engine) estimate(r OrderRequest, now time.Time) (Quote, error) {
	if err := e.covered(r.Pickup.Pos, r.Dropoff.Pos); err != nil {
		return Quote{}, err
	}
	d := geo.FastDistance(r.Pickup.Pos, r.Dropoff.Pos)
	if d > e.cfg.MaxDistanceM {
		return Quote{}, invalid("dropoff.pos", "%.0f m from the pickup, more than %.0f m", d, e.cfg.MaxDistanceM)
	}
	ready := r.ReadyAt
	if ready.Before(now) {
		ready = now
	}
	// Time for a courier to reach the shop: the nearest available one, else a typical
	// five minutes.
	reach := 5 * time.Minute
	near := e.index.Nearest(r.Pickup.Pos, 1, 0, available)
	if len(near) > 0 {
		reach = e.cfg.Travel.Travel(near[0].Pos, r.Pickup.Pos, near[0].Vehicle.Speed())
	}
	pickupAt := now.Add(reach)
	if ready.After(pickupAt) {
		pickupAt = ready
	}
	ride := e.cfg.Travel.Travel(r.Pickup.Pos, r.Dropoff.Pos, courier.Bicycle.Speed())
	promised := pickupAt.Add(ride + 2*e.cfg.ServiceTime + e.cfg.PromiseSlack)
	fee := e.cfg.BaseFeeCents + int64(d/1000*float64(e.cfg.FeePerKmCents))
	nearby := len(e.index.Within(r.Pickup.Pos, e.cfg.CrowdStartRings, available))
	return Quote{FeeCents: fee, Currency: r.Currency, DistanceM: d, ReadyAt: ready,
		PromisedAt: promised.Truncate(time.Second), CouriersNearby: nearby}, nil
}

// available keeps idle online couriers in an index search.
func available(x *courier.Entry) bool { return x.State == courier.Available }

// covered checks that every point lies in a service area.
func (e *Engine) covered(pts ...geo.LatLng) error {
	for _, p := range pts {
		in := false
		for _, a := range e.areas {
			if a.Contains(p) {
				in = true
				break
			}
		}
		if !in {
			return fmt.Errorf("%w: %s", ErrOutsideArea, p)
		}
	}
	return nil
}

// Quote prices a request without creating anything.
func (e *Engine) Quote(ctx context.Context, merchantID string, r OrderRequest) (Quote, error) {
	now := e.clock.Now()
	if err := r.normalize(now, e.cfg.DefaultPrep); err != nil {
		return Quote{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.estimate(r, now)
}

// CreateOrder validates, prices and saves a new order awaiting payment.
func (e *Engine) CreateOrder(ctx context.Context, merchantID string, r OrderRequest) (Order, error) {
	now := e.clock.Now().Truncate(time.Microsecond)
	if err := r.normalize(now, e.cfg.DefaultPrep); err != nil {
		return Order{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	q, err := e.estimate(r, now)
	if err != nil {
		return Order{}, err
	}
	shop := r.ShopID
	if shop == "" {
		shop = merchantID
	}
	o := Order{
		ID: NewID("ord", now), MerchantID: merchantID, ShopID: shop, ExternalRef: r.ExternalRef,
		State: PendingPayment, Version: 1, Pickup: r.Pickup, Dropoff: r.Dropoff, Units: r.Units,
		ValueCents: r.ValueCents, FeeCents: q.FeeCents, Currency: r.Currency,
		StationID: e.stationFor(r.Pickup.Pos), Escalation: Escalation{Phase: PhaseFranchise},
		CreatedAt: now, ExpiresAt: now.Add(e.cfg.PaymentTimeout),
		ReadyAt: q.ReadyAt.Truncate(time.Microsecond), PromisedAt: q.PromisedAt,
		HandoffCode: newHandoffCode(), TrackToken: NewTrackToken(),
	}
	ev := o.record(StateEvent(PendingPayment), now, "created by merchant", "")
	if err := e.store.CreateOrder(ctx, o, []Event{ev}); err != nil {
		return Order{}, err
	}
	e.unpaid[o.ID] = o.ExpiresAt
	e.stats.OrdersCreated++
	e.notify.OrderEvent(o, ev)
	return o, nil
}

// stationFor returns the station whose zone covers p, or "".
func (e *Engine) stationFor(p geo.LatLng) string {
	c, err := geo.CellOf(p, geo.ZoneRes)
	if err != nil {
		return ""
	}
	return e.zones[c]
}

// Order returns one of the merchant's orders; another merchant's order is ErrNotFound.
func (e *Engine) Order(ctx context.Context, merchantID, id string) (Order, error) {
	o, err := e.store.Order(ctx, id)
	if err != nil {
		return Order{}, err
	}
	if o.MerchantID != merchantID {
		return Order{}, fmt.Errorf("%w: order %s", ErrNotFound, id)
	}
	return o, nil
}

// Orders lists the merchant's orders after the cursor (an order id), oldest first.
func (e *Engine) Orders(ctx context.Context, merchantID, after string, limit int) ([]Order, error) {
	return e.store.ListOrders(ctx, merchantID, after, limit)
}

// Events returns the events of one of the merchant's orders after seq.
func (e *Engine) Events(ctx context.Context, merchantID, id string, after int64) ([]Event, error) {
	if _, err := e.Order(ctx, merchantID, id); err != nil {
		return nil, err
	}
	return e.store.Events(ctx, id, after)
}

// Cancel cancels one of the merchant's orders before pickup. The courier, if any, is
// released; a paid order gets a refund request.
func (e *Engine) Cancel(ctx context.Context, merchantID, id, reason string) (Order, error) {
	if _, err := e.Order(ctx, merchantID, id); err != nil {
		return Order{}, err
	}
	if reason == "" {
		reason = "canceled by merchant"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cancel(ctx, id, reason)
}

func (e *Engine) cancel(ctx context.Context, id, reason string) (Order, error) {
	o, err := e.store.Order(ctx, id)
	if err != nil {
		return Order{}, err
	}
	if !o.State.Cancelable() {
		return o, fmt.Errorf("%w: order is %s", ErrNotCancelable, o.State)
	}
	prev := o.Version
	ev, err := o.move(Canceled, e.clock.Now(), reason, o.CourierID)
	if err != nil {
		return o, err
	}
	events := []Event{ev}
	if !o.PaidAt.IsZero() {
		o.RefundRequested = true
		events = append(events, o.record(EventRefundRequest, ev.At, reason, ""))
	}
	if err := e.save(ctx, &o, prev, events); err != nil {
		return Order{}, err
	}
	e.forget(o)
	return o, nil
}

// forget drops every trace of a just-canceled order from the dispatch state.
func (e *Engine) forget(o Order) {
	delete(e.unpaid, o.ID)
	if p := e.queue[o.ID]; p != nil {
		e.dropOffersFor(p, "order canceled")
		delete(e.queue, o.ID)
	}
	if s := e.sessions[o.CourierID]; s != nil {
		e.release(s, o.ID, false)
	}
	e.stats.OrdersCanceled++
}

// release frees a courier of an order it no longer carries: delivered (done) or
// canceled.
func (e *Engine) release(s *session, orderID string, done bool) {
	delete(s.active, orderID)
	e.tripDropped(s, orderID, e.clock.Now(), done)
	if len(s.active) == 0 && s.state == courier.Busy {
		s.state = courier.Available
		if !s.connected {
			s.state = courier.Offline
		}
	}
	e.sync(s)
}

// expireUnpaid expires orders whose payment deadline passed.
func (e *Engine) expireUnpaid(ctx context.Context, now time.Time) {
	for id, at := range e.unpaid {
		if now.Before(at) {
			continue
		}
		o, err := e.store.Order(ctx, id)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				delete(e.unpaid, id)
			}
			continue
		}
		delete(e.unpaid, id)
		if o.State != PendingPayment {
			continue
		}
		prev := o.Version
		ev, _ := o.move(Expired, now, "payment not received in time", "")
		if err := e.save(ctx, &o, prev, []Event{ev}); err != nil {
			e.unpaid[id] = at
			e.log.Warn("expire order", "order", id, "err", err)
			continue
		}
		e.stats.OrdersExpired++
	}
}
