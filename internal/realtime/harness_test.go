package realtime_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/hummingbird-dispatch/hummingbird/internal/realtime"
)

// testTimeout bounds every wait in the tests so that a bug fails the test
// instead of hanging it. It is never used to wait for something to happen.
const testTimeout = 5 * time.Second

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// served is one server-side connection accepted by the harness.
type served struct {
	conn  *realtime.Conn
	unsub func() // unsubscribes from the ?topic= of the request, if any
}

// harness is an httptest.Server whose handler upgrades, registers with hub,
// subscribes to the ?topic= query parameter and serves until the connection
// stops. It reports each accepted Conn on conns and each Serve result on
// results.
type harness struct {
	t       *testing.T
	hub     *realtime.Hub
	cfg     realtime.Config
	ctx     context.Context
	onMsg   func(c *realtime.Conn, b []byte)
	srv     *httptest.Server
	conns   chan served
	results chan error
	wg      sync.WaitGroup
}

func newHarness(t *testing.T, ctx context.Context, cfg realtime.Config,
	onMsg func(c *realtime.Conn, b []byte)) *harness {
	t.Helper()
	h := &harness{
		t:       t,
		hub:     realtime.NewHub(),
		cfg:     cfg,
		ctx:     ctx,
		onMsg:   onMsg,
		conns:   make(chan served, 16),
		results: make(chan error, 16),
	}
	h.srv = httptest.NewServer(http.HandlerFunc(h.handle))
	t.Cleanup(func() {
		h.srv.Close()
		h.hub.CloseAll() // hijacked conns are not closed by srv.Close
		h.wg.Wait()
	})
	return h
}

func (h *harness) handle(w http.ResponseWriter, r *http.Request) {
	h.wg.Add(1)
	defer h.wg.Done()
	up := websocket.Upgrader{}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		h.t.Errorf("upgrade: %v", err)
		return
	}
	c := realtime.NewConn(ws, h.cfg)
	var serveErr error
	defer func() { h.results <- serveErr }() // after unregister below
	defer h.hub.Register(c)()
	unsub := func() {}
	if topic := r.URL.Query().Get("topic"); topic != "" {
		unsub = h.hub.Subscribe(topic, c)
	}
	defer unsub()
	h.conns <- served{conn: c, unsub: unsub}
	serveErr = c.Serve(h.ctx, func(b []byte) {
		if h.onMsg != nil {
			h.onMsg(c, b)
		}
	})
}

// dial connects a client; the client is closed when the test ends.
func (h *harness) dial(query string) *websocket.Conn {
	h.t.Helper()
	url := "ws" + strings.TrimPrefix(h.srv.URL, "http") + "/" + query
	ws, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		h.t.Fatalf("dial %s: %v", url, err)
	}
	_ = resp.Body.Close()
	h.t.Cleanup(func() { _ = ws.Close() })
	_ = ws.SetReadDeadline(time.Now().Add(testTimeout))
	return ws
}

// accept returns the next server-side connection.
func (h *harness) accept() served {
	h.t.Helper()
	select {
	case s := <-h.conns:
		return s
	case <-time.After(testTimeout):
		h.t.Fatal("timed out waiting for a server connection")
		return served{}
	}
}

// result returns the next value returned by Serve.
func (h *harness) result() error {
	h.t.Helper()
	select {
	case err := <-h.results:
		return err
	case <-time.After(testTimeout):
		h.t.Fatal("timed out waiting for Serve to return")
		return nil
	}
}

// waitDone fails the test if c does not stop in time.
func waitDone(t *testing.T, c *realtime.Conn) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(testTimeout):
		t.Fatal("connection did not stop")
	}
}

// readText reads one frame and fails unless it is the text want.
func readText(t *testing.T, ws *websocket.Conn, want string) {
	t.Helper()
	typ, b, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v (want %q)", err, want)
	}
	if typ != websocket.TextMessage || string(b) != want {
		t.Fatalf("read type %d %q, want text %q", typ, b, want)
	}
}

// readCloseCode reads until the connection fails and returns the close code
// the server sent, failing if the error is not a close frame.
func readCloseCode(t *testing.T, ws *websocket.Conn) (int, string) {
	t.Helper()
	for {
		_, _, err := ws.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("read error %v, want a close frame", err)
		}
		return ce.Code, ce.Text
	}
}
