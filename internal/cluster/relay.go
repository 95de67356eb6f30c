package cluster

import (
	"bytes"
	"context"
	"encoding/gob"
	"log/slog"
	"sync/atomic"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// NotifyTopic is the bus topic that carries the leader's notifications.
const NotifyTopic = "notify"

// relayQueue bounds the notifications waiting to be published; past it they are
// dropped and counted, and the instances resync their clients when their subscription
// notices (a dropped message is a gap like any other).
const relayQueue = 4096

// Publisher sends a payload on a bus topic to every other instance.
type Publisher interface {
	Publish(ctx context.Context, topic string, payload []byte) error
}

// note is one dispatch.Notifier call on the bus.
type note struct {
	Kind      string // "order", "offer", "withdrawn", "moved"
	Order     dispatch.Order
	Event     dispatch.Event
	Offer     dispatch.Offer
	CourierID string
	OfferID   string
	Reason    string
	Pos       geo.LatLng
	OrderIDs  []string
}

// Relay is the leader's dispatch.Notifier in a cluster: every call goes to the local
// notifier (this instance's Feed) at once and, through one publishing goroutine, to the
// bus, where Deliver on every other instance hands it to that instance's Feed. Each
// instance's Feed thus sees the same stream of decisions and serves its own sockets.
//
// Concurrency: Notifier methods never block (they run under the engine's lock); Run
// owns the publishing goroutine and returns when ctx ends.
type Relay struct {
	local dispatch.Notifier
	bus   Publisher
	log   *slog.Logger
	queue chan []byte

	Dropped atomic.Uint64 // notifications not published because the queue was full
}

// NewRelay returns a relay to local and bus.
func NewRelay(local dispatch.Notifier, bus Publisher, log *slog.Logger) *Relay {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Relay{local: local, bus: bus, log: log, queue: make(chan []byte, relayQueue)}
}

var _ dispatch.Notifier = (*Relay)(nil)

// Run publishes queued notifications in order until ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case b := <-r.queue:
			if err := r.bus.Publish(ctx, NotifyTopic, b); err != nil && ctx.Err() == nil {
				r.Dropped.Add(1)
				r.log.Warn("relay: publish", "err", err)
			}
		}
	}
}

func (r *Relay) send(n note) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(n); err != nil {
		r.log.Error("relay: encode", "kind", n.Kind, "err", err)
		return
	}
	select {
	case r.queue <- buf.Bytes():
	default:
		r.Dropped.Add(1)
	}
}

// OrderEvent implements dispatch.Notifier.
func (r *Relay) OrderEvent(o dispatch.Order, e dispatch.Event) {
	r.local.OrderEvent(o, e)
	r.send(note{Kind: "order", Order: o, Event: e})
}

// Offer implements dispatch.Notifier.
func (r *Relay) Offer(o dispatch.Offer) {
	r.local.Offer(o)
	r.send(note{Kind: "offer", Offer: o})
}

// OfferWithdrawn implements dispatch.Notifier.
func (r *Relay) OfferWithdrawn(courierID, offerID, reason string) {
	r.local.OfferWithdrawn(courierID, offerID, reason)
	r.send(note{Kind: "withdrawn", CourierID: courierID, OfferID: offerID, Reason: reason})
}

// CourierMoved implements dispatch.Notifier.
func (r *Relay) CourierMoved(courierID string, pos geo.LatLng, orderIDs []string) {
	r.local.CourierMoved(courierID, pos, orderIDs)
	r.send(note{Kind: "moved", CourierID: courierID, Pos: pos, OrderIDs: orderIDs})
}

// Deliver hands a notification received from the bus to to; malformed payloads are
// logged and dropped (they come from the network).
func Deliver(to dispatch.Notifier, payload []byte, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var n note
	if err := gob.NewDecoder(bytes.NewReader(payload)).Decode(&n); err != nil {
		log.Warn("relay: malformed notification", "err", err)
		return
	}
	switch n.Kind {
	case "order":
		to.OrderEvent(n.Order, n.Event)
	case "offer":
		to.Offer(n.Offer)
	case "withdrawn":
		to.OfferWithdrawn(n.CourierID, n.OfferID, n.Reason)
	case "moved":
		to.CourierMoved(n.CourierID, n.Pos, n.OrderIDs)
	default:
		log.Warn("relay: unknown notification", "kind", n.Kind)
	}
}
