package redis

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// ErrRunning is returned by Run when another Run of the same Bus has not returned yet.
var ErrRunning = errors.New("redis: bus is already running")

// BusConfig configures a Bus. Zero values take the defaults in brackets.
type BusConfig struct {
	// Prefix starts the channel name, <prefix>:bus (required). Instances that share a
	// prefix see each other's messages.
	Prefix string
	// Instance identifies this process in every message it publishes, so that its own
	// messages are not delivered back to it (1 … 128 bytes) [a random "hb-…" id].
	Instance string
	// OnResubscribe is called, on Run's goroutine, each time the subscription is
	// established again after it was lost. Messages published in between are gone: the
	// caller should tell its clients to reload (a snapshot). Not called for the first
	// subscription. Must not block. [none]
	OnResubscribe func()
	// Log receives one line per lost subscription and per malformed message [discard].
	Log *slog.Logger
	// MinBackoff and MaxBackoff bound the wait between reconnection attempts, which
	// doubles after each failure and has ±25% jitter [100ms, 5s].
	MinBackoff, MaxBackoff time.Duration
	// PingEvery is how long a quiet subscription waits before it sends a PING; no reply
	// within another PingEvery counts as a lost connection [5s].
	PingEvery time.Duration
}

// BusStats counts what a Bus's subscriber has seen since NewBus.
type BusStats struct {
	// Delivered counts messages handed to deliver.
	Delivered uint64
	// Skipped counts this instance's own messages, not delivered.
	Skipped uint64
	// Malformed counts messages on the channel that were not envelopes.
	Malformed uint64
	// Resubscribes counts subscriptions established again after a loss.
	Resubscribes uint64
}

// Bus carries live frames between server instances over one Redis pub/sub channel,
// <prefix>:bus; each message is an envelope holding the publishing instance, the topic
// and the payload. Delivery is at most once: Redis keeps nothing for a subscriber that is
// disconnected, which is why Run reports every resubscription. Create it with NewBus.
type Bus struct {
	c       *goredis.Client
	cfg     BusConfig
	channel string

	running atomic.Bool
	healthy atomic.Bool

	delivered, skipped, malformed, resubscribes atomic.Uint64
}

// NewBus returns a Bus publishing and subscribing through c; the error wraps ErrConfig.
func NewBus(c *goredis.Client, cfg BusConfig) (*Bus, error) {
	p, err := keyPrefix(cfg.Prefix)
	if err != nil {
		return nil, err
	}
	if cfg.Instance == "" {
		cfg.Instance = newInstanceID()
	}
	if len(cfg.Instance) > maxInstance {
		return nil, fmt.Errorf("%w: instance id of %d bytes, at most %d", ErrConfig, len(cfg.Instance), maxInstance)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Second
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.MinBackoff)
	if cfg.PingEvery <= 0 {
		cfg.PingEvery = 5 * time.Second
	}
	return &Bus{c: c, cfg: cfg, channel: p + "bus"}, nil
}

// newInstanceID returns "hb-" and 12 random hex digits.
func newInstanceID() string {
	var b [6]byte
	_, _ = crand.Read(b[:]) // never fails (crypto/rand)
	return "hb-" + hex.EncodeToString(b[:])
}

// Instance returns the id this Bus stamps on its messages.
func (b *Bus) Instance() string { return b.cfg.Instance }

// Channel returns the Redis channel the Bus uses.
func (b *Bus) Channel() string { return b.channel }

// Healthy reports whether Run currently holds a confirmed subscription. While it is
// false, messages from other instances are being missed.
func (b *Bus) Healthy() bool { return b.healthy.Load() }

// Stats returns the subscriber's counters.
func (b *Bus) Stats() BusStats {
	return BusStats{
		Delivered: b.delivered.Load(), Skipped: b.skipped.Load(),
		Malformed: b.malformed.Load(), Resubscribes: b.resubscribes.Load(),
	}
}

