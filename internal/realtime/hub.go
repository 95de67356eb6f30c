package realtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gorilla/websocket"
)

// Subscriber is what the Hub needs from a connection. *Conn implements it.
//
// Send must not block; the Hub holds no lock while calling it. A non-nil error
// means the payload was not delivered; the Hub then unsubscribes that
// Subscriber from the topic, and counts it as dropped if the error is
// ErrSlowConsumer.
type Subscriber interface {
	Send(b []byte) error
}

// subscription is one Subscribe call; its address is its identity, so the
// same Subscriber may hold several independent subscriptions.
type subscription struct {
	s Subscriber
}

// Hub fans payloads out to the subscribers of topics and tracks registered
// connections for ordered shutdown. It spawns no goroutines; see the package
// documentation for who removes what. Create it with NewHub.
type Hub struct {
	mu     sync.RWMutex
	topics map[string][]*subscription // copy-on-write: slices are never mutated
	conns  map[*Conn]struct{}
	closed bool // set by CloseAll; later Registers are closed at once

	dropped atomic.Uint64
}

// NewHub returns an empty Hub.
func NewHub() *Hub {
	return &Hub{
		topics: make(map[string][]*subscription),
		conns:  make(map[*Conn]struct{}),
	}
}

// Subscribe registers s on topic and returns the function that removes that
// subscription. The function is idempotent and safe to call from any
// goroutine, also after Publish has already pruned the subscription.
func (h *Hub) Subscribe(topic string, s Subscriber) (unsubscribe func()) {
	sub := &subscription{s: s}
	h.mu.Lock()
	old := h.topics[topic]
	h.topics[topic] = append(old[:len(old):len(old)], sub) // always copies
	h.mu.Unlock()

	var once sync.Once
	return func() { once.Do(func() { h.remove(topic, sub) }) }
}

// Publish calls Send(b) on every subscriber of topic. It never blocks on a
// subscriber: Conn.Send only enqueues, and a full queue drops that
// connection. Subscribers whose Send fails are unsubscribed from topic. The
// same b is handed to every subscriber and must not be modified afterwards.
func (h *Hub) Publish(topic string, b []byte) {
	h.mu.RLock()
	subs := h.topics[topic]
	h.mu.RUnlock()

	var failed []*subscription
	for _, sub := range subs {
		if err := sub.s.Send(b); err != nil {
			if errors.Is(err, ErrSlowConsumer) {
				h.dropped.Add(1)
			}
			failed = append(failed, sub)
		}
	}
	for _, sub := range failed {
		h.remove(topic, sub)
	}
}

// remove deletes sub from topic if it is still there.
func (h *Hub) remove(topic string, sub *subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := h.topics[topic]
	for i, s := range old {
		if s != sub {
			continue
		}
		if len(old) == 1 {
			delete(h.topics, topic)
			return
		}
		next := make([]*subscription, 0, len(old)-1)
		next = append(next, old[:i]...)
		h.topics[topic] = append(next, old[i+1:]...)
		return
	}
}

// Subscribers returns the number of subscriptions on topic.
func (h *Hub) Subscribers(topic string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.topics[topic])
}

// Register records c so that CloseAll can reach it and Conns counts it, and
// returns the function that forgets it; call that when Serve has returned
// (typically deferred before calling Serve). The function is idempotent. If
// CloseAll has already run, c is closed with 1001 going away at once and
// not recorded.
func (h *Hub) Register(c *Conn) (unregister func()) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		c.Close(websocket.CloseGoingAway, reasonGoingAway)
		return func() {}
	}
	h.conns[c] = struct{}{}
	h.mu.Unlock()

	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.conns, c)
			h.mu.Unlock()
		})
	}
}

// Conns returns the number of registered connections.
func (h *Hub) Conns() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.conns)
}

// Dropped returns how many connections Publish has dropped as slow
// consumers since the Hub was created.
func (h *Hub) Dropped() uint64 { return h.dropped.Load() }

// CloseAll closes every registered connection with 1001 going away, and
// makes every later Register close its connection at once. It does not
// wait; use Shutdown to wait. This is the hook for ordered shutdown, since
// http.Server.Shutdown does not close hijacked connections.
func (h *Hub) CloseAll() {
	for _, c := range h.closeAll() {
		c.Close(websocket.CloseGoingAway, reasonGoingAway)
	}
}

// CloseEvery closes every registered connection with code and reason, without
// refusing later ones: clients reconnect and start afresh (used when the live stream
// had a gap it cannot describe).
func (h *Hub) CloseEvery(code int, reason string) {
	h.mu.RLock()
	conns := make([]*Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.RUnlock()
	for _, c := range conns {
		c.Close(code, reason)
	}
}

// Shutdown calls CloseAll and then waits until every connection that was
// registered at that moment is Done, or until ctx is done, in which case it
// returns an error wrapping ctx.Err().
func (h *Hub) Shutdown(ctx context.Context) error {
	conns := h.closeAll()
	for _, c := range conns {
		c.Close(websocket.CloseGoingAway, reasonGoingAway)
	}
	for _, c := range conns {
		select {
		case <-c.Done():
		case <-ctx.Done():
			return fmt.Errorf("realtime: shutdown: %w", ctx.Err())
		}
	}
	return nil
}

// closeAll marks the hub closed and returns a snapshot of the registered
// connections.
func (h *Hub) closeAll() []*Conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	conns := make([]*Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	return conns
}
