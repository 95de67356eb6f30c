package api

import (
	"cmp"
	"hash/fnv"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
	"github.com/hummingbird-dispatch/hummingbird/internal/realtime"
)

// Topics the Feed publishes on.
const (
	topicOps = "ops"
)

func courierTopic(id string) string    { return "courier:" + id }
func trackTopic(orderID string) string { return "track:" + orderID }

// FeedConfig tunes a Feed. Zero values take the defaults in brackets.
type FeedConfig struct {
	// Replay is how many recent frames are kept per courier for resume [128]. A replay
	// must fit in the connection's send queue (realtime.Config.SendQueue, 256 by default)
	// next to hello and snapshot; one that does not is replaced by a snapshot.
	Replay int
	// IdleTTL is how long the replay buffer of a courier without a connection survives
	// its last frame or disconnect [15m].
	IdleTTL time.Duration
	// MaxCouriers caps the couriers holding a replay buffer; past it the buffers of
	// disconnected couriers are dropped, longest idle first [100000].
	MaxCouriers int
	// Clock stamps frames and ages buffers; give the engine's clock [the wall clock].
	Clock dispatch.Clock
	// Day is the time zone whose midnight starts the operators' daily counters [UTC].
	Day *time.Location
}

func (c FeedConfig) withDefaults() FeedConfig {
	if c.Replay <= 0 {
		c.Replay = 128
	}
	if c.IdleTTL <= 0 {
		c.IdleTTL = 15 * time.Minute
	}
	if c.MaxCouriers <= 0 {
		c.MaxCouriers = 100_000
	}
	return c
}

// connStripes is the number of locks serialising connect and disconnect per courier.
const connStripes = 64

// Feed turns engine decisions into JSON frames on realtime topics; it implements
// dispatch.Notifier:
//
//   - "courier:<id>": offers, withdrawn offers and the courier's own order updates, each
//     with a per-courier increasing seq, the last Replay of them kept for resume;
//   - "track:<order id>": status frames, and courier positions only while the order is
//     assigned, at_pickup, picked_up or at_dropoff (as last reported by OrderEvent);
//   - "ops": everything, compact, for the operations page.
//
// Concurrency: all methods are safe for concurrent use. Notifier methods run with the
// engine's lock held; they take the Feed's own lock, never block (realtime's Send only
// enqueues) and never call the engine. Code that calls the engine never holds the Feed's
// lock, so the lock order is always engine → Feed.
type Feed struct {
	hub  *realtime.Hub
	log  *slog.Logger
	cfg  FeedConfig
	conn [connStripes]sync.Mutex // see lockCourier

	clock dispatch.Clock  // set once by the constructor
	tally *dispatch.Tally // the day's KPIs for the operators, fed every order event

	mu        sync.Mutex
	couriers  map[string]*courierLog
	orders    map[string]orderMark // active orders only
	maxSeq    int64
	lastSweep time.Time
}

// courierLog is one courier's stream: its seq counter, replay buffer and connection.
type courierLog struct {
	seq     int64      // seq of the last frame
	since   int64      // frames holds every frame with since < seq
	frames  []seqFrame // ascending seq, at most Replay
	conn    *realtime.Conn
	touched time.Time // last frame, connect or disconnect
}

type seqFrame struct {
	seq int64
	b   []byte
}

// orderMark is the last known state of an active order and the event seq that set it.
type orderMark struct {
	state dispatch.State
	seq   int64
}

var _ dispatch.Notifier = (*Feed)(nil)

// NewFeed returns a feed publishing on hub with the default FeedConfig, stamping frames
// with clock (the engine's). clock and log may be nil.
func NewFeed(hub *realtime.Hub, clock dispatch.Clock, log *slog.Logger) *Feed {
	return NewFeedWith(FeedConfig{Clock: clock}, hub, log)
}

// NewFeedWith returns a feed publishing on hub; zero cfg fields take their defaults.
func NewFeedWith(cfg FeedConfig, hub *realtime.Hub, log *slog.Logger) *Feed {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Feed{hub: hub, log: log, cfg: cfg.withDefaults(), clock: cfg.Clock, tally: dispatch.NewTally(cfg.Day),
		couriers: map[string]*courierLog{}, orders: map[string]orderMark{}}
	if f.clock == nil {
		f.clock = dispatch.SystemClock{}
	}
	return f
}

