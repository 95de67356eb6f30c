package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// WebSocket side of the black-box tests: a synchronous client that reads frames with a
// deadline and decodes them into the tests' own types.

// frame is one WebSocket text frame as the server sends it.
type frame struct {
	Type string          `json:"type"`
	Seq  int64           `json:"seq"`
	Ack  string          `json:"ack"`
	TS   time.Time       `json:"ts"`
	Data json.RawMessage `json:"data"`
	raw  []byte
}

// decode unmarshals the frame's data into v.
func (f frame) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(f.Data, v); err != nil {
		t.Fatalf("decode %s data %s: %v", f.Type, f.Data, err)
	}
}

func types(fs []frame) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Type
	}
	return out
}

// wsClient is the test's side of one WebSocket, used by the test goroutine only.
type wsClient struct {
	c    *websocket.Conn
	n    int
	seen []frame // every frame read, in order
}

// wsURL turns path into a ws:// URL on the server.
func (s *testServer) wsURL(path string) string {
	return "ws" + strings.TrimPrefix(s.URL, "http") + path
}

// dial opens a WebSocket with an optional bearer token; on a refused handshake it
// returns the HTTP response with its body read.
func (s *testServer) dial(t *testing.T, path, bearer string) (*wsClient, response, error) {
	t.Helper()
	h := http.Header{}
	if bearer != "" {
		h.Set("Authorization", "Bearer "+bearer)
	}
	d := websocket.Dialer{HandshakeTimeout: ioTimeout}
	c, resp, err := d.Dial(s.wsURL(path), h)
	if err != nil {
		var r response
		if resp != nil {
			r.Status, r.Header = resp.StatusCode, resp.Header
			r.Body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		return nil, r, err
	}
	t.Cleanup(func() { _ = c.Close() })
	return &wsClient{c: c}, response{}, nil
}

// mustDial opens a WebSocket that must be accepted.
func (s *testServer) mustDial(t *testing.T, path, bearer string) *wsClient {
	t.Helper()
	c, r, err := s.dial(t, path, bearer)
	if err != nil {
		t.Fatalf("dial %s: %v (status %d, body %s)", path, err, r.Status, r.Body)
	}
	return c
}

// readE reads the next frame within ioTimeout. The envelope is decoded strictly: a
// field the protocol does not define is an error.
func (c *wsClient) readE() (frame, error) {
	_ = c.c.SetReadDeadline(time.Now().Add(ioTimeout))
	typ, b, err := c.c.ReadMessage()
	if err != nil {
		return frame{}, err
	}
	if typ != websocket.TextMessage {
		return frame{}, fmt.Errorf("message type %d, want text", typ)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f frame
	if err := dec.Decode(&f); err != nil {
		return frame{}, fmt.Errorf("decode frame %s: %w", b, err)
	}
	if f.Type == "" || f.TS.IsZero() {
		return frame{}, fmt.Errorf("frame without type or ts: %s", b)
	}
	f.raw = b
	c.seen = append(c.seen, f)
	return f, nil
}

func (c *wsClient) read(t *testing.T) frame {
	t.Helper()
	f, err := c.readE()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return f
}

// expect reads the next frame and checks its type.
func (c *wsClient) expect(t *testing.T, typ string) frame {
	t.Helper()
	f := c.read(t)
	if f.Type != typ {
		t.Fatalf("got %s frame %s, want %s", f.Type, f.Data, typ)
	}
	return f
}

// write sends one raw text frame.
func (c *wsClient) write(t *testing.T, b []byte) {
	t.Helper()
	_ = c.c.SetWriteDeadline(time.Now().Add(ioTimeout))
	if err := c.c.WriteMessage(websocket.TextMessage, b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// call sends a message with a fresh id (data nil: none) and reads up to its reply,
// which it returns with the frames that came before it.
func (c *wsClient) call(t *testing.T, typ string, data any) (reply frame, before []frame) {
	t.Helper()
	c.n++
	id := fmt.Sprintf("m%d", c.n)
	msg := map[string]any{"type": typ, "id": id}
	if data != nil {
		msg["data"] = data
	}
	b, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	c.write(t, b)
	return c.replyTo(t, id)
}

// replyTo reads frames until the ok or error acking id.
func (c *wsClient) replyTo(t *testing.T, id string) (reply frame, before []frame) {
	t.Helper()
	for {
		f := c.read(t)
		if f.Type == "ok" || f.Type == "error" {
			if f.Ack != id {
				t.Fatalf("%s frame acks %q, want %q: %s", f.Type, f.Ack, id, f.Data)
			}
			return f, before
		}
		before = append(before, f)
	}
}

// ok calls and requires an ok reply with no frame before it; it returns the reply.
func (c *wsClient) ok(t *testing.T, typ string, data any) frame {
	t.Helper()
	reply, before := c.call(t, typ, data)
	if len(before) > 0 {
		t.Fatalf("%s: unexpected frames before the reply: %v", typ, types(before))
	}
	if reply.Type != "ok" {
		t.Fatalf("%s: got %s %s, want ok", typ, reply.Type, reply.Data)
	}
	return reply
}

// errorData is the data of an error frame.
type errorData struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field"`
}

// wantError checks that f is an error frame with code.
func wantError(t *testing.T, f frame, code string) errorData {
	t.Helper()
	var ed errorData
	if f.Type == "error" {
		f.decode(t, &ed)
	}
	if f.Type != "error" || ed.Code != code || ed.Message == "" {
		t.Fatalf("got %s %s, want error %s", f.Type, f.Data, code)
	}
	return ed
}

// untilClose reads frames until the connection closes and returns them with the close.
func (c *wsClient) untilClose(t *testing.T) ([]frame, *websocket.CloseError) {
	t.Helper()
	var fs []frame
	for {
		f, err := c.readE()
		if err == nil {
			fs = append(fs, f)
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("read after %v: %v, want a close frame", types(fs), err)
		}
		return fs, ce
	}
}

// courierApp is a courier's phone: a socket plus a GPS whose fixes are 30 s apart,
// starting three minutes ago, so that moving a few hundred metres between two fixes
// is a plausible speed.
type courierApp struct {
	*wsClient
	gps   time.Time
	fixes int
}

func (s *testServer) courierApp(t *testing.T, token string) *courierApp {
	t.Helper()
	return &courierApp{wsClient: s.mustDial(t, "/v1/courier/ws", token), gps: time.Now().Add(-3 * time.Minute)}
}

// fix is the data of a location message at p, each one 30 s after the previous one.
func (a *courierApp) fix(p latLng) map[string]any {
	at := a.gps.Add(time.Duration(a.fixes) * 30 * time.Second)
	a.fixes++
	return map[string]any{"lat": p.Lat, "lng": p.Lng, "accuracy": 5, "at": at.UTC().Format(time.RFC3339Nano)}
}
