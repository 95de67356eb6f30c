package cluster

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/api"
	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// Switch is the api.Dispatcher of an instance in a cluster. While the instance holds
// the dispatch lease its calls go to the local engine; otherwise they are forwarded to
// the leader. It also remembers the couriers whose sockets this instance holds (their
// requested availability and last accepted fix), so that when leadership moves it can
// register them with the new leader, which starts with no live couriers.
//
// Concurrency: safe for concurrent use.
type Switch struct {
	remote *Remote
	onFix  func(courierID string, f courier.Fix) // after an accepted fix (may be nil)

	mu    sync.RWMutex
	local *dispatch.Engine // nil unless this instance leads

	cmu      sync.Mutex
	couriers map[string]*held
}

// held is what this instance knows of a courier connected to it.
type held struct {
	state courier.State // last availability the courier asked for
	fix   *courier.Fix  // last fix the leader accepted
}

// NewSwitch returns a switch that forwards through remote until SetLocal gives it an
// engine. onFix, if set, sees every fix the leader accepted (presence in Redis).
func NewSwitch(remote *Remote, onFix func(courierID string, f courier.Fix)) *Switch {
	return &Switch{remote: remote, onFix: onFix, couriers: map[string]*held{}}
}

var _ api.Dispatcher = (*Switch)(nil)

// SetLocal makes e (nil: none) the engine calls go to.
func (s *Switch) SetLocal(e *dispatch.Engine) {
	s.mu.Lock()
	s.local = e
	s.mu.Unlock()
}

// Local returns the local engine while this instance leads, else nil.
func (s *Switch) Local() *dispatch.Engine {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.local
}

// Leader is the local engine as an api.Dispatcher, or nil: what Handler serves.
func (s *Switch) Leader() api.Dispatcher {
	if e := s.Local(); e != nil {
		return e
	}
	return nil
}

func (s *Switch) target() api.Dispatcher {
	if e := s.Local(); e != nil {
		return e
	}
	return s.remote
}

// Rehome registers every courier connected here with the current leader: connect, last
// fix, availability. Errors for one courier do not stop the others; the courier's next
// command retries through retry.
func (s *Switch) Rehome(ctx context.Context) {
	s.cmu.Lock()
	ids := make([]string, 0, len(s.couriers))
	for id := range s.couriers {
		ids = append(ids, id)
	}
	s.cmu.Unlock()
	for _, id := range ids {
		if ctx.Err() != nil {
			return
		}
		s.register(ctx, id)
	}
}

// register tells the leader about one held courier.
func (s *Switch) register(ctx context.Context, id string) {
	s.cmu.Lock()
	h := s.couriers[id]
	var st courier.State
	var fix *courier.Fix
	if h != nil {
		st, fix = h.state, h.fix
	}
	s.cmu.Unlock()
	if h == nil {
		return
	}
	t := s.target()
	if _, err := t.Connect(ctx, id); err != nil {
		return
	}
	if fix != nil {
		// The fix keeps its own time, so the courier's next fix is never older than it;
		// the filter may find it stale, and availability then waits for the next one.
		_ = t.Locate(ctx, id, *fix)
	}
	if st == courier.Available || st == courier.Paused {
		_, _ = t.SetAvailability(ctx, id, st)
	}
}

// retry runs f once, and again after registering the courier when the leader does not
// know it (a new leader that has not seen it yet).
func retry[R any](ctx context.Context, s *Switch, courierID string, f func(api.Dispatcher) (R, error)) (R, error) {
	r, err := f(s.target())
	if !errors.Is(err, dispatch.ErrNotOnline) || !s.holds(courierID) {
		return r, err
	}
	s.register(ctx, courierID)
	return f(s.target())
}

func (s *Switch) holds(id string) bool {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return s.couriers[id] != nil
}

// Now implements api.Dispatcher.
func (s *Switch) Now() time.Time { return s.target().Now() }

