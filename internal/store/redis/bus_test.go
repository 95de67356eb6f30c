package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hummingbird-dispatch/hummingbird/internal/testenv"
)

type busMsg struct {
	topic, payload string
}

// testBus is a Bus running in the background of a test, with what it delivered and its
// resubscriptions on channels.
type testBus struct {
	*Bus
	msgs  chan busMsg
	resub chan struct{}
}

// newTestBus returns a Bus on c for prefix, not yet running.
func newTestBus(t *testing.T, c *goredis.Client, prefix, instance string) *testBus {
	t.Helper()
	tb := &testBus{msgs: make(chan busMsg, 1024), resub: make(chan struct{}, 16)}
	b, err := NewBus(c, BusConfig{
		Prefix: prefix, Instance: instance, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		OnResubscribe: func() { tb.resub <- struct{}{} },
	})
	if err != nil {
		t.Fatal(err)
	}
	tb.Bus = b
	return tb
}

// run starts Run until the test ends, and waits for the first subscription.
func (tb *testBus) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- tb.Run(ctx, func(topic string, p []byte) { tb.msgs <- busMsg{topic, string(p)} })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
		if tb.Healthy() {
			t.Error("Healthy after Run returned")
		}
	})
	eventually(t, "the bus to subscribe", tb.Healthy)
}

// next returns the next delivered message.
func (tb *testBus) next(t *testing.T) busMsg {
	t.Helper()
	select {
	case m := <-tb.msgs:
		return m
	case <-time.After(10 * time.Second):
		t.Fatalf("bus %s delivered nothing", tb.Instance())
		return busMsg{}
	}
}

func (tb *testBus) wantNext(t *testing.T, want busMsg) {
	t.Helper()
	if got := tb.next(t); got != want {
		t.Fatalf("bus %s delivered %+v, want %+v", tb.Instance(), got, want)
	}
}

// waitResubscribe waits for OnResubscribe.
func (tb *testBus) waitResubscribe(t *testing.T) {
	t.Helper()
	select {
	case <-tb.resub:
	case <-time.After(10 * time.Second):
		t.Fatalf("bus %s did not resubscribe", tb.Instance())
	}
}

func publish(t *testing.T, b *testBus, topic, payload string) {
	t.Helper()
	if err := b.Publish(t.Context(), topic, []byte(payload)); err != nil {
		t.Fatal(err)
	}
}

// Two instances: each gets what the other publishes, in order, and never its own.
func TestBusDeliversToOthersOnly(t *testing.T) {
	t.Parallel()
	prefix := testPrefix()
	a := newTestBus(t, testClient(t, prefix, "a"), prefix, "inst-a")
	b := newTestBus(t, testClient(t, prefix, "b"), prefix, "inst-b")
	a.run(t)
	b.run(t)
	publish(t, a, "ops", "a1")
	publish(t, a, "track:ord_1", "a2")
	publish(t, b, "courier:cou_1", "b1")
	// Redis keeps one channel's order, so had a delivered its own a1 it would come first.
	a.wantNext(t, busMsg{"courier:cou_1", "b1"})
	b.wantNext(t, busMsg{"ops", "a1"})
	b.wantNext(t, busMsg{"track:ord_1", "a2"})
	eventually(t, "a to skip its own two", func() bool { return a.Stats().Skipped == 2 })
	eventually(t, "b to skip its own one", func() bool { return b.Stats().Skipped == 1 })
	if s := b.Stats(); s.Delivered != 2 || s.Malformed != 0 || s.Resubscribes != 0 {
		t.Fatalf("b stats %+v", s)
	}
	// A prefix is a namespace: another deployment on the same Redis sees nothing.
	other := testPrefix()
	c := newTestBus(t, testClient(t, other, "c"), other, "inst-c")
	c.run(t)
	publish(t, c, "ops", "c1")
	publish(t, a, "ops", "a3")
	b.wantNext(t, busMsg{"ops", "a3"})
}

// Redis drops the subscriber's connection (CLIENT KILL): the Bus resubscribes, says so,
// and delivers what is published afterwards.
func TestBusResubscribesAfterClientKill(t *testing.T) {
	t.Parallel()
	prefix := testPrefix()
	a := newTestBus(t, testClient(t, prefix, "a"), prefix, "inst-a")
	bc := testClient(t, prefix, "b")
	b := newTestBus(t, bc, prefix, "inst-b")
	b.run(t)
	publish(t, a, "ops", "before")
	b.wantNext(t, busMsg{"ops", "before"})
	for i := range 2 {
		if n := killPubSub(t, bc, prefix+":b"); n != 1 {
			t.Fatalf("killed %d pubsub connections named %s:b, want 1", n, prefix)
		}
		b.waitResubscribe(t)
		if !b.Healthy() {
			t.Fatal("not healthy after OnResubscribe")
		}
		publish(t, a, "ops", fmt.Sprint("after ", i))
		b.wantNext(t, busMsg{"ops", fmt.Sprint("after ", i)})
	}
	if s := b.Stats(); s.Resubscribes != 2 {
		t.Fatalf("stats %+v, want 2 resubscribes", s)
	}
}

