package realtime_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hummingbird-dispatch/hummingbird/internal/realtime"
)

func TestEchoInOrder(t *testing.T) {
	const n = 200
	got := make(chan string, n)
	h := newHarness(t, context.Background(), realtime.Config{},
		func(c *realtime.Conn, b []byte) {
			got <- string(b)
			if err := c.Send(b); err != nil {
				t.Errorf("echo Send: %v", err)
			}
		})
	client := h.dial("")
	h.accept()

	for i := range n {
		if err := client.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, "msg-%d", i)); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	for i := range n {
		readText(t, client, fmt.Sprintf("msg-%d", i))
	}
	for i := range n {
		if s, want := <-got, fmt.Sprintf("msg-%d", i); s != want {
			t.Fatalf("onMessage #%d got %q, want %q", i, s, want)
		}
	}

	bye := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye")
	if err := client.WriteControl(websocket.CloseMessage, bye, time.Now().Add(testTimeout)); err != nil {
		t.Fatalf("write close: %v", err)
	}
	err := h.result()
	var ce *websocket.CloseError
	if !errors.Is(err, realtime.ErrPeerClosed) || !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure {
		t.Fatalf("Serve returned %v, want ErrPeerClosed wrapping close 1000", err)
	}
}

func TestOversizedFrameCloses1009(t *testing.T) {
	const limit = 16
	h := newHarness(t, context.Background(), realtime.Config{MaxMessage: limit},
		func(c *realtime.Conn, b []byte) { _ = c.Send(b) })
	client := h.dial("")
	s := h.accept()

	atLimit := strings.Repeat("a", limit)
	if err := client.WriteMessage(websocket.TextMessage, []byte(atLimit)); err != nil {
		t.Fatal(err)
	}
	readText(t, client, atLimit) // exactly MaxMessage is accepted

	if err := client.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("b", limit+1))); err != nil {
		t.Fatal(err)
	}
	if code, _ := readCloseCode(t, client); code != websocket.CloseMessageTooBig {
		t.Fatalf("close code %d, want %d", code, websocket.CloseMessageTooBig)
	}
	_ = client.Close() // as a browser would; ends the server's drain of the frame
	if err := h.result(); !errors.Is(err, realtime.ErrMessageTooBig) {
		t.Fatalf("Serve returned %v, want ErrMessageTooBig", err)
	}
	waitDone(t, s.conn)
}

func TestBinaryFrameCloses1003(t *testing.T) {
	called := make(chan []byte, 1)
	h := newHarness(t, context.Background(), realtime.Config{},
		func(_ *realtime.Conn, b []byte) { called <- b })
	client := h.dial("")
	h.accept()

	if err := client.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if code, _ := readCloseCode(t, client); code != websocket.CloseUnsupportedData {
		t.Fatalf("close code %d, want %d", code, websocket.CloseUnsupportedData)
	}
	if err := h.result(); !errors.Is(err, realtime.ErrUnsupportedData) {
		t.Fatalf("Serve returned %v, want ErrUnsupportedData", err)
	}
	select {
	case b := <-called:
		t.Fatalf("onMessage called with binary payload %v", b)
	default:
	}
}

// TestMissingPong uses a client that never reads, so it never answers pings.
func TestMissingPong(t *testing.T) {
	const pongWait = 200 * time.Millisecond
	h := newHarness(t, context.Background(),
		realtime.Config{PongWait: pongWait, WriteWait: 100 * time.Millisecond}, nil)
	start := time.Now()
	h.dial("")
	s := h.accept()

	if err := h.result(); !errors.Is(err, realtime.ErrPongTimeout) {
		t.Fatalf("Serve returned %v, want ErrPongTimeout", err)
	}
	if elapsed := time.Since(start); elapsed < pongWait {
		t.Fatalf("stopped after %v, before PongWait %v", elapsed, pongWait)
	}
	waitDone(t, s.conn)
}

