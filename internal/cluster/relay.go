package cluster

import (
	"bytes"
	"context"
	"encoding/gob"
	"log/slog"
	"slices"
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

// note is one dispatch.Notifier call on the bus. Source and Seq number the relay's
// notes, so that a receiver notices one that never arrived.
type note struct {
	Source    string
	Seq       uint64
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
	local  dispatch.Notifier
	bus    Publisher
	log    *slog.Logger
	queue  chan note
	source string        // this relay, unique per process start
	seq    atomic.Uint64 // of the last note numbered

	Dropped atomic.Uint64 // notifications not published because the queue was full
}

// NewRelay returns a relay to local and bus.
func NewRelay(local dispatch.Notifier, bus Publisher, log *slog.Logger) *Relay {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Relay{local: local, bus: bus, log: log, queue: make(chan note, relayQueue), source: dispatch.NewSecret("rel")}
}

var _ dispatch.Notifier = (*Relay)(nil)

// Run encodes and publishes queued notifications in order until ctx ends (the encoding
// happens here, not under the engine's lock).
func (r *Relay) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case n := <-r.queue:
			var buf bytes.Buffer
			if err := gob.NewEncoder(&buf).Encode(n); err != nil {
				r.Dropped.Add(1)
				r.log.Error("relay: encode", "kind", n.Kind, "err", err)
				continue
			}
			if err := r.bus.Publish(ctx, NotifyTopic, buf.Bytes()); err != nil && ctx.Err() == nil {
				r.Dropped.Add(1)
				r.log.Warn("relay: publish", "err", err)
			}
		}
	}
}

func (r *Relay) send(n note) {
	n.Source, n.Seq = r.source, r.seq.Add(1)
	select {
	case r.queue <- n:
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
	// Encoded later, on Run's goroutine: the note keeps its own copies of the slices.
	o.OrderIDs, o.Dropoffs = slices.Clone(o.OrderIDs), slices.Clone(o.Dropoffs)
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
	r.send(note{Kind: "moved", CourierID: courierID, Pos: pos, OrderIDs: slices.Clone(orderIDs)})
}

// Receiver hands the notifications received from the bus to a notifier (this
// instance's Feed) and watches their numbering: a note missing from a relay's sequence
// (dropped by a full queue, a failed publish, or lost on the way) calls gap, and the
// instance resyncs its clients as it does after a lost subscription.
//
// Concurrency: Deliver is called from the bus's one subscriber goroutine.
type Receiver struct {
	to   dispatch.Notifier
	gap  func()
	log  *slog.Logger
	last map[string]uint64 // relay source → seq of its last note seen
}

// NewReceiver returns a receiver delivering to to; gap (may be nil) is called for every
// hole in a relay's numbering. log may be nil.
func NewReceiver(to dispatch.Notifier, gap func(), log *slog.Logger) *Receiver {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if gap == nil {
		gap = func() {}
	}
	return &Receiver{to: to, gap: gap, log: log, last: map[string]uint64{}}
}

// Deliver decodes one payload and hands it on; malformed payloads are logged and
// dropped (they come from the network).
func (r *Receiver) Deliver(payload []byte) {
	var n note
	if err := gob.NewDecoder(bytes.NewReader(payload)).Decode(&n); err != nil {
		r.log.Warn("relay: malformed notification", "err", err)
		return
	}
	if prev, ok := r.last[n.Source]; ok && n.Seq != prev+1 {
		r.log.Warn("relay: notifications missing", "source", n.Source, "after", prev, "got", n.Seq)
		r.gap()
	}
	if len(r.last) > 64 {
		clear(r.last) // old leaders' relays; a new one starts unchecked
	}
	r.last[n.Source] = n.Seq
	switch n.Kind {
	case "order":
		r.to.OrderEvent(n.Order, n.Event)
	case "offer":
		r.to.Offer(n.Offer)
	case "withdrawn":
		r.to.OfferWithdrawn(n.CourierID, n.OfferID, n.Reason)
	case "moved":
		r.to.CourierMoved(n.CourierID, n.Pos, n.OrderIDs)
	default:
		r.log.Warn("relay: unknown notification", "kind", n.Kind)
	}
}
