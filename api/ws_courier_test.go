package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/geo"
	"github.com/hummingbird-dispatch/hummingbird/internal/realtime"
)

func TestCourierWSRefusedBeforeUpgrade(t *testing.T) {
	env := newWSEnv(t, wsOptions{})
	_, token := env.newCourier(t, "Kim")
	for _, tc := range []struct {
		name, token, query string
		status             int
		code               string
	}{
		{"no token", "", "", http.StatusUnauthorized, "unauthorized"},
		{"unknown token", "ct_not_a_token", "", http.StatusUnauthorized, "unauthorized"},
		{"bad resume", token, "?resume=-1", http.StatusUnprocessableEntity, "invalid_field"},
		{"non-numeric resume", token, "?resume=abc", http.StatusUnprocessableEntity, "invalid_field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, resp, err := env.dial(t, "/v1/courier/ws"+tc.query, tc.token)
			if !errors.Is(err, websocket.ErrBadHandshake) || c != nil {
				t.Fatalf("dial: %v, want a refused handshake", err)
			}
			checkProblem(t, resp, tc.status, tc.code)
		})
	}
	t.Run("not a websocket request", func(t *testing.T) {
		req, _ := http.NewRequest("GET", env.URL+"/v1/courier/ws", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		checkProblem(t, resp, http.StatusBadRequest, "bad_handshake")
	})
}