// Publish sends payload on topic to every other instance whose Run is subscribed now.
// It does not deliver to this instance's own Run: publish locally as well. An error
// means Redis did not take the message (it is returned, never dropped silently); nil
// means Redis took it, not that anyone received it.
func (b *Bus) Publish(ctx context.Context, topic string, payload []byte) error {
	if topic == "" || len(topic) > maxTopic {
		return ErrTopic
	}
	msg := appendEnvelope(make([]byte, 0, envelopeSize(b.cfg.Instance, topic, payload)), b.cfg.Instance, topic, payload)
	if err := b.c.Publish(ctx, b.channel, msg).Err(); err != nil {
		return fmt.Errorf("redis: bus publish on %q: %w", topic, err)
	}
	return nil
}

// Run subscribes to the channel and calls deliver for every message another instance
// publishes, in the order Redis delivers them, on Run's own goroutine; deliver must not
// block (realtime.Hub.Publish does not) and owns topic and payload. When the connection
// is lost (Redis restarts, the connection is killed, a PING goes unanswered) Run
// reconnects with backoff, resubscribes and calls OnResubscribe. It returns ctx's error
// once ctx is done and its connection is closed, or ErrRunning at once if the Bus is
// already running.
func (b *Bus) Run(ctx context.Context, deliver func(topic string, payload []byte)) error {
	if !b.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer b.running.Store(false)

	backoff := b.cfg.MinBackoff
	everSubscribed := false
	for {
		subscribed, err := b.session(ctx, deliver, everSubscribed)
		b.healthy.Store(false)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if subscribed {
			everSubscribed = true
			backoff = b.cfg.MinBackoff
		}
		wait := jitter(backoff)
		b.cfg.Log.Warn("redis bus: subscription lost; reconnecting",
			"channel", b.channel, "err", err, "retry_in", wait.Round(time.Millisecond))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, b.cfg.MaxBackoff)
	}
}

// jitter spreads d by ±25% so instances that lost Redis together do not reconnect in
// lockstep.
func jitter(d time.Duration) time.Duration {
	return d*3/4 + rand.N(d/2+1)
}

// session holds one subscriber connection until it fails or ctx is done. subscribed
// reports whether the subscription was confirmed before that; resumed says whether an
// earlier session had been, so that this confirmation is a resubscription.
func (b *Bus) session(ctx context.Context, deliver func(string, []byte), resumed bool) (subscribed bool, err error) {
	ps := b.c.Subscribe(ctx) // no channel yet: no I/O
	// Closing the PubSub is what interrupts a blocked receive when ctx ends.
	closed := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = ps.Close()
		close(closed)
	})
	defer func() {
		if stop() {
			_ = ps.Close()
		} else {
			<-closed
		}
	}()

	if err := ps.Subscribe(ctx, b.channel); err != nil {
		return false, err
	}
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, b.cfg.PingEvery)
		if err != nil {
			var nerr net.Error
			if errors.As(err, &nerr) && nerr.Timeout() && !pinged && ctx.Err() == nil {
				if err := ps.Ping(ctx); err != nil {
					return subscribed, err
				}
				pinged = true
				continue
			}
			return subscribed, err
		}
		pinged = false
		switch m := msg.(type) {
		case *goredis.Subscription:
			if m.Kind != "subscribe" || m.Channel != b.channel {
				return subscribed, fmt.Errorf("redis: bus got %s %q", m.Kind, m.Channel)
			}
			subscribed = true
			b.healthy.Store(true)
			if resumed {
				b.resubscribes.Add(1)
				if b.cfg.OnResubscribe != nil {
					b.cfg.OnResubscribe()
				}
			}
		case *goredis.Message:
			b.handle(m, deliver)
		case *goredis.Pong:
		}
	}
}

// handle decodes one message and delivers it unless it is malformed or this instance's.
func (b *Bus) handle(m *goredis.Message, deliver func(string, []byte)) {
	if m.Channel != b.channel {
		return
	}
	env, err := decodeEnvelope([]byte(m.Payload))
	switch {
	case err != nil:
		b.malformed.Add(1)
		b.cfg.Log.Warn("redis bus: dropping malformed message", "channel", b.channel, "err", err, "bytes", len(m.Payload))
	case env.instance == b.cfg.Instance:
		b.skipped.Add(1)
	default:
		b.delivered.Add(1)
		deliver(env.topic, env.payload)
	}
}
