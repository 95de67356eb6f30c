package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
	"github.com/hummingbird-dispatch/hummingbird/internal/realtime"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/memory"
	"github.com/hummingbird-dispatch/hummingbird/internal/testenv"
)

// wsTimeout bounds every wait for a frame: it turns a bug into a failure instead of a
// hang and is never used to let something happen.
const wsTimeout = 5 * time.Second

// wsEnv is a real Server on a loopback port over the memory store and a fake clock,
// with a service area around parisCentre, no station (every order goes straight to the
// crowd) and one merchant. The engine loop does not run: tests call Tick.
type wsEnv struct {
	URL      string
	Server   *Server
	Engine   *dispatch.Engine
	Store    *memory.Store
	Clock    *testClock
	Feed     *Feed
	Hub      *realtime.Hub
	Merchant string
	// finished receives the path of every request whose handler returned; for a
	// WebSocket that is after the connection ended and the engine was told.
	finished chan string
}

type wsOptions struct {
	ws   realtime.Config
	feed FeedConfig
	// admin is the server's admin token (none: the admin API is off).
	admin string
}

func newWSEnv(t testing.TB, opts wsOptions) *wsEnv {
	t.Helper()
	ctx := context.Background()
	clock := testenv.NewClock(testEpoch)
	store := memory.New()
	hub := realtime.NewHub()
	opts.feed.Clock = clock
	feed := NewFeedWith(opts.feed, hub, nil)
	engine := dispatch.New(testEngineConfig, store, clock, feed, nil)
	s := New(Config{WS: opts.ws, AdminToken: opts.admin}, engine, store, store, feed, nil)

	var handlers sync.WaitGroup // hijacked connections outlive httptest's own bookkeeping
	finished := make(chan string, 1024)
	h := s.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		h.ServeHTTP(w, r)
		select {
		case finished <- r.URL.Path:
		default:
		}
	}))
	t.Cleanup(func() {
		_ = s.Shutdown(context.Background())
		srv.Close()
		handlers.Wait()
	})
	if _, err := engine.CreateArea(ctx, dispatch.ServiceArea{Name: "Paris", Polygon: box(parisCentre, 3000)}); err != nil {
		t.Fatal(err)
	}
	m, _, err := engine.CreateMerchant(ctx, "Boulangerie", "")
	if err != nil {
		t.Fatal(err)
	}
	return &wsEnv{URL: srv.URL, Server: s, Engine: engine, Store: store, Clock: clock, Feed: feed, Hub: hub, Merchant: m.ID, finished: finished}
}

// waitFinished waits until a request to path has completed.
func (e *wsEnv) waitFinished(t testing.TB, path string) {
	t.Helper()
	deadline := time.NewTimer(wsTimeout)
	defer deadline.Stop()
	for {
		select {
		case p := <-e.finished:
			if p == path {
				return
			}
		case <-deadline.C:
			t.Fatalf("no request to %s finished", path)
		}
	}
}

// pickup is where every test order is picked up; couriers wait right there.
var pickup = geo.Offset(parisCentre, 100, 0)

// newCourier registers a crowd courier and returns its id and token.
func (e *wsEnv) newCourier(t testing.TB, name string) (id, token string) {
	t.Helper()
	c, tok, err := e.Engine.CreateCourier(context.Background(), courier.Courier{Name: name, Kind: courier.Crowd, Vehicle: courier.Bicycle})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID, tok
}

