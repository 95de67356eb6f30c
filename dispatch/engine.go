package dispatch

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// Clock tells the time. The server injects the wall clock, the simulator a virtual one.
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Notifier receives what the engine decides. Methods are called with the engine's lock
// held, so they must return quickly and must not call the Engine.
type Notifier interface {
	// OrderEvent reports an event appended to an order's log, with the order after it.
	OrderEvent(o Order, e Event)
	// Offer reports a new offer to a courier.
	Offer(o Offer)
	// OfferWithdrawn reports that an offer may no longer be accepted.
	OfferWithdrawn(courierID, offerID, reason string)
	// CourierMoved reports an accepted position of a courier and its active orders.
	CourierMoved(courierID string, pos geo.LatLng, orderIDs []string)
}

// NopNotifier ignores everything.
type NopNotifier struct{}

// OrderEvent implements Notifier.
func (NopNotifier) OrderEvent(Order, Event) {}

// Offer implements Notifier.
func (NopNotifier) Offer(Offer) {}

// OfferWithdrawn implements Notifier.
func (NopNotifier) OfferWithdrawn(string, string, string) {}

// CourierMoved implements Notifier.
func (NopNotifier) CourierMoved(string, geo.LatLng, []string) {}

// Engine runs dispatch. Create it with New, call Start once, then Run (or Tick).
type Engine struct {
	cfg    Config
	store  Store
	clock  Clock
	notify Notifier
	log    *slog.Logger
	index  *courier.Index
	soon   *courier.Index // couriers free soon, where their trip ends (rebuilt each round)
	filter courier.Filter

	mu       sync.Mutex
	queue    map[string]*pending // paid orders still looking for a courier
	unpaid   map[string]time.Time
	offers   map[string]*Offer
	sessions map[string]*session
	rota     map[string]*rostered // scheduled shifts, by courier id
	stations map[string]Station
	zones    map[geo.Cell]string // zone cell → station id
	areas    []geo.CellSet
	traces   traceBook
	stats    Stats
}

// New returns an engine; zero Config fields take their defaults. notify and log may be nil.
func New(cfg Config, store Store, clock Clock, notify Notifier, log *slog.Logger) *Engine {
	cfg = cfg.withDefaults()
	if clock == nil {
		clock = SystemClock{}
	}
	if notify == nil {
		notify = NopNotifier{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{
		cfg: cfg, store: store, clock: clock, notify: notify, log: log,
		index:    courier.NewIndex(),
		soon:     courier.NewIndex(),
		queue:    map[string]*pending{},
		unpaid:   map[string]time.Time{},
		offers:   map[string]*Offer{},
		sessions: map[string]*session{},
		rota:     map[string]*rostered{},
		stations: map[string]Station{},
		zones:    map[geo.Cell]string{},
		traces:   newTraceBook(cfg.TraceOrders),
	}
}

// Config returns the engine's effective configuration.
func (e *Engine) Config() Config { return e.cfg }

// Index returns the live courier index (read-only use: searches and snapshots).
func (e *Engine) Index() *courier.Index { return e.index }

// Now returns the engine's clock time.
func (e *Engine) Now() time.Time { return e.clock.Now() }

// Run ticks every Config.Round until ctx ends. It returns ctx's error.
func (e *Engine) Run(ctx context.Context) error {
	t := time.NewTicker(e.cfg.Round)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			e.Tick(ctx)
		}
	}
}

// Tick runs one dispatch round at the clock's current time: expire unpaid orders and
// stale offers, escalate waiting orders, broadcast to the crowd, and match the franchise
// queue by min-cost assignment.
func (e *Engine) Tick(ctx context.Context) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	start := time.Now()
	e.stats.Rounds++
	e.expireUnpaid(ctx, now)
	e.expireOffers(ctx, now)
	if e.stats.Rounds%30 == 0 {
		e.forgetAnswers(now)
	}
	e.escalate(ctx, now)
	e.match(ctx, now)
	e.broadcast(ctx, now)
	e.stats.LastRound = time.Since(start)
}

// forgetAnswers drops remembered offer answers once no retry of them can still arrive:
// after twice the longest offer lifetime.
func (e *Engine) forgetAnswers(now time.Time) {
	keep := 2 * max(e.cfg.OfferTTL, e.cfg.CrowdOfferTTL)
	for _, s := range e.sessions {
		for id, d := range s.decided {
			if now.Sub(d.at) > keep {
				delete(s.decided, id)
			}
		}
	}
}

// save writes o (whose version was prev) with its events and notifies them.
func (e *Engine) save(ctx context.Context, o *Order, prev int64, events []Event) error {
	o.Version = prev + 1
	if err := e.store.UpdateOrder(ctx, *o, prev, events); err != nil {
		o.Version = prev
		e.resync(ctx, o.ID)
		return err
	}
	for _, ev := range events {
		e.notify.OrderEvent(*o, ev)
	}
	return nil
}

// resync reloads a queued order after a failed write. The write may have committed with
// its answer lost, or another instance may have moved the order: either way the store is
// the truth, so the queue adopts its version, or lets the order go if it left dispatch.
func (e *Engine) resync(ctx context.Context, id string) {
	p := e.queue[id]
	if p == nil {
		return
	}
	o, err := e.store.Order(ctx, id)
	if err != nil {
		return // the store is unreachable; the next write will try again
	}
	if o.State == Dispatching {
		p.order = o
		return
	}
	e.dropOffersFor(p, "order changed elsewhere")
	delete(e.queue, id)
	if s := e.sessions[o.CourierID]; s != nil && o.State.Active() {
		s.active[id] = true
		e.sync(s)
	}
}

// Stats are running counters for metrics.
type Stats struct {
	Rounds          uint64
	LastRound       time.Duration
	OrdersCreated   uint64
	OrdersPaid      uint64
	OrdersAssigned  uint64
	OrdersDelivered uint64
	OrdersCanceled  uint64
	OrdersExpired   uint64
	OffersSent      uint64
	OffersAccepted  uint64
	OffersDeclined  uint64
	OffersExpired   uint64
	FixesRejected   uint64
}

// Stats returns a copy of the engine's counters.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stats
}
