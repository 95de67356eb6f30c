package dispatch

import (
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// OfferKind says how an offer may be answered.
type OfferKind string

// Offer kinds.
const (
	// OfferAssign goes to one franchise courier, who confirms or declines.
	OfferAssign OfferKind = "assign"
	// OfferBroadcast goes to many crowd couriers; the first valid accept wins.
	OfferBroadcast OfferKind = "broadcast"
)

// Offer is a proposal of one job (one order or a bundle from one shop) to one courier.
type Offer struct {
	ID        string    `json:"id"`
	Kind      OfferKind `json:"kind"`
	CourierID string    `json:"courier_id"`
	OrderIDs  []string  `json:"order_ids"`
	Pickup    Stop      `json:"pickup"`
	Dropoffs  []Stop    `json:"dropoffs"`
	ReadyAt   time.Time `json:"ready_at"`
	// PayCents is the courier's pay for the job, bonus included.
	PayCents  int64     `json:"pay_cents"`
	DistanceM float64   `json:"distance_m"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	units     int
}

// pending is a paid order still looking for a courier.
type pending struct {
	order    Order
	since    time.Time
	excluded map[string]bool // couriers that declined or let an offer lapse
	assign   string          // outstanding franchise offer id
	crowd    map[string]string
}

// session is a known courier's live state.
type session struct {
	c         courier.Courier
	state     courier.State
	fix       *courier.Fix
	connected bool
	active    map[string]bool     // orders assigned and not done
	offers    map[string]bool     // open offer ids
	reserved  int                 // units held by open assign offers
	decided   map[string]decision // answered offers, kept a while so answers are idempotent
	trips     []*trip             // accepted jobs not yet finished, in the order they are done
	mark      mark                // where and when the next leg starts
	shiftEnd  time.Time           // no pickup after this time (zero: no shift end known)
}

// decision is a courier's answer to an offer.
type decision struct {
	accepted bool
	orders   []string
	at       time.Time
}

func newSession(c courier.Courier) *session {
	return &session{c: c, state: courier.Offline, active: map[string]bool{}, offers: map[string]bool{}, decided: map[string]decision{}}
}

func (s *session) load() int { return len(s.active) + s.reserved }

// sync mirrors the session into the index: online couriers with a position are indexed.
func (e *Engine) sync(s *session) {
	if !s.state.Online() || s.fix == nil {
		e.index.Remove(s.c.ID)
		return
	}
	if err := e.index.Update(s.c.ID, func(x *courier.Entry) { x.State, x.Load = s.state, s.load() }); err == nil {
		return
	}
	_ = e.index.Put(courier.Entry{
		ID: s.c.ID, Kind: s.c.Kind, Station: s.c.StationID, Vehicle: s.c.Vehicle,
		Capacity: s.c.Capacity, Load: s.load(), State: s.state, Pos: s.fix.Pos, Seen: s.fix.At,
	})
}

// newOffer registers an offer and tells the courier.
func (e *Engine) newOffer(kind OfferKind, s *session, orders []*pending, now time.Time, ttl time.Duration, pos geo.LatLng) *Offer {
	first := orders[0].order
	of := &Offer{
		ID: NewID("off", now), Kind: kind, CourierID: s.c.ID, Pickup: first.Pickup,
		CreatedAt: now, ExpiresAt: now.Add(ttl), DistanceM: geo.FastDistance(pos, first.Pickup.Pos),
	}
	for _, p := range orders {
		of.OrderIDs = append(of.OrderIDs, p.order.ID)
		of.Dropoffs = append(of.Dropoffs, p.order.Dropoff)
		of.units += p.order.Units
		of.PayCents += p.order.FeeCents*e.cfg.CourierShare/100 + p.order.Escalation.BonusCents
		if p.order.ReadyAt.After(of.ReadyAt) {
			of.ReadyAt = p.order.ReadyAt
		}
	}
	e.offers[of.ID] = of
	s.offers[of.ID] = true
	if kind == OfferAssign {
		s.reserved += of.units
		for _, p := range orders {
			p.assign = of.ID
		}
		e.sync(s)
	} else {
		for _, p := range orders {
			p.crowd[s.c.ID] = of.ID
		}
	}
	e.stats.OffersSent++
	e.notify.Offer(*of)
	return of
}

// dropOffer removes an offer; if exclude, its courier will not be offered those orders
// again. reason is told to the courier when tell is set.
func (e *Engine) dropOffer(of *Offer, exclude bool, reason string, tell bool) {
	delete(e.offers, of.ID)
	s := e.sessions[of.CourierID]
	if s != nil {
		delete(s.offers, of.ID)
		if of.Kind == OfferAssign {
			s.reserved -= of.units
			e.sync(s)
		}
	}
	for _, id := range of.OrderIDs {
		p := e.queue[id]
		if p == nil {
			continue
		}
		if p.assign == of.ID {
			p.assign = ""
		}
		if p.crowd[of.CourierID] == of.ID {
			delete(p.crowd, of.CourierID)
		}
		if exclude {
			p.excluded[of.CourierID] = true
		}
	}
	if tell {
		e.notify.OfferWithdrawn(of.CourierID, of.ID, reason)
	}
}

// dropOffersFor withdraws every open offer for the order.
func (e *Engine) dropOffersFor(p *pending, reason string) {
	if of := e.offers[p.assign]; of != nil {
		e.dropOffer(of, false, reason, true)
	}
	for _, id := range p.crowd {
		if of := e.offers[id]; of != nil {
			e.dropOffer(of, false, reason, true)
		}
	}
}