// Quote implements api.Dispatcher.
func (s *Switch) Quote(ctx context.Context, merchantID string, r dispatch.OrderRequest) (dispatch.Quote, error) {
	return s.target().Quote(ctx, merchantID, r)
}

// CreateOrder implements api.Dispatcher.
func (s *Switch) CreateOrder(ctx context.Context, merchantID string, r dispatch.OrderRequest) (dispatch.Order, error) {
	return s.target().CreateOrder(ctx, merchantID, r)
}

// Order implements api.Dispatcher.
func (s *Switch) Order(ctx context.Context, merchantID, id string) (dispatch.Order, error) {
	return s.target().Order(ctx, merchantID, id)
}

// Orders implements api.Dispatcher.
func (s *Switch) Orders(ctx context.Context, merchantID, after string, limit int) ([]dispatch.Order, error) {
	return s.target().Orders(ctx, merchantID, after, limit)
}

// Events implements api.Dispatcher.
func (s *Switch) Events(ctx context.Context, merchantID, id string, after int64) ([]dispatch.Event, error) {
	return s.target().Events(ctx, merchantID, id, after)
}

// Cancel implements api.Dispatcher.
func (s *Switch) Cancel(ctx context.Context, merchantID, id, reason string) (dispatch.Order, error) {
	return s.target().Cancel(ctx, merchantID, id, reason)
}

// ApplyPayment implements api.Dispatcher.
func (s *Switch) ApplyPayment(ctx context.Context, pe dispatch.PaymentEvent) (dispatch.PaymentResult, error) {
	return s.target().ApplyPayment(ctx, pe)
}

// Connect implements api.Dispatcher and starts holding the courier.
func (s *Switch) Connect(ctx context.Context, courierID string) (dispatch.CourierView, error) {
	v, err := s.target().Connect(ctx, courierID)
	if err != nil {
		return v, err
	}
	s.cmu.Lock()
	if s.couriers[courierID] == nil {
		s.couriers[courierID] = &held{}
	}
	s.couriers[courierID].state = v.State
	s.cmu.Unlock()
	return v, nil
}

// Disconnect implements api.Dispatcher and stops holding the courier.
func (s *Switch) Disconnect(courierID string) {
	s.cmu.Lock()
	delete(s.couriers, courierID)
	s.cmu.Unlock()
	s.target().Disconnect(courierID)
}

// Locate implements api.Dispatcher; an accepted fix is remembered for re-registration.
func (s *Switch) Locate(ctx context.Context, courierID string, f courier.Fix) error {
	_, err := retry(ctx, s, courierID, func(d api.Dispatcher) (none, error) { return none{}, d.Locate(ctx, courierID, f) })
	if err != nil {
		return err
	}
	var again courier.State
	s.cmu.Lock()
	if h := s.couriers[courierID]; h != nil {
		had := h.fix != nil
		h.fix = &f
		if !had && (h.state == courier.Available || h.state == courier.Paused) {
			again = h.state // re-registered without a fix: availability waited for this one
		}
	}
	s.cmu.Unlock()
	if again != "" {
		_, _ = s.target().SetAvailability(ctx, courierID, again)
	}
	if s.onFix != nil {
		s.onFix(courierID, f)
	}
	return nil
}

// SetAvailability implements api.Dispatcher.
func (s *Switch) SetAvailability(ctx context.Context, courierID string, to courier.State) (courier.State, error) {
	st, err := retry(ctx, s, courierID, func(d api.Dispatcher) (courier.State, error) { return d.SetAvailability(ctx, courierID, to) })
	if err == nil {
		s.cmu.Lock()
		if h := s.couriers[courierID]; h != nil {
			h.state = st
		}
		s.cmu.Unlock()
	}
	return st, err
}

// Accept implements api.Dispatcher.
func (s *Switch) Accept(ctx context.Context, courierID, offerID string) ([]dispatch.Order, error) {
	return retry(ctx, s, courierID, func(d api.Dispatcher) ([]dispatch.Order, error) { return d.Accept(ctx, courierID, offerID) })
}