// killPubSub kills the pub/sub connections named name (CLIENT KILL has no name filter,
// so it finds their ids in CLIENT LIST) and returns how many it killed.
func killPubSub(t *testing.T, c *goredis.Client, name string) int {
	t.Helper()
	list, err := c.Do(t.Context(), "CLIENT", "LIST", "TYPE", "pubsub").Text()
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	for line := range strings.Lines(list) {
		var id, n string
		for f := range strings.FieldsSeq(line) {
			if v, ok := strings.CutPrefix(f, "id="); ok {
				id = v
			} else if v, ok := strings.CutPrefix(f, "name="); ok {
				n = v
			}
		}
		if n == name {
			k, err := c.ClientKillByFilter(t.Context(), "ID", id).Result()
			if err != nil {
				t.Fatal(err)
			}
			killed += int(k)
		}
	}
	return killed
}

// Redis goes away (connections reset, then refused) and comes back: the Bus reports
// itself unhealthy, retries with backoff, and resubscribes once Redis is back.
func TestBusSurvivesRedisOutage(t *testing.T) {
	t.Parallel()
	prefix := testPrefix()
	a := newTestBus(t, testClient(t, prefix, "a"), prefix, "inst-a")
	p := startProxy(t, testenv.RedisAddr())
	bc := goredis.NewClient(&goredis.Options{Addr: p.addr, MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = bc.Close() })
	b := newTestBus(t, bc, prefix, "inst-b")
	b.run(t)

	p.down()
	eventually(t, "the bus to notice the outage", func() bool { return !b.Healthy() })
	if err := b.Publish(t.Context(), "ops", []byte("lost")); err == nil {
		t.Fatal("Publish with Redis down returned nil")
	}
	publish(t, a, "ops", "missed") // while b is away: gone, which is what OnResubscribe is for
	p.up(t)
	b.waitResubscribe(t)
	publish(t, a, "ops", "back")
	b.wantNext(t, busMsg{"ops", "back"})
}

// Redis stops answering without closing anything (a partition, a hung server): the Bus
// notices from its unanswered PING, goes unhealthy, and resubscribes once Redis answers.
func TestBusDetectsSilentConnection(t *testing.T) {
	t.Parallel()
	prefix := testPrefix()
	a := newTestBus(t, testClient(t, prefix, "a"), prefix, "inst-a")
	p := startProxy(t, testenv.RedisAddr())
	bc := goredis.NewClient(&goredis.Options{Addr: p.addr, MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = bc.Close() })
	b := newTestBus(t, bc, prefix, "inst-b")
	b.cfg.PingEvery = 50 * time.Millisecond
	b.run(t)
	publish(t, a, "ops", "one")
	b.wantNext(t, busMsg{"ops", "one"})

	p.freeze()
	eventually(t, "the bus to notice the silence", func() bool { return !b.Healthy() })
	p.thaw()
	b.waitResubscribe(t)
	publish(t, a, "ops", "two")
	b.wantNext(t, busMsg{"ops", "two"})
}

// A message that is not an envelope is counted and dropped; the next one still arrives.
func TestBusDropsMalformed(t *testing.T) {
	t.Parallel()
	prefix := testPrefix()
	c := testClient(t, prefix, "a")
	a := newTestBus(t, c, prefix, "inst-a")
	b := newTestBus(t, testClient(t, prefix, "b"), prefix, "inst-b")
	b.run(t)
	if err := c.Publish(t.Context(), b.Channel(), `{"topic":"ops"}`).Err(); err != nil {
		t.Fatal(err)
	}
	publish(t, a, "ops", "good")
	b.wantNext(t, busMsg{"ops", "good"})
	if s := b.Stats(); s.Malformed != 1 {
		t.Fatalf("stats %+v, want 1 malformed", s)
	}
}

func TestBusPublishErrors(t *testing.T) {
	t.Parallel()
	b, err := NewBus(unreachableClient(t), BusConfig{Prefix: "hbtest"})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(t.Context(), "ops", []byte("x")); err == nil {
		t.Error("Publish to an unreachable Redis returned nil")
	}
	if err := b.Publish(t.Context(), "", []byte("x")); !errors.Is(err, ErrTopic) {
		t.Errorf("empty topic: %v", err)
	}
	if err := b.Publish(t.Context(), strings.Repeat("t", maxTopic+1), nil); !errors.Is(err, ErrTopic) {
		t.Errorf("long topic: %v", err)
	}
}

// Run against an unreachable Redis keeps retrying, stays unhealthy and stops with ctx;
// a second concurrent Run is refused.
func TestBusRunUnreachable(t *testing.T) {
	t.Parallel()
	b, err := NewBus(unreachableClient(t), BusConfig{Prefix: "hbtest", MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, func(string, []byte) {}) }()
	eventually(t, "Run to start", b.running.Load)
	if err := b.Run(ctx, func(string, []byte) {}); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Run: %v, want ErrRunning", err)
	}
	if b.Healthy() {
		t.Fatal("healthy without Redis")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
}

func TestNewBusRejectsConfig(t *testing.T) {
	for _, cfg := range []BusConfig{{}, {Prefix: ":"}, {Prefix: "a b"}, {Prefix: "hb", Instance: strings.Repeat("i", maxInstance+1)}} {
		if _, err := NewBus(nil, cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("NewBus(%+v): %v, want ErrConfig", cfg, err)
		}
	}
	b, err := NewBus(nil, BusConfig{Prefix: "hb:"})
	if err != nil || b.Channel() != "hb:bus" || !strings.HasPrefix(b.Instance(), "hb-") {
		t.Fatalf("NewBus defaults: channel %q instance %q, %v", b.Channel(), b.Instance(), err)
	}
}
