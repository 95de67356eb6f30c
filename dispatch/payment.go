package dispatch

import (
	"context"
	"time"
)

// PaymentKind is what a payment-provider event says.
type PaymentKind string

// Payment event kinds (Stripe's names).
const (
	PaymentSucceeded PaymentKind = "payment_intent.succeeded"
	PaymentFailed    PaymentKind = "payment_intent.payment_failed"
	PaymentRefunded  PaymentKind = "charge.refunded"
)

// PaymentEvent is one verified payment-provider event.
type PaymentEvent struct {
	ID      string
	Kind    PaymentKind
	OrderID string
	Intent  string
	At      time.Time
}

// PaymentResult says what ApplyPayment did.
type PaymentResult string

// Payment results.
const (
	PaymentApplied   PaymentResult = "applied"
	PaymentDuplicate PaymentResult = "duplicate"
	PaymentIgnored   PaymentResult = "ignored"
)

// ApplyPayment applies a verified payment event. Events are deduplicated by id and never
// move an order backwards: a success after expiry or cancel records a refund request, a
// refund before pickup cancels, a refund later is only recorded. A success moves the order
// pending_payment → paid → dispatching and records the event id in one store write, so a
// crash can never leave a paid order outside dispatch or a payment applied but not
// remembered.
func (e *Engine) ApplyPayment(ctx context.Context, pe PaymentEvent) (PaymentResult, error) {
	switch pe.Kind {
	case PaymentSucceeded, PaymentFailed, PaymentRefunded:
	default:
		return PaymentIgnored, nil
	}
	if pe.ID == "" || pe.OrderID == "" {
		return "", invalid("event", "needs an id and data.object.metadata.order_id")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	// A cheap early answer for the provider's retries; the store's ApplyPayment is what
	// decides, atomically with the order write, when two instances race.
	seen, err := e.store.PaymentEventSeen(ctx, pe.ID)
	if err != nil {
		return "", err
	}
	if seen {
		return PaymentDuplicate, nil
	}
	return e.applyPayment(ctx, pe)
}

func (e *Engine) applyPayment(ctx context.Context, pe PaymentEvent) (PaymentResult, error) {
	o, err := e.store.Order(ctx, pe.OrderID)
	if err != nil {
		return "", err
	}
	now := e.clock.Now()
	prev := o.Version
	res := PaymentApplied
	var events []Event
	switch pe.Kind {
	case PaymentSucceeded:
		switch {
		case o.State == PendingPayment:
			ev, _ := o.move(Paid, now, "payment "+pe.ID, "")
			o.PaymentIntent = pe.Intent
			// The promise keeps its lead time from the moment of payment.
			if lead := o.PromisedAt.Sub(o.CreatedAt); now.Add(lead).After(o.PromisedAt) {
				o.PromisedAt = now.Add(lead).Truncate(time.Second)
				o.ReadyAt = o.ReadyAt.Add(now.Sub(o.CreatedAt)).Truncate(time.Microsecond)
			}
			events = append(events, ev)
			ev, err := e.startDispatch(&o, now)
			if err != nil {
				return "", err
			}
			events = append(events, ev)
		case o.State == Paid && e.queue[o.ID] == nil:
			// Paid but never moved on (written by a release that paid and queued in two
			// writes): move it into dispatch with this event.
			ev, err := e.startDispatch(&o, now)
			if err != nil {
				return "", err
			}
			events = append(events, ev)
		case (o.State == Expired || o.State == Canceled) && !o.RefundRequested && !o.Refunded:
			o.RefundRequested = true
			events = append(events, o.record(EventRefundRequest, now, "paid after "+string(o.State), ""))
		default:
			res = PaymentIgnored
		}
	case PaymentFailed:
		if o.State != PendingPayment {
			res = PaymentIgnored
			break
		}
		events = append(events, o.record(EventPaymentFailed, now, "payment "+pe.ID+" failed", ""))
	case PaymentRefunded:
		if o.Refunded {
			res = PaymentIgnored
			break
		}
		o.Refunded = true
		if o.State.Cancelable() {
			ev, _ := o.move(Canceled, now, "refunded by payment provider ("+pe.ID+")", o.CourierID)
			events = append(events, ev)
		}
		events = append(events, o.record(EventRefunded, now, "refund "+pe.ID, ""))
	}
	// An ignored event is recorded too (with no order write), so its retries are
	// answered as duplicates.
	fresh, err := e.savePayment(ctx, pe.ID, &o, prev, events, now)
	switch {
	case err != nil:
		return "", err
	case !fresh:
		return PaymentDuplicate, nil // another instance applied it since our check
	case res == PaymentIgnored:
		return PaymentIgnored, nil
	}
	if o.State == Canceled {
		e.forget(o)
	}
	if o.State == Dispatching {
		delete(e.unpaid, o.ID)
		e.stats.OrdersPaid++
		e.queue[o.ID] = newPending(o, now)
	}
	return PaymentApplied, nil
}

// savePayment writes o (whose version was prev) with its events together with the
// payment event id, and notifies the events. On an error the store may still have
// committed (a lost answer) or another instance may have moved the order: an order the
// store now shows dispatching is taken into the queue, as resync does for queued ones.
func (e *Engine) savePayment(ctx context.Context, id string, o *Order, prev int64, events []Event, now time.Time) (bool, error) {
	if len(events) > 0 {
		o.Version = prev + 1
	}
	fresh, err := e.store.ApplyPayment(ctx, id, *o, prev, events)
	if err != nil {
		o.Version = prev
		if cur, rerr := e.store.Order(ctx, o.ID); rerr == nil && cur.State == Dispatching && e.queue[cur.ID] == nil {
			delete(e.unpaid, cur.ID)
			e.queue[cur.ID] = newPending(cur, now)
		}
		return false, err
	}
	if !fresh {
		return false, nil
	}
	for _, ev := range events {
		e.notify.OrderEvent(*o, ev)
	}
	return true, nil
}

// startDispatch moves a paid order to dispatching and sets its escalation timer: the
// crowd at once when no station covers the pickup, else the station's window, opened when
// a courier could first be needed. It returns the state event; the caller writes it.
func (e *Engine) startDispatch(o *Order, now time.Time) (Event, error) {
	ev, err := o.move(Dispatching, now, "entered dispatch", "")
	if err != nil {
		return Event{}, err
	}
	if o.StationID == "" {
		o.Escalation = Escalation{Phase: PhaseCrowd, Ring: e.cfg.CrowdStartRings, NextStepAt: now.Add(e.cfg.CrowdStep)}
	} else {
		// A pre-order is not broadcast to the crowd hours before it is ready.
		opens := later(now, o.ReadyAt.Add(-e.cfg.MaxPickupTravel))
		o.Escalation = Escalation{Phase: PhaseFranchise, NextStepAt: opens.Add(e.window(o.StationID))}
	}
	return ev, nil
}

// enqueue puts an order found paid or dispatching at Start into the queue, moving a paid
// one (left by a release that paid and queued in two writes) to dispatching first.
func (e *Engine) enqueue(ctx context.Context, o Order, now time.Time) error {
	if o.State == Paid {
		prev := o.Version
		ev, err := e.startDispatch(&o, now)
		if err != nil {
			return err
		}
		if err := e.save(ctx, &o, prev, []Event{ev}); err != nil {
			return err
		}
	}
	e.queue[o.ID] = newPending(o, now)
	return nil
}

// newPending is a queue entry for an order entering dispatch at now.
func newPending(o Order, now time.Time) *pending {
	return &pending{order: o, since: now, excluded: map[string]bool{}, crowd: map[string]string{}}
}

func (e *Engine) window(stationID string) time.Duration {
	if s, ok := e.stations[stationID]; ok && s.Window > 0 {
		return s.Window
	}
	return e.cfg.FranchiseWindow
}