// paidOrder creates an order and pays it; it is then waiting for the crowd.
func (e *wsEnv) paidOrder(t testing.TB) dispatch.Order {
	t.Helper()
	ctx := context.Background()
	o, err := e.Engine.CreateOrder(ctx, e.Merchant, dispatch.OrderRequest{
		Pickup:     dispatch.Stop{Pos: pickup, Name: "Boulangerie"},
		Dropoff:    dispatch.Stop{Pos: geo.Offset(parisCentre, -600, 400), Name: "Ada", Phone: "+33100000000", Notes: "3rd floor"},
		ValueCents: 1850,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Engine.ApplyPayment(ctx, dispatch.PaymentEvent{ID: "evt_" + o.ID, Kind: dispatch.PaymentSucceeded, OrderID: o.ID, Intent: "pi_" + o.ID}); err != nil {
		t.Fatal(err)
	}
	return e.order(t, o.ID)
}

// order reads an order from the store.
func (e *wsEnv) order(t testing.TB, id string) dispatch.Order {
	t.Helper()
	o, err := e.Store.Order(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// wsURL turns the server URL into a ws:// URL for path.
func (e *wsEnv) wsURL(path string) string { return "ws" + strings.TrimPrefix(e.URL, "http") + path }

// dial opens a WebSocket; token may be empty. The response is returned on failure.
func (e *wsEnv) dial(t testing.TB, path, token string) (*wsClient, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return e.dialHeader(t, path, h)
}

// dialHeader opens a WebSocket with the given request headers.
func (e *wsEnv) dialHeader(t testing.TB, path string, h http.Header) (*wsClient, *http.Response, error) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: wsTimeout}
	c, resp, err := d.Dial(e.wsURL(path), h)
	if err != nil {
		return nil, resp, err
	}
	t.Cleanup(func() { _ = c.Close() })
	return &wsClient{c: c}, resp, nil
}

// courier connects a courier and returns the client and its hello.
func (e *wsEnv) courier(t testing.TB, token, query string) (*wsClient, HelloData) {
	t.Helper()
	c, resp, err := e.dial(t, "/v1/courier/ws"+query, token)
	if err != nil {
		t.Fatalf("dial courier: %v (response %v)", err, resp)
	}
	hello := c.expect(t, MsgHello)
	var h HelloData
	decodeData(t, hello, &h)
	return c, h
}

// online connects a courier, sends a fix at pos and makes it available.
func (e *wsEnv) online(t testing.TB, token string, pos geo.LatLng) *wsClient {
	t.Helper()
	c, _ := e.courier(t, token, "")
	c.ok(t, MsgLocation, e.fix(pos))
	c.ok(t, MsgAvailability, map[string]any{"state": "available"})
	return c
}

// fix is location data at the clock's time.
func (e *wsEnv) fix(p geo.LatLng) map[string]any {
	return map[string]any{"lat": p.Lat, "lng": p.Lng, "accuracy": 5, "at": e.Clock.Now()}
}

// wsClient is the test side of one WebSocket. Its methods must be used by one goroutine
// at a time; the *E variants return errors for use off the test goroutine.
type wsClient struct {
	c  *websocket.Conn
	mu sync.Mutex
	n  int
}

// sendE sends a message of type typ with data (nil: none) and returns its id.
func (c *wsClient) sendE(typ string, data any) (string, error) {
	c.mu.Lock()
	c.n++
	id := fmt.Sprintf("m%d", c.n)
	c.mu.Unlock()
	msg := map[string]any{"type": typ, "id": id}
	if data != nil {
		msg["data"] = data
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return "", err
	}
	return id, c.rawE(b)
}

func (c *wsClient) rawE(b []byte) error {
	_ = c.c.SetWriteDeadline(time.Now().Add(wsTimeout))
	return c.c.WriteMessage(websocket.TextMessage, b)
}

func (c *wsClient) raw(t testing.TB, b []byte) {
	t.Helper()
	if err := c.rawE(b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func (c *wsClient) send(t testing.TB, typ string, data any) string {
	t.Helper()
	id, err := c.sendE(typ, data)
	if err != nil {
		t.Fatalf("send %s: %v", typ, err)
	}
	return id
}

// readE reads the next frame, waiting at most wsTimeout.
func (c *wsClient) readE() (Envelope, error) {
	_ = c.c.SetReadDeadline(time.Now().Add(wsTimeout))
	typ, b, err := c.c.ReadMessage()
	if err != nil {
		return Envelope{}, err
	}
	if typ != websocket.TextMessage {
		return Envelope{}, fmt.Errorf("frame type %d, want text", typ)
	}
	var env Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return Envelope{}, fmt.Errorf("decode %s: %w", b, err)
	}
	if env.Type == "" || env.TS.IsZero() {
		return Envelope{}, fmt.Errorf("frame without type or ts: %s", b)
	}
	return env, nil
}

func (c *wsClient) read(t testing.TB) Envelope {
	t.Helper()
	env, err := c.readE()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return env
}

// expect reads the next frame and checks its type.
func (c *wsClient) expect(t testing.TB, typ string) Envelope {
	t.Helper()
	env := c.read(t)
	if env.Type != typ {
		t.Fatalf("got %s frame %s, want %s", env.Type, env.Data, typ)
	}
	return env
}

// replyE reads frames until the reply to id and returns it with the frames before it.
func (c *wsClient) replyE(id string) (Envelope, []Envelope, error) {
	var before []Envelope
	for {
		env, err := c.readE()
		if err != nil {
			return Envelope{}, before, err
		}
		if env.Ack == id && (env.Type == MsgOK || env.Type == MsgError) {
			return env, before, nil
		}
		if env.Ack != "" {
			return env, before, fmt.Errorf("reply acks %q, want %q", env.Ack, id)
		}
		before = append(before, env)
	}
}

// call sends a message and returns the reply; frames in between must not exist.
func (c *wsClient) call(t testing.TB, typ string, data any) Envelope {
	t.Helper()
	id := c.send(t, typ, data)
	env, before, err := c.replyE(id)
	if err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	if len(before) > 0 {
		t.Fatalf("%s: unexpected frames before the reply: %v", typ, frameTypes(before))
	}
	return env
}

// ok calls and requires an ok reply.
func (c *wsClient) ok(t testing.TB, typ string, data any) Envelope {
	t.Helper()
	env := c.call(t, typ, data)
	if env.Type != MsgOK {
		t.Fatalf("%s: got %s %s, want ok", typ, env.Type, env.Data)
	}
	return env
}

// fails calls and requires an error reply with code.
func (c *wsClient) fails(t testing.TB, typ string, data any, code string) ErrorData {
	t.Helper()
	env := c.call(t, typ, data)
	return errorFrame(t, env, code)
}

// errorFrame checks that env is an error frame with code.
func errorFrame(t testing.TB, env Envelope, code string) ErrorData {
	t.Helper()
	var ed ErrorData
	if env.Type == MsgError {
		decodeData(t, env, &ed)
	}
	if env.Type != MsgError || ed.Code != code || ed.Message == "" {
		t.Fatalf("got %s %s, want error %s", env.Type, env.Data, code)
	}
	return ed
}

// expectClose reads the next frame, which must be the close, and checks its code.
func (c *wsClient) expectClose(t testing.TB, code int) *websocket.CloseError {
	t.Helper()
	env, err := c.readE()
	if err == nil {
		t.Fatalf("got %s frame %s, want close %d", env.Type, env.Data, code)
	}
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("read: %v, want close %d", err, code)
	}
	if ce.Code != code {
		t.Fatalf("close %d %q, want %d", ce.Code, ce.Text, code)
	}
	return ce
}

func decodeData(t testing.TB, env Envelope, v any) {
	t.Helper()
	if err := json.Unmarshal(env.Data, v); err != nil {
		t.Fatalf("decode %s data %s: %v", env.Type, env.Data, err)
	}
}

func frameTypes(envs []Envelope) []string {
	var out []string
	for _, e := range envs {
		out = append(out, e.Type)
	}
	return out
}