// OrderEvent implements dispatch.Notifier. State changes of an order with a courier go
// to that courier; state changes go to the order's trackers; every event goes to ops and
// to the day's tally.
func (f *Feed) OrderEvent(o dispatch.Order, e dispatch.Event) {
	f.tally.Observe(o, e)
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.Now()
	f.markLocked(o.ID, e.State, e.Seq)
	if e.Type == dispatch.StateEvent(e.State) {
		if o.CourierID != "" {
			f.toCourierLocked(o.CourierID, MsgOrder, OrderUpdate{Order: orderView(o), Event: e.Type, At: e.At}, now)
		}
		f.publishLocked(trackTopic(o.ID), MsgStatus, StatusData{OrderID: o.ID, Seq: e.Seq, State: e.State, At: e.At}, now)
	}
	f.publishLocked(topicOps, opsOrderEvent, e, now)
}

// Offer implements dispatch.Notifier.
func (f *Feed) Offer(of dispatch.Offer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.Now()
	f.toCourierLocked(of.CourierID, MsgOffer, offerView(of), now)
	f.publishLocked(topicOps, MsgOffer, opsOffer{ID: of.ID, Kind: of.Kind, CourierID: of.CourierID,
		OrderIDs: of.OrderIDs, ExpiresAt: of.ExpiresAt}, now)
}

// OfferWithdrawn implements dispatch.Notifier.
func (f *Feed) OfferWithdrawn(courierID, offerID, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.Now()
	f.toCourierLocked(courierID, MsgOfferWithdrawn, WithdrawnData{OfferID: offerID, Reason: reason}, now)
	f.publishLocked(topicOps, MsgOfferWithdrawn, opsWithdrawn{CourierID: courierID, OfferID: offerID, Reason: reason}, now)
}

// CourierMoved implements dispatch.Notifier. The position goes to the trackers of each
// listed order that the feed last saw in an active state.
func (f *Feed) CourierMoved(courierID string, pos geo.LatLng, orderIDs []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.Now()
	for _, id := range orderIDs {
		if m, ok := f.orders[id]; ok && m.state.Active() {
			f.publishLocked(trackTopic(id), MsgPosition, PositionData{Lat: pos.Lat, Lng: pos.Lng, At: now}, now)
		}
	}
	f.publishLocked(topicOps, opsCourierPos, opsMoved{CourierID: courierID, Pos: pos, OrderIDs: orderIDs}, now)
}

// publishLocked encodes and publishes a frame without seq, unless nobody listens.
func (f *Feed) publishLocked(topic, typ string, data any, now time.Time) {
	if f.hub.Subscribers(topic) == 0 {
		return
	}
	f.hub.Publish(topic, encodeFrame(typ, 0, "", now, data))
}

// toCourierLocked gives a frame the courier's next seq, keeps it for resume and
// publishes it.
//
// A courier that never connected to this instance (or whose stream was swept) has no
// stream here and the frame is dropped: in a cluster every instance sees every
// courier's frames, and only the one holding the courier's socket keeps them. This
// also keeps each instance's seq numbers its own, so a resume point from another
// instance always falls outside this stream and gets a snapshot.
func (f *Feed) toCourierLocked(id, typ string, data any, now time.Time) {
	l := f.couriers[id]
	if l == nil {
		return
	}
	l.seq++
	f.maxSeq = max(f.maxSeq, l.seq)
	b := encodeFrame(typ, l.seq, "", now, data)
	if len(l.frames) == f.cfg.Replay {
		l.since = l.frames[0].seq
		l.frames = append(l.frames[:0], l.frames[1:]...)
	}
	l.frames = append(l.frames, seqFrame{seq: l.seq, b: b})
	l.touched = now
	f.hub.Publish(courierTopic(id), b)
}

// logLocked returns the courier's stream, creating it. A new stream starts at the clock
// in microseconds and above every seq issued so far, so that a seq a client kept from an
// evicted stream or from before a restart is never mistaken for a position in this one.
func (f *Feed) logLocked(id string, now time.Time) *courierLog {
	if l := f.couriers[id]; l != nil {
		return l
	}
	f.sweepLocked(now)
	base := max(now.UnixMicro(), f.maxSeq)
	f.maxSeq = base
	l := &courierLog{seq: base, since: base, touched: now}
	f.couriers[id] = l
	return l
}

