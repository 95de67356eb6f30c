package dispatch

import (
	"context"
	"fmt"
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
// refund before pickup cancels, a refund later is only recorded.
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
	// The lock makes check, apply and mark one step for this engine; the id is marked
	// only after success, so a failure leaves it unmarked and the provider's retry
	// applies it.
	seen, err := e.store.PaymentEventSeen(ctx, pe.ID)
	if err != nil {
		return "", err
	}
	if seen {
		return PaymentDuplicate, nil
	}
	res, err := e.applyPayment(ctx, pe)
	if err != nil {
		return "", err
	}
	if _, err := e.store.MarkPaymentEvent(ctx, pe.ID); err != nil {
		return "", err
	}
	return res, nil
}

func (e *Engine) applyPayment(ctx context.Context, pe PaymentEvent) (PaymentResult, error) {
	o, err := e.store.Order(ctx, pe.OrderID)
	if err != nil {
		return "", err
	}
	now := e.clock.Now()
	prev := o.Version
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
		case o.State == Paid && e.queue[o.ID] == nil:
			// Paid earlier but never queued (the enqueue write failed): queue it now.
			if err := e.enqueue(ctx, o, now); err != nil {
				return "", fmt.Errorf("enqueue paid order: %w", err)
			}
			return PaymentApplied, nil
		case (o.State == Expired || o.State == Canceled) && !o.RefundRequested && !o.Refunded:
			o.RefundRequested = true
			events = append(events, o.record(EventRefundRequest, now, "paid after "+string(o.State), ""))
		default:
			return PaymentIgnored, nil
		}
	case PaymentFailed:
		if o.State != PendingPayment {
			return PaymentIgnored, nil
		}
		events = append(events, o.record(EventPaymentFailed, now, "payment "+pe.ID+" failed", ""))
	case PaymentRefunded:
		if o.Refunded {
			return PaymentIgnored, nil
		}
		o.Refunded = true
		if o.State.Cancelable() {
			ev, _ := o.move(Canceled, now, "refunded by payment provider ("+pe.ID+")", o.CourierID)
			events = append(events, ev)
		}
		events = append(events, o.record(EventRefunded, now, "refund "+pe.ID, ""))
	}
	if err := e.save(ctx, &o, prev, events); err != nil {
		return "", err
	}
	if o.State == Canceled {
		e.forget(o)
	}
	if o.State == Paid && pe.Kind == PaymentSucceeded {
		delete(e.unpaid, o.ID)
		e.stats.OrdersPaid++
		if err := e.enqueue(ctx, o, now); err != nil {
			return "", fmt.Errorf("enqueue paid order: %w", err)
		}
	}
	return PaymentApplied, nil
}

// enqueue moves a paid order into dispatch.
func (e *Engine) enqueue(ctx context.Context, o Order, now time.Time) error {
	if o.State == Paid {
		prev := o.Version
		ev, err := o.move(Dispatching, now, "entered dispatch", "")
		if err != nil {
			return err
		}
		if o.StationID == "" {
			o.Escalation = Escalation{Phase: PhaseCrowd, Ring: e.cfg.CrowdStartRings, NextStepAt: now.Add(e.cfg.CrowdStep)}
		} else {
			// The station's window opens when a courier could first be needed: a
			// pre-order is not broadcast to the crowd hours before it is ready.
			opens := later(now, o.ReadyAt.Add(-e.cfg.MaxPickupTravel))
			o.Escalation = Escalation{Phase: PhaseFranchise, NextStepAt: opens.Add(e.window(o.StationID))}
		}
		if err := e.save(ctx, &o, prev, []Event{ev}); err != nil {
			return err
		}
	}
	e.queue[o.ID] = &pending{order: o, since: now, excluded: map[string]bool{}, crowd: map[string]string{}}
	return nil
}

func (e *Engine) window(stationID string) time.Duration {
	if s, ok := e.stations[stationID]; ok && s.Window > 0 {
		return s.Window
	}
	return e.cfg.FranchiseWindow
}
