package realtime_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hummingbird-dispatch/hummingbird/internal/realtime"
)

func TestPublishFanOutAndUnsubscribe(t *testing.T) {
	h := newHarness(t, context.Background(), realtime.Config{}, nil)
	var clientsA []*websocket.Conn
	var servedA []served
	for range 3 {
		clientsA = append(clientsA, h.dial("?topic=a"))
		servedA = append(servedA, h.accept())
	}
	clientB := h.dial("?topic=b")
	h.accept()
	if n := h.hub.Subscribers("a"); n != 3 {
		t.Fatalf("Subscribers(a) = %d, want 3", n)
	}

	h.hub.Publish("a", []byte("for-a"))
	h.hub.Publish("b", []byte("for-b"))
	for _, c := range clientsA {
		readText(t, c, "for-a")
	}
	readText(t, clientB, "for-b") // per-connection order: no "for-a" before it

	servedA[0].unsub()
	servedA[0].unsub() // idempotent
	h.hub.Publish("a", []byte("second"))
	if err := servedA[0].conn.Send([]byte("direct")); err != nil {
		t.Fatal(err)
	}
	readText(t, clientsA[0], "direct") // "second" would have been queued first
	for _, c := range clientsA[1:] {
		readText(t, c, "second")
	}
	if n := h.hub.Subscribers("a"); n != 2 {
		t.Fatalf("Subscribers(a) = %d after unsubscribe, want 2", n)
	}
}

// sendRecorder wraps a Subscriber and records the errors its Send returns.
type sendRecorder struct {
	s    realtime.Subscriber
	mu   sync.Mutex
	errs []error
}

func (r *sendRecorder) Send(b []byte) error {
	err := r.s.Send(b)
	if err != nil {
		r.mu.Lock()
		r.errs = append(r.errs, err)
		r.mu.Unlock()
	}
	return err
}

func (r *sendRecorder) errors() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

// TestSlowConsumerDropped uses a client that never reads.
func TestSlowConsumerDropped(t *testing.T) {
	h := newHarness(t, context.Background(),
		realtime.Config{SendQueue: 4, WriteWait: 250 * time.Millisecond}, nil)
	h.dial("")
	s := h.accept()
	rec := &sendRecorder{s: s.conn}
	unsub := h.hub.Subscribe("slow", rec)
	defer unsub()

	payload := []byte(strings.Repeat("x", 32<<10))
	const maxPublishes = 100_000
	for i := 0; i < maxPublishes && h.hub.Subscribers("slow") > 0; i++ {
		h.hub.Publish("slow", payload) // must never block
	}

	errs := rec.errors()
	if len(errs) != 1 || !errors.Is(errs[0], realtime.ErrSlowConsumer) {
		t.Fatalf("%d Send errors (first %v), want exactly one ErrSlowConsumer",
			len(errs), errors.Join(errs[:min(len(errs), 1)]...))
	}
	if d := h.hub.Dropped(); d != 1 {
		t.Fatalf("Dropped() = %d, want 1", d)
	}
	if err := h.result(); !errors.Is(err, realtime.ErrSlowConsumer) {
		t.Fatalf("Serve returned %v, want ErrSlowConsumer", err)
	}
	waitDone(t, s.conn)
	if err := s.conn.Send(payload); !errors.Is(err, realtime.ErrClosed) {
		t.Fatalf("Send after drop: %v, want ErrClosed", err)
	}
}

func TestCloseAllAndRegisterAfter(t *testing.T) {
	h := newHarness(t, context.Background(), realtime.Config{}, nil)
	var clients []*websocket.Conn
	for range 3 {
		clients = append(clients, h.dial("?topic=a"))
		h.accept()
	}
	if n := h.hub.Conns(); n != 3 {
		t.Fatalf("Conns() = %d, want 3", n)
	}

	h.hub.CloseAll()
	for _, c := range clients {
		if code, _ := readCloseCode(t, c); code != websocket.CloseGoingAway {
			t.Fatalf("close code %d, want %d", code, websocket.CloseGoingAway)
		}
	}
	for range clients {
		if err := h.result(); !errors.Is(err, realtime.ErrClosed) {
			t.Fatalf("Serve returned %v, want ErrClosed", err)
		}
	}
	if n := h.hub.Conns(); n != 0 {
		t.Fatalf("Conns() = %d after shutdown, want 0", n)
	}
	if n := h.hub.Subscribers("a"); n != 0 {
		t.Fatalf("Subscribers(a) = %d after shutdown, want 0", n)
	}

	late := h.dial("")
	h.accept()
	if code, _ := readCloseCode(t, late); code != websocket.CloseGoingAway {
		t.Fatalf("late conn close code %d, want %d", code, websocket.CloseGoingAway)
	}
	if err := h.result(); !errors.Is(err, realtime.ErrClosed) {
		t.Fatalf("late Serve returned %v, want ErrClosed", err)
	}
}