// sweepLocked drops the streams of couriers without a connection idle for IdleTTL (at
// most every IdleTTL/4), and the longest idle ones when MaxCouriers is reached.
func (f *Feed) sweepLocked(now time.Time) {
	full := len(f.couriers) >= f.cfg.MaxCouriers
	if !full && now.Sub(f.lastSweep) < f.cfg.IdleTTL/4 {
		return
	}
	f.lastSweep = now
	type idle struct {
		id      string
		touched time.Time
	}
	var detached []idle
	for id, l := range f.couriers {
		switch {
		case l.conn != nil:
		case now.Sub(l.touched) >= f.cfg.IdleTTL:
			delete(f.couriers, id)
		default:
			detached = append(detached, idle{id, l.touched})
		}
	}
	if len(f.couriers) < f.cfg.MaxCouriers {
		return
	}
	slices.SortFunc(detached, func(a, b idle) int { return a.touched.Compare(b.touched) })
	for _, d := range detached {
		if len(f.couriers) < f.cfg.MaxCouriers {
			break
		}
		delete(f.couriers, d.id)
	}
}

// markLocked records the state an order entered; only active orders are remembered.
func (f *Feed) markLocked(id string, state dispatch.State, seq int64) {
	if !state.Active() {
		delete(f.orders, id)
		return
	}
	if m, ok := f.orders[id]; !ok || seq > m.seq {
		f.orders[id] = orderMark{state: state, seq: seq}
	}
}

// noteOrder seeds the state of an order read from the store (a tracker connected), so
// that positions flow for orders whose last event predates this process.
func (f *Feed) noteOrder(o dispatch.Order) {
	if !o.State.Active() {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.markLocked(o.ID, o.State, o.Seq)
}

// dropOrder forgets an order a tracker saw end (undoing a seed that raced its end).
func (f *Feed) dropOrder(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.orders, id)
}

// lockCourier serialises connecting and disconnecting one courier, so that an old
// connection's engine.Disconnect cannot land after a new connection's engine.Connect.
// It is held across engine calls and so must never be taken with the Feed's lock held.
func (f *Feed) lockCourier(id string) (unlock func()) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	m := &f.conn[h.Sum32()%connStripes]
	m.Lock()
	return m.Unlock
}

// claim makes conn the courier's current connection. It returns the connection it
// replaces (nil if none) and the stream's position, to be taken before engine.Connect.
func (f *Feed) claim(id string, conn *realtime.Conn) (prev *realtime.Conn, mark int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.logLocked(id, f.clock.Now())
	prev, l.conn = l.conn, conn
	return prev, l.seq
}

// release forgets conn as the courier's connection and reports whether it was the
// current one (a replaced connection is not).
func (f *Feed) release(id string, conn *realtime.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.couriers[id]
	if l == nil || l.conn != conn {
		return false
	}
	l.conn, l.touched = nil, f.clock.Now()
	return true
}

// start queues hello on conn, then the frames the client missed, then subscribes conn to
// the courier's topic, all under the Feed's lock so that no frame is lost, doubled or
// reordered between them. hello must hold the view read after claim returned mark.
//
// With resume set, the frames after *resume are replayed if the stream still holds them
// all and they fit in room (frames the connection's send queue can take); otherwise a
// "snapshot" frame with seq mark follows hello. Frames after mark always follow.
func (f *Feed) start(id string, conn *realtime.Conn, hello HelloData, resume *int64, mark int64, room int) (unsubscribe func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.Now()
	l := f.logLocked(id, now)
	from, snapshot := mark, false
	if resume != nil {
		snapshot = true
		if r := *resume; r >= l.since && r <= l.seq && l.seq-r+2 <= int64(room) {
			from, snapshot = r, false
		}
	}
	i, _ := slices.BinarySearchFunc(l.frames, from+1, func(x seqFrame, seq int64) int { return cmp.Compare(x.seq, seq) })
	replay := l.frames[i:]
	if len(replay)+2 > room {
		f.log.Warn("courier stream too far ahead of its snapshot", "courier", id, "frames", len(replay))
		conn.Close(CloseInternal, "too many frames to replay, reconnect")
		return func() {}
	}
	hello.ResumeFrom = from
	_ = conn.Send(encodeFrame(MsgHello, 0, "", now, hello))
	if snapshot {
		_ = conn.Send(encodeFrame(MsgSnapshot, mark, "", now, hello.CourierSnapshot))
	}
	for _, fr := range replay {
		_ = conn.Send(fr.b)
	}
	return f.hub.Subscribe(courierTopic(id), conn)
}

// gap marks every courier stream as broken: frames may have been lost between
// instances, so no resume point from before now can be replayed and the next connection
// of each courier gets a snapshot.
func (f *Feed) gap() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range f.couriers {
		l.seq++
		l.since, l.frames = l.seq, nil
	}
}

// streams returns how many couriers hold a stream (for tests and metrics).
func (f *Feed) streams() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.couriers)
}