// Decline implements api.Dispatcher.
func (s *Switch) Decline(ctx context.Context, courierID, offerID string) error {
	_, err := retry(ctx, s, courierID, func(d api.Dispatcher) (none, error) { return none{}, d.Decline(ctx, courierID, offerID) })
	return err
}

// Arrived implements api.Dispatcher.
func (s *Switch) Arrived(ctx context.Context, courierID, orderID string) (dispatch.Order, error) {
	return retry(ctx, s, courierID, func(d api.Dispatcher) (dispatch.Order, error) { return d.Arrived(ctx, courierID, orderID) })
}

// PickedUp implements api.Dispatcher.
func (s *Switch) PickedUp(ctx context.Context, courierID, orderID string) (dispatch.Order, error) {
	return retry(ctx, s, courierID, func(d api.Dispatcher) (dispatch.Order, error) { return d.PickedUp(ctx, courierID, orderID) })
}

// Delivered implements api.Dispatcher.
func (s *Switch) Delivered(ctx context.Context, courierID, orderID, code string) (dispatch.Order, error) {
	return retry(ctx, s, courierID, func(d api.Dispatcher) (dispatch.Order, error) { return d.Delivered(ctx, courierID, orderID, code) })
}

// Track implements api.Dispatcher.
func (s *Switch) Track(ctx context.Context, token string) (dispatch.Tracking, error) {
	return s.target().Track(ctx, token)
}

// CreateMerchant implements api.Dispatcher.
func (s *Switch) CreateMerchant(ctx context.Context, name, webhookURL string) (dispatch.Merchant, string, error) {
	return s.target().CreateMerchant(ctx, name, webhookURL)
}

// CreateStation implements api.Dispatcher.
func (s *Switch) CreateStation(ctx context.Context, st dispatch.Station) (dispatch.Station, error) {
	return s.target().CreateStation(ctx, st)
}

// Stations implements api.Dispatcher.
func (s *Switch) Stations(ctx context.Context) ([]dispatch.Station, error) {
	return s.target().Stations(ctx)
}

// CreateCourier implements api.Dispatcher.
func (s *Switch) CreateCourier(ctx context.Context, c courier.Courier) (courier.Courier, string, error) {
	return s.target().CreateCourier(ctx, c)
}

// Couriers implements api.Dispatcher.
func (s *Switch) Couriers(ctx context.Context) ([]courier.Courier, error) {
	return s.target().Couriers(ctx)
}

// ScheduleShift implements api.Dispatcher.
func (s *Switch) ScheduleShift(ctx context.Context, courierID string, sh dispatch.Shift) (dispatch.Shift, error) {
	return s.target().ScheduleShift(ctx, courierID, sh)
}

// CreateArea implements api.Dispatcher.
func (s *Switch) CreateArea(ctx context.Context, a dispatch.ServiceArea) (dispatch.ServiceArea, error) {
	return s.target().CreateArea(ctx, a)
}

// Areas implements api.Dispatcher.
func (s *Switch) Areas(ctx context.Context) ([]dispatch.ServiceArea, error) {
	return s.target().Areas(ctx)
}

// Snapshot implements api.Dispatcher.
func (s *Switch) Snapshot() dispatch.Snapshot { return s.target().Snapshot() }

// Trace implements api.Dispatcher.
func (s *Switch) Trace(orderID string) (dispatch.Trace, error) { return s.target().Trace(orderID) }

// Ops implements api.Dispatcher.
func (s *Switch) Ops(ctx context.Context) (dispatch.OpsView, error) { return s.target().Ops(ctx) }

// CourierJobs implements api.Dispatcher.
func (s *Switch) CourierJobs(ctx context.Context, courierID string) (dispatch.CourierJobs, error) {
	return s.target().CourierJobs(ctx, courierID)
}
