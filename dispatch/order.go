package dispatch

import (
	"fmt"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// State is where an order is in its lifecycle.
type State string

// Order states, in lifecycle order. States only move forward.
const (
	PendingPayment State = "pending_payment"
	Paid           State = "paid"
	Dispatching    State = "dispatching"
	Assigned       State = "assigned"
	AtPickup       State = "at_pickup"
	PickedUp       State = "picked_up"
	AtDropoff      State = "at_dropoff"
	Delivered      State = "delivered"
	Canceled       State = "canceled"
	Expired        State = "expired"
	Failed         State = "failed"
)

// next lists the allowed transitions; anything else is refused.
var next = map[State][]State{
	PendingPayment: {Paid, Canceled, Expired},
	Paid:           {Dispatching, Canceled},
	Dispatching:    {Assigned, Canceled, Failed},
	Assigned:       {AtPickup, PickedUp, Canceled},
	AtPickup:       {PickedUp, Canceled},
	PickedUp:       {AtDropoff, Delivered, Failed},
	AtDropoff:      {Delivered, Failed},
}

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	_, ok := next[s]
	return ok || s.Terminal()
}

// Terminal reports whether no transition leaves s.
func (s State) Terminal() bool { return s == Delivered || s == Canceled || s == Expired || s == Failed }

// CanMove reports whether s → to is an allowed forward transition.
func (s State) CanMove(to State) bool {
	for _, t := range next[s] {
		if t == to {
			return true
		}
	}
	return false
}

// Cancelable reports whether an order in s may still be canceled (before pickup).
func (s State) Cancelable() bool { return s.CanMove(Canceled) }

// Active reports whether a courier is working on an order in s (assigned, not yet done).
func (s State) Active() bool {
	return s == Assigned || s == AtPickup || s == PickedUp || s == AtDropoff
}

// Stop is a place an order passes through.
type Stop struct {
	Pos     geo.LatLng `json:"pos"`
	Name    string     `json:"name,omitempty"`
	Address string     `json:"address,omitempty"`
	Phone   string     `json:"phone,omitempty"`
	Notes   string     `json:"notes,omitempty"`
}

// Phase is the stage of an order's search for a courier.
type Phase string

// Dispatch phases.
const (
	PhaseFranchise Phase = "franchise"
	PhaseCrowd     Phase = "crowd"
)

// Escalation is an order's visible dispatch timer state.
type Escalation struct {
	Phase Phase `json:"phase"`
	// Ring is the current broadcast radius in H3 rings (crowd phase).
	Ring int `json:"ring,omitempty"`
	// BonusCents is the extra fee offered to couriers.
	BonusCents int64 `json:"bonus_cents,omitempty"`
	// NextStepAt is when the next escalation step happens (zero: none pending).
	NextStepAt time.Time `json:"next_step_at,omitzero"`
	// Alerted is set once operators have been alerted about the order.
	Alerted bool `json:"alerted,omitempty"`
}

// Order is one delivery. Its fields are written only by the Engine.
type Order struct {
	ID         string `json:"id"`
	MerchantID string `json:"merchant_id"`
	// ShopID groups orders that leave from the same counter (bundling key).
	ShopID      string `json:"shop_id"`
	ExternalRef string `json:"external_ref,omitempty"`
	State       State  `json:"state"`
	// Version increases with every write; writes are conditional on it.
	Version int64 `json:"version"`
	// Seq is the sequence number of the order's last event.
	Seq        int64      `json:"seq"`
	Pickup     Stop       `json:"pickup"`
	Dropoff    Stop       `json:"dropoff"`
	Units      int        `json:"units"`
	ValueCents int64      `json:"value_cents"`
	FeeCents   int64      `json:"fee_cents"`
	Currency   string     `json:"currency"`
	StationID  string     `json:"station_id,omitempty"`
	CourierID  string     `json:"courier_id,omitempty"`
	Escalation Escalation `json:"escalation"`

	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"payment_expires_at"`
	ReadyAt     time.Time `json:"ready_at"`
	PromisedAt  time.Time `json:"promised_at"`
	PaidAt      time.Time `json:"paid_at,omitzero"`
	AssignedAt  time.Time `json:"assigned_at,omitzero"`
	PickedUpAt  time.Time `json:"picked_up_at,omitzero"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	ClosedAt    time.Time `json:"closed_at,omitzero"`

	// PaymentIntent is the provider's payment id once known.
	PaymentIntent string `json:"payment_intent,omitempty"`
	// RefundRequested is set when a paid order is canceled or paid too late.
	RefundRequested bool `json:"refund_requested,omitempty"`
	// Refunded is set when the payment provider reports the refund.
	Refunded bool `json:"refunded,omitempty"`
	// HandoffCode is the four-digit code the customer tells the courier at the door.
	HandoffCode string `json:"handoff_code"`
	// HandoffFailures counts wrong codes tried; at MaxHandoffAttempts the code is locked.
	HandoffFailures int `json:"handoff_failures,omitempty"`
	// TrackToken is the unguessable capability behind the customer's tracking link.
	TrackToken string `json:"track_token"`
}

// EventType names what happened to an order.
type EventType string

// Event types besides state changes (whose type is "order." + state).
const (
	EventOfferSent      EventType = "offer.sent"
	EventOfferDeclined  EventType = "offer.declined"
	EventOfferExpired   EventType = "offer.expired"
	EventBroadcast      EventType = "dispatch.broadcast"
	EventEscalated      EventType = "dispatch.escalated"
	EventAlert          EventType = "dispatch.alert"
	EventRefundRequest  EventType = "refund.requested"
	EventRefunded       EventType = "payment.refunded"
	EventPaymentFailed  EventType = "payment.failed"
	EventHandoffRefused EventType = "handoff.refused"
)

// StateEvent returns the event type recorded when an order enters s.
func StateEvent(s State) EventType { return EventType("order." + string(s)) }

// Event is one entry of an order's log.
type Event struct {
	OrderID string    `json:"order_id"`
	Seq     int64     `json:"seq"`
	Type    EventType `json:"type"`
	// State is the order's state after the event.
	State     State     `json:"state"`
	At        time.Time `json:"at"`
	Cause     string    `json:"cause"`
	CourierID string    `json:"courier_id,omitempty"`
}

// record appends an event to the order's log and bumps its sequence number; it returns
// the event for the caller's batch.
func (o *Order) record(t EventType, at time.Time, cause, courierID string) Event {
	o.Seq++
	return Event{OrderID: o.ID, Seq: o.Seq, Type: t, State: o.State, At: at, Cause: cause, CourierID: courierID}
}

// move changes the order's state forward and returns the state event, or ErrTransition.
func (o *Order) move(to State, at time.Time, cause, courierID string) (Event, error) {
	if !o.State.CanMove(to) {
		return Event{}, &TransitionError{OrderID: o.ID, From: o.State, To: to}
	}
	o.State = to
	switch to {
	case Paid:
		o.PaidAt = at
	case Assigned:
		o.AssignedAt = at
	case PickedUp:
		o.PickedUpAt = at
	case Delivered:
		o.DeliveredAt = at
	}
	if to.Terminal() {
		o.ClosedAt = at
	}
	return o.record(StateEvent(to), at, cause, courierID), nil
}

// TransitionError reports a refused state change.
type TransitionError struct {
	OrderID  string
	From, To State
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("dispatch: order %s cannot go from %s to %s", e.OrderID, e.From, e.To)
}

// Is makes errors.Is(err, ErrTransition) match.
func (e *TransitionError) Is(target error) bool { return target == ErrTransition }