func checkProblem(t *testing.T, resp *http.Response, status int, code string) {
	t.Helper()
	if resp == nil {
		t.Fatal("no response")
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var p Problem
	if resp.StatusCode != status || resp.Header.Get("Content-Type") != "application/problem+json" ||
		json.Unmarshal(b, &p) != nil || p.Code != code {
		t.Fatalf("response %d %q %s, want %d problem %s", resp.StatusCode, resp.Header.Get("Content-Type"), b, status, code)
	}
}

func TestCourierWSHelloFirst(t *testing.T) {
	env := newWSEnv(t, wsOptions{})
	id, token := env.newCourier(t, "Kim")
	c, _, err := env.dial(t, "/v1/courier/ws", token)
	if err != nil {
		t.Fatal(err)
	}
	hello := c.read(t)
	if hello.Type != MsgHello || hello.Seq != 0 || hello.Ack != "" || !hello.TS.Equal(testEpoch) {
		t.Fatalf("first frame %+v, want hello at the clock's time without seq", hello)
	}
	var h HelloData
	decodeData(t, hello, &h)
	if h.Courier.ID != id || h.Courier.Kind != courier.Crowd || h.State != courier.Offline ||
		h.Orders == nil || len(h.Orders) != 0 || h.Offers == nil || len(h.Offers) != 0 ||
		!h.ServerTime.Equal(testEpoch) || h.ResumeFrom <= 0 {
		t.Fatalf("hello %s", hello.Data)
	}
	if strings.Contains(string(hello.Data), "token") {
		t.Fatalf("hello leaks a token field: %s", hello.Data)
	}
	c.ok(t, MsgPing, nil)
}

func TestCourierWSLocation(t *testing.T) {
	env := newWSEnv(t, wsOptions{})
	id, token := env.newCourier(t, "Kim")
	c, _ := env.courier(t, token, "")
	index := env.Engine.Index()

	c.fails(t, MsgAvailability, map[string]any{"state": "available"}, "no_position")
	c.ok(t, MsgLocation, env.fix(pickup))
	if ok := c.ok(t, MsgAvailability, map[string]any{"state": "available"}); string(ok.Data) != `{"state":"available"}` {
		t.Fatalf("availability reply %s", ok.Data)
	}
	e, ok := index.Get(id)
	if !ok || e.Pos != pickup || e.State != courier.Available {
		t.Fatalf("index entry %+v %v, want available at %v", e, ok, pickup)
	}

	env.Clock.Advance(10 * time.Second)
	moved := geo.Offset(pickup, 40, 0)
	c.ok(t, MsgLocation, env.fix(moved))
	if e, _ := index.Get(id); e.Pos != moved {
		t.Fatalf("index at %v after a good fix, want %v", e.Pos, moved)
	}

	env.Clock.Advance(time.Second)
	bad := env.fix(moved)
	bad["lat"] = 91
	c.fails(t, MsgLocation, bad, "invalid_coordinates")
	c.fails(t, MsgLocation, env.fix(geo.Offset(moved, 50_000, 0)), "fix_rejected") // 50 km in 1 s
	stale := env.fix(moved)
	stale["at"] = env.Clock.Now().Add(-time.Hour)
	c.fails(t, MsgLocation, stale, "fix_rejected")
	if e, _ := index.Get(id); e.Pos != moved {
		t.Fatalf("index at %v after rejected fixes, want %v", e.Pos, moved)
	}
}

func TestCourierWSMalformedFrames(t *testing.T) {
	env := newWSEnv(t, wsOptions{})
	id, token := env.newCourier(t, "Kim")
	c, _ := env.courier(t, token, "")
	c.ok(t, MsgLocation, env.fix(pickup))
	for _, tc := range []struct {
		frame, ack, code, field string
	}{
		{`not json`, "", "malformed_request", ""},
		{`{"type":"ping"`, "", "malformed_request", ""},
		{`[{"type":"ping"}]`, "", "malformed_request", ""},
		{`null`, "", "malformed_request", ""},
		{`{"type":"ping"} {}`, "", "malformed_request", ""},
		{`{"type":"ping","id":"a1","extra":true}`, "", "malformed_request", ""},
		{`{"Type":"ping","id":"a2"}`, "", "malformed_request", ""},
		{`{"id":"a3"}`, "a3", "malformed_request", ""},
		{`{"type":7,"id":"a4"}`, "a4", "malformed_request", ""},
		{`{"type":"ping","id":""}`, "", "invalid_field", "id"},
		{`{"type":"ping","id":"a5","ts":"yesterday"}`, "a5", "invalid_field", "ts"},
		{`{"type":"teleport","id":"a6"}`, "a6", "unknown_message", ""},
		{`{"type":"hello","id":"a7"}`, "a7", "unknown_message", ""},
		{`{"type":"ping","id":"a8","data":[1]}`, "a8", "invalid_field", "data"},
		{`{"type":"ping","id":"a9","data":{"x":1}}`, "a9", "malformed_request", ""},
		{`{"type":"location","id":"b1"}`, "b1", "invalid_field", "data"},
		{`{"type":"location","id":"b2","data":{"lat":48.85,"at":"2025-03-14T12:00:00Z"}}`, "b2", "invalid_field", "data.lng"},
		{`{"type":"location","id":"b3","data":{"lat":"48","lng":2,"at":"2025-03-14T12:00:00Z"}}`, "b3", "invalid_field", "data.lat"},
		{`{"type":"location","id":"b4","data":{"lat":48.85,"lng":2.35}}`, "b4", "invalid_field", "data.at"},
		{`{"type":"location","id":"b5","data":{"lat":48.85,"lng":2.35,"accuracy":-1,"at":"2025-03-14T12:00:00Z"}}`, "b5", "invalid_field", "data.accuracy"},
		{`{"type":"location","id":"b6","data":{"lat":48.85,"lng":181,"at":"2025-03-14T12:00:00Z"}}`, "b6", "invalid_coordinates", ""},
		{`{"type":"location","id":"b7","data":{"lat":48.85,"lng":2.35,"at":"2025-03-14T12:00:00Z","speed":3}}`, "b7", "malformed_request", ""},
		{`{"type":"availability","id":"c1","data":{"state":"busy"}}`, "c1", "invalid_field", "data.state"},
		{`{"type":"availability","id":"c2","data":{}}`, "c2", "invalid_field", "data.state"},
		{`{"type":"accept","id":"c3","data":{"offer_id":""}}`, "c3", "invalid_field", "data.offer_id"},
		{`{"type":"decline","id":"c4","data":{"offer_id":12}}`, "c4", "invalid_field", "data.offer_id"},
		{`{"type":"picked_up","id":"c5","data":{"offer_id":"x"}}`, "c5", "malformed_request", ""},
		{`{"type":"delivered","id":"c6","data":{"order_id":"o"}}`, "c6", "invalid_field", "data.code"},
	} {
		c.raw(t, []byte(tc.frame))
		env := c.read(t)
		ed := errorFrame(t, env, tc.code)
		if env.Ack != tc.ack || ed.Field != tc.field || env.Seq != 0 {
			t.Errorf("%s: error frame ack %q field %q seq %d, want ack %q field %q", tc.frame, env.Ack, ed.Field, env.Seq, tc.ack, tc.field)
		}
	}
	// Still usable, and nothing changed: the courier is offline at its first fix.
	c.ok(t, MsgPing, nil)
	if _, ok := env.Engine.Index().Get(id); ok {
		t.Fatal("a rejected frame put the courier in the index")
	}
}

func TestCourierWSOversizedFrame(t *testing.T) {
	env := newWSEnv(t, wsOptions{ws: realtime.Config{MaxMessage: 1024}})
	_, token := env.newCourier(t, "Kim")
	c, _ := env.courier(t, token, "")
	c.raw(t, []byte(`{"type":"ping","id":"`+strings.Repeat("x", 2048)+`"}`))
	c.expectClose(t, websocket.CloseMessageTooBig)
}

func TestCourierWSBinaryFrame(t *testing.T) {
	env := newWSEnv(t, wsOptions{})
	_, token := env.newCourier(t, "Kim")
	c, _ := env.courier(t, token, "")
	if err := c.c.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	c.expectClose(t, websocket.CloseUnsupportedData)
}

func TestCourierWSSecondConnectionReplacesFirst(t *testing.T) {
	env := newWSEnv(t, wsOptions{})
	id, token := env.newCourier(t, "Kim")
	first := env.online(t, token, pickup)
	second, hello := env.courier(t, token, "")
	if hello.State != courier.Available {
		t.Fatalf("second hello state %s, want available", hello.State)
	}
	first.expectClose(t, CloseReplaced)
	env.waitFinished(t, "/v1/courier/ws")

	// The replaced connection's exit did not take the courier offline.
	env.Clock.Advance(5 * time.Second)
	second.ok(t, MsgLocation, env.fix(pickup))
	if e, ok := env.Engine.Index().Get(id); !ok || e.State != courier.Available {
		t.Fatalf("index entry %+v %v after the replaced connection ended, want available", e, ok)
	}
}

func TestCourierWSShutdownClosesSockets(t *testing.T) {
	env := newWSEnv(t, wsOptions{})
	_, token := env.newCourier(t, "Kim")
	c, _ := env.courier(t, token, "")
	_ = env.Server.Shutdown(context.Background())
	c.expectClose(t, websocket.CloseGoingAway)
}