// TestPongsKeepAlive is the control for TestMissingPong: a client that
// answers pings outlives several PongWaits.
func TestPongsKeepAlive(t *testing.T) {
	const pongWait, pingPeriod = 300 * time.Millisecond, 60 * time.Millisecond
	h := newHarness(t, context.Background(),
		realtime.Config{PongWait: pongWait, PingPeriod: pingPeriod}, nil)
	client := h.dial("")
	s := h.accept()

	pings := make(chan struct{}, 64)
	client.SetPingHandler(func(data string) error {
		select {
		case pings <- struct{}{}:
		default:
		}
		return client.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(testTimeout))
	})
	readErr := make(chan error, 1)
	go func() { // owned by this test: ends when the connection closes
		_, _, err := client.ReadMessage()
		readErr <- err
	}()

	start := time.Now()
	for received := 0; time.Since(start) < 2*pongWait || received < 3; received++ {
		select {
		case <-pings:
		case <-s.conn.Done():
			t.Fatalf("connection stopped after %d pings: %v", received, h.result())
		case <-time.After(testTimeout):
			t.Fatal("no ping from server")
		}
	}
	select {
	case <-s.conn.Done():
		t.Fatalf("connection stopped despite pongs: %v", h.result())
	default:
	}

	s.conn.Close(websocket.CloseNormalClosure, "")
	if err := h.result(); !errors.Is(err, realtime.ErrClosed) {
		t.Fatalf("Serve returned %v, want ErrClosed", err)
	}
	if err := <-readErr; !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Fatalf("client read %v, want close 1000", err)
	}
}

func TestContextCancelStopsServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := newHarness(t, ctx, realtime.Config{}, nil)
	client := h.dial("")
	s := h.accept()

	cancel()
	if code, _ := readCloseCode(t, client); code != websocket.CloseGoingAway {
		t.Fatalf("close code %d, want %d", code, websocket.CloseGoingAway)
	}
	err := h.result()
	if !errors.Is(err, context.Canceled) || !errors.Is(err, realtime.ErrClosed) {
		t.Fatalf("Serve returned %v, want ErrClosed wrapping context.Canceled", err)
	}
	waitDone(t, s.conn)
}

func TestCloseConcurrentAndIdempotent(t *testing.T) {
	h := newHarness(t, context.Background(), realtime.Config{}, nil)
	client := h.dial("")
	s := h.accept()

	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			s.conn.Close(4000, "bye")
			if err := s.conn.Send([]byte("late")); !errors.Is(err, realtime.ErrClosed) {
				t.Errorf("Send after Close: %v, want ErrClosed", err)
			}
		}()
	}
	close(start)
	code, text := readCloseCode(t, client)
	if code != 4000 || text != "bye" {
		t.Fatalf("close %d %q, want 4000 \"bye\"", code, text)
	}
	if err := h.result(); !errors.Is(err, realtime.ErrClosed) {
		t.Fatalf("Serve returned %v, want ErrClosed", err)
	}
	wg.Wait()
	if err := s.conn.Serve(context.Background(), nil); !errors.Is(err, realtime.ErrAlreadyServing) {
		t.Fatalf("second Serve returned %v, want ErrAlreadyServing", err)
	}
}

// TestCloseFromOnMessage closes from the reader goroutine itself, with a
// reason too long for a control frame.
func TestCloseFromOnMessage(t *testing.T) {
	h := newHarness(t, context.Background(), realtime.Config{},
		func(c *realtime.Conn, b []byte) {
			c.Close(4001, strings.Repeat("é", 100)) // 200 bytes
			c.Close(4002, "ignored: only the first stop counts")
		})
	client := h.dial("")
	h.accept()

	if err := client.WriteMessage(websocket.TextMessage, []byte("quit")); err != nil {
		t.Fatal(err)
	}
	code, text := readCloseCode(t, client)
	if code != 4001 || text != strings.Repeat("é", 61) {
		t.Fatalf("close %d %q (%d bytes), want 4001 and 61 runes", code, text, len(text))
	}
	if err := h.result(); !errors.Is(err, realtime.ErrClosed) {
		t.Fatalf("Serve returned %v, want ErrClosed", err)
	}
}
