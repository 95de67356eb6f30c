package dispatch

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
)

// CourierView is what a courier's app needs on (re)connect.
type CourierView struct {
	Courier courier.Courier `json:"courier"`
	State   courier.State   `json:"state"`
	Orders  []Order         `json:"orders"`
	Offers  []Offer         `json:"offers"`
}

// Connect registers a courier's live connection and returns its current view.
func (e *Engine) Connect(ctx context.Context, courierID string) (CourierView, error) {
	c, err := e.store.Courier(ctx, courierID)
	if err != nil {
		return CourierView{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.sessions[courierID]
	if s == nil {
		if r := e.rota[courierID]; r != nil {
			s = r.s // planned with already, and knows its shift end
		} else {
			s = newSession(c)
		}
		e.sessions[courierID] = s
	}
	s.connected = true
	return e.view(ctx, s)
}

func (e *Engine) view(ctx context.Context, s *session) (CourierView, error) {
	orders, err := e.ordersOf(ctx, slices.Collect(maps.Keys(s.active)))
	if err != nil {
		return CourierView{}, err
	}
	v := CourierView{Courier: s.c, State: s.state, Orders: orders, Offers: []Offer{}}
	for id := range s.offers {
		v.Offers = append(v.Offers, *e.offers[id])
	}
	slices.SortFunc(v.Offers, func(a, b Offer) int { return strings.Compare(a.ID, b.ID) })
	return v, nil
}

// Disconnect records that a courier's connection ended. A courier without orders goes
// offline and its open offers are withdrawn; a busy courier keeps its orders.
func (e *Engine) Disconnect(courierID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.sessions[courierID]
	if s == nil {
		return
	}
	s.connected = false
	for id := range s.offers {
		e.dropOffer(e.offers[id], false, "courier offline", false)
	}
	if s.state == courier.Busy {
		return
	}
	s.state = courier.Offline
	e.sync(s)
}

func (e *Engine) session(courierID string) (*session, error) {
	s := e.sessions[courierID]
	if s == nil || !s.connected {
		return nil, fmt.Errorf("%w: %s", ErrNotOnline, courierID)
	}
	return s, nil
}

// Locate applies a GPS fix after the plausibility filter; a rejected fix changes nothing.
func (e *Engine) Locate(ctx context.Context, courierID string, f courier.Fix) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.session(courierID)
	if err != nil {
		return err
	}
	if err := e.filter.Check(s.fix, f, e.clock.Now()); err != nil {
		e.stats.FixesRejected++
		return err
	}
	s.fix = &f
	if s.state.Online() {
		if err := e.index.Move(courierID, f.Pos, f.At); err != nil {
			e.sync(s)
		}
	}
	if len(s.active) > 0 {
		e.notify.CourierMoved(courierID, f.Pos, slices.Collect(maps.Keys(s.active)))
	}
	return nil
}

// SetAvailability moves a courier between offline, available and paused. Busy is set
// by the engine only.
func (e *Engine) SetAvailability(ctx context.Context, courierID string, to courier.State) (courier.State, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.session(courierID)
	if err != nil {
		return "", err
	}
	if to == courier.Busy || !to.Valid() {
		return s.state, fmt.Errorf("%w: %q cannot be requested", courier.ErrTransition, to)
	}
	if s.state == courier.Busy {
		return s.state, ErrCourierBusy
	}
	if to == courier.Available && s.fix == nil {
		return s.state, ErrNoPosition
	}
	next, err := s.state.Move(to)
	if err != nil {
		return s.state, err
	}
	if next != courier.Available {
		for id := range s.offers {
			e.dropOffer(e.offers[id], false, "courier unavailable", true)
		}
	}
	s.state = next
	e.sync(s)
	return next, nil
}

// Accept takes an offer. For a broadcast the first valid accept wins; later ones get
// ErrOfferGone. Accepting the same offer twice returns the same orders.
func (e *Engine) Accept(ctx context.Context, courierID, offerID string) ([]Order, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.session(courierID)
	if err != nil {
		return nil, err
	}
	now := e.clock.Now()
	of := e.offers[offerID]
	if of == nil {
		if d, ok := s.decided[offerID]; ok && d.accepted {
			return e.ordersOf(ctx, d.orders)
		}
		return nil, fmt.Errorf("%w: %s", ErrOfferGone, offerID)
	}
	if of.CourierID != courierID {
		return nil, fmt.Errorf("%w: offer %s", ErrNotYours, offerID)
	}
	if !now.Before(of.ExpiresAt) {
		e.lapse(of)
		return nil, fmt.Errorf("%w: %s expired", ErrOfferGone, offerID)
	}
	ps := make([]*pending, 0, len(of.OrderIDs))
	for _, id := range of.OrderIDs {
		p := e.queue[id]
		if p == nil {
			e.dropOffer(of, false, "taken", true)
			return nil, fmt.Errorf("%w: order %s is no longer available", ErrOfferGone, id)
		}
		ps = append(ps, p)
	}
	reserved := 0
	if of.Kind == OfferAssign {
		reserved = of.units
	}
	if s.load()-reserved+of.units > s.c.Capacity {
		return nil, fmt.Errorf("%w: over capacity", ErrOfferGone)
	}
	e.dropOffer(of, false, "", false)
	out := make([]Order, 0, len(ps))
	// Whatever was assigned is the courier's, even if a later write of a bundle fails.
	defer func() {
		if len(out) == 0 {
			return
		}
		d := decision{accepted: true, at: now}
		for _, o := range out {
			d.orders = append(d.orders, o.ID)
		}
		s.decided[offerID] = d
		kept := *of
		kept.OrderIDs, kept.Dropoffs = nil, nil
		for i, id := range of.OrderIDs {
			if slices.Contains(d.orders, id) {
				kept.OrderIDs = append(kept.OrderIDs, id)
				kept.Dropoffs = append(kept.Dropoffs, of.Dropoffs[i])
			}
		}
		e.addTrip(s, &kept, now)
		s.state = courier.Busy
		e.sync(s)
		e.stats.OffersAccepted++
	}()
	for _, p := range ps {
		o := p.order
		prev := o.Version
		o.CourierID = courierID
		ev, err := o.move(Assigned, now, fmt.Sprintf("%s offer %s accepted", of.Kind, of.ID), courierID)
		if err == nil {
			err = e.save(ctx, &o, prev, []Event{ev})
		}
		if err != nil {
			// The order stays queued for the next round; what was saved stays saved.
			e.log.Error("assign order", "order", o.ID, "err", err)
			return out, err
		}
		e.dropOffersFor(p, "taken by another courier")
		delete(e.queue, o.ID)
		s.active[o.ID] = true
		e.traces.won(o.ID, now, courierID, string(of.Kind)+" offer accepted")
		out = append(out, o)
		e.stats.OrdersAssigned++
	}
	return out, nil
}

// ordersOf reads orders by id, sorted by id (never nil).
func (e *Engine) ordersOf(ctx context.Context, ids []string) ([]Order, error) {
	out := make([]Order, 0, len(ids))
	for _, id := range ids {
		o, err := e.store.Order(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b Order) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Decline refuses an offer; the courier will not be offered those orders again. Declining
// twice is a no-op.
func (e *Engine) Decline(ctx context.Context, courierID, offerID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.session(courierID)
	if err != nil {
		return err
	}
	of := e.offers[offerID]
	if of == nil {
		if d, ok := s.decided[offerID]; ok && !d.accepted {
			return nil
		}
		return fmt.Errorf("%w: %s", ErrOfferGone, offerID)
	}
	if of.CourierID != courierID {
		return fmt.Errorf("%w: offer %s", ErrNotYours, offerID)
	}
	e.dropOffer(of, true, "", false)
	s.decided[offerID] = decision{at: e.clock.Now()}
	e.stats.OffersDeclined++
	if of.Kind == OfferAssign {
		e.recordOn(ctx, of.OrderIDs, EventOfferDeclined, "courier declined offer "+of.ID, courierID)
	}
	return nil
}

// recordOn appends one non-state event to each queued order.
func (e *Engine) recordOn(ctx context.Context, ids []string, t EventType, cause, courierID string) {
	now := e.clock.Now()
	for _, id := range ids {
		p := e.queue[id]
		if p == nil {
			continue
		}
		o := p.order
		prev := o.Version
		ev := o.record(t, now, cause, courierID)
		if err := e.save(ctx, &o, prev, []Event{ev}); err != nil {
			e.log.Warn("record event", "order", id, "type", t, "err", err)
			continue
		}
		p.order = o
	}
}

// Arrived records arrival at the pickup (assigned → at_pickup) or at the drop-off
// (picked_up → at_dropoff).
func (e *Engine) Arrived(ctx context.Context, courierID, orderID string) (Order, error) {
	return e.step(ctx, courierID, orderID, func(o *Order) (State, error) {
		if o.State == Assigned {
			return AtPickup, nil
		}
		return AtDropoff, nil
	})
}

// PickedUp records that the courier has the goods.
func (e *Engine) PickedUp(ctx context.Context, courierID, orderID string) (Order, error) {
	return e.step(ctx, courierID, orderID, func(*Order) (State, error) { return PickedUp, nil })
}

// MaxHandoffAttempts is how many wrong handoff codes lock an order: four digits must not
// be guessable by a courier without the customer.
const MaxHandoffAttempts = 5

// Delivered records the handoff; code must be the order's handoff code. Each wrong code
// is recorded on the order; after MaxHandoffAttempts the order is locked and operators
// are alerted.
func (e *Engine) Delivered(ctx context.Context, courierID, orderID, code string) (Order, error) {
	return e.step(ctx, courierID, orderID, func(o *Order) (State, error) {
		if o.HandoffFailures >= MaxHandoffAttempts {
			return "", ErrHandoffLocked
		}
		if subtle.ConstantTimeCompare([]byte(code), []byte(o.HandoffCode)) != 1 {
			return "", ErrHandoffCode
		}
		return Delivered, nil
	})
}

// refuseHandoff records a wrong code on the order (and the alert when it locks).
func (e *Engine) refuseHandoff(ctx context.Context, o Order, courierID string) error {
	prev := o.Version
	now := e.clock.Now()
	o.HandoffFailures++
	events := []Event{o.record(EventHandoffRefused, now, fmt.Sprintf("wrong handoff code (%d of %d)", o.HandoffFailures, MaxHandoffAttempts), courierID)}
	if o.HandoffFailures == MaxHandoffAttempts {
		events = append(events, o.record(EventAlert, now, "handoff code locked after repeated wrong codes: operators alerted", courierID))
	}
	return e.save(ctx, &o, prev, events)
}

// step moves one of the courier's own orders forward.
func (e *Engine) step(ctx context.Context, courierID, orderID string, to func(*Order) (State, error)) (Order, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.session(courierID)
	if err != nil {
		return Order{}, err
	}
	o, err := e.store.Order(ctx, orderID)
	if err != nil {
		return Order{}, err
	}
	if o.CourierID != courierID || !s.active[orderID] {
		return Order{}, fmt.Errorf("%w: order %s", ErrNotYours, orderID)
	}
	target, err := to(&o)
	if errors.Is(err, ErrHandoffCode) {
		if serr := e.refuseHandoff(ctx, o, courierID); serr != nil {
			return Order{}, serr
		}
	}
	if err != nil {
		return Order{}, err
	}
	prev := o.Version
	ev, err := o.move(target, e.clock.Now(), "reported by courier", courierID)
	if err != nil {
		return Order{}, err
	}
	if err := e.save(ctx, &o, prev, []Event{ev}); err != nil {
		return Order{}, err
	}
	if o.State == PickedUp {
		e.tripPicked(s, orderID, ev.At)
	}
	if o.State == Delivered {
		e.stats.OrdersDelivered++
		e.release(s, orderID, true)
	}
	return o, nil
}

// SetShiftEnd tells the engine when a connected courier's shift ends: no pickup is
// planned for it after that time, though drop-offs may finish later. The zero time
// clears it.
func (e *Engine) SetShiftEnd(courierID string, end time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.session(courierID)
	if err != nil {
		return err
	}
	s.shiftEnd = end
	return nil
}