func TestShutdownWaits(t *testing.T) {
	h := newHarness(t, context.Background(), realtime.Config{}, nil)
	client := h.dial("")
	s := h.accept()
	code := make(chan int, 1)
	go func() { // owned by this test; answers the closing handshake
		c, _ := readCloseCode(t, client)
		code <- c
	}()
	if err := h.hub.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := <-code; c != websocket.CloseGoingAway {
		t.Fatalf("close code %d, want %d", c, websocket.CloseGoingAway)
	}
	select {
	case <-s.conn.Done():
	default:
		t.Fatal("Shutdown returned before the connection was done")
	}
	if err := h.result(); !errors.Is(err, realtime.ErrClosed) {
		t.Fatalf("Serve returned %v, want ErrClosed", err)
	}
}

// fakeSub counts deliveries and fails with err when err is set.
type fakeSub struct {
	n   atomic.Int64
	err error
}

func (f *fakeSub) Send([]byte) error {
	f.n.Add(1)
	return f.err
}

func TestHubPrunesFailingSubscribers(t *testing.T) {
	hub := realtime.NewHub()
	ok, closed, slow := &fakeSub{}, &fakeSub{err: realtime.ErrClosed}, &fakeSub{err: realtime.ErrSlowConsumer}
	other := &fakeSub{}
	hub.Subscribe("t", ok)
	hub.Subscribe("t", closed)
	unsubSlow := hub.Subscribe("t", slow)
	hub.Subscribe("u", other)

	hub.Publish("t", []byte("1"))
	hub.Publish("t", []byte("2"))
	unsubSlow() // already pruned: must be a harmless no-op

	if got := ok.n.Load(); got != 2 {
		t.Errorf("healthy subscriber got %d, want 2", got)
	}
	if c, s := closed.n.Load(), slow.n.Load(); c != 1 || s != 1 {
		t.Errorf("failing subscribers called %d and %d times, want 1 each", c, s)
	}
	if got := other.n.Load(); got != 0 {
		t.Errorf("other topic got %d, want 0", got)
	}
	if d := hub.Dropped(); d != 1 {
		t.Errorf("Dropped() = %d, want 1", d)
	}
	if n := hub.Subscribers("t"); n != 1 {
		t.Errorf("Subscribers(t) = %d, want 1", n)
	}
}

func TestHubSameSubscriberTwice(t *testing.T) {
	hub := realtime.NewHub()
	f := &fakeSub{}
	unsub1 := hub.Subscribe("t", f)
	unsub2 := hub.Subscribe("t", f)
	hub.Publish("t", nil)
	unsub1()
	hub.Publish("t", nil)
	unsub2()
	hub.Publish("t", nil)
	if got := f.n.Load(); got != 3 {
		t.Fatalf("deliveries = %d, want 3", got)
	}
	if n := hub.Subscribers("t"); n != 0 {
		t.Fatalf("Subscribers(t) = %d, want 0", n)
	}
}

func TestHubConcurrentUse(t *testing.T) {
	hub := realtime.NewHub()
	const workers, rounds = 8, 200
	var wg sync.WaitGroup
	for range workers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range rounds {
				f := &fakeSub{}
				unsub := hub.Subscribe("t", f)
				hub.Publish("t", []byte("x"))
				if f.n.Load() == 0 {
					t.Error("subscriber missed a publish made after it subscribed")
				}
				unsub()
			}
		}()
		go func() {
			defer wg.Done()
			for range rounds {
				hub.Publish("t", []byte("y"))
				_ = hub.Subscribers("t")
			}
		}()
	}
	wg.Wait()
	if n := hub.Subscribers("t"); n != 0 {
		t.Fatalf("Subscribers(t) = %d, want 0", n)
	}
}
