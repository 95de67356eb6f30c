package api

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// FuzzCourierFrame feeds raw bytes to the courier frame parser and the error rendering
// behind it. It must never panic; a frame it accepts must be a known client message
// with valid contents, and a frame it rejects must map to a client error code (never
// "internal") rendered as a valid error frame.
func FuzzCourierFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"ping","id":"1"}`,
		`{"type":"ping","id":"1","ts":"2025-03-14T12:00:00Z","data":{}}`,
		`{"type":"location","id":"2","data":{"lat":48.85,"lng":2.35,"accuracy":5,"at":"2025-03-14T12:00:00Z"}}`,
		`{"type":"availability","id":"3","data":{"state":"paused"}}`,
		`{"type":"accept","id":"4","data":{"offer_id":"off_1"}}`,
		`{"type":"decline","data":{"offer_id":"off_1"}}`,
		`{"type":"arrived","id":"5","data":{"order_id":"ord_1"}}`,
		`{"type":"picked_up","id":"6","data":{"order_id":"ord_1"}}`,
		`{"type":"delivered","id":"7","data":{"order_id":"ord_1","code":"0427"}}`,
		`{"type":"location","data":{"lat":91,"lng":0,"at":"2025-03-14T12:00:00Z"}}`,
		`{"type":"location","data":{"lat":1e400,"lng":0,"at":"2025-03-14T12:00:00Z"}}`,
		`{"type":"teleport"}`, `{"Type":"ping"}`, `{"type":"ping","x":1}`, `{"type":"ping"}{}`,
		`{"type":null}`, `{"type":"accept","data":null}`, `{"type":"accept","data":"off_1"}`,
		`[]`, `null`, `"ping"`, `{`, ``, "\xff\xfe", `{"type":"ping","id":"\u0000"}`,
	} {
		f.Add([]byte(s))
	}
	known := []string{MsgPing, MsgLocation, MsgAvailability, MsgAccept, MsgDecline, MsgArrived, MsgPickedUp, MsgDelivered}
	clientCodes := []string{"malformed_request", "unknown_message", "invalid_field", "invalid_coordinates"}
	f.Fuzz(func(t *testing.T, b []byte) {
		cmd, err := parseCommand(b)
		if err != nil {
			ed := errorData(err)
			if !slices.Contains(clientCodes, ed.Code) || ed.Message == "" {
				t.Fatalf("%q: error %v renders as %+v", b, err, ed)
			}
			var env Envelope
			out := encodeFrame(MsgError, 0, cmd.id, time.Unix(0, 0), ed)
			if json.Unmarshal(out, &env) != nil || env.Type != MsgError || env.Ack != cmd.id {
				t.Fatalf("%q: error frame %s", b, out)
			}
			if !json.Valid(b) && ed.Code != "malformed_request" {
				t.Fatalf("%q is not JSON but got %s", b, ed.Code)
			}
			return
		}
		if !json.Valid(b) || !slices.Contains(known, cmd.typ) || (cmd.id != "" && !printableASCII(cmd.id)) {
			t.Fatalf("%q accepted as %+v", b, cmd)
		}
		switch cmd.typ {
		case MsgLocation:
			if cmd.fix.Pos.Validate() != nil || cmd.fix.Accuracy < 0 || cmd.fix.At.IsZero() {
				t.Fatalf("%q accepted with fix %+v", b, cmd.fix)
			}
		case MsgAvailability:
			if !cmd.state.Valid() {
				t.Fatalf("%q accepted with state %q", b, cmd.state)
			}
		case MsgAccept, MsgDecline:
			if cmd.offerID == "" || len(cmd.offerID) > maxRefLen {
				t.Fatalf("%q accepted with offer %q", b, cmd.offerID)
			}
		case MsgArrived, MsgPickedUp, MsgDelivered:
			if cmd.orderID == "" || (cmd.typ == MsgDelivered && cmd.code == "") {
				t.Fatalf("%q accepted with order %q code %q", b, cmd.orderID, cmd.code)
			}
		}
	})
}

func TestFrameEnvelopeShape(t *testing.T) {
	ts := time.Date(2025, 3, 14, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))
	got := string(encodeFrame(MsgOK, 0, "m1", ts, noResult{}))
	want := `{"type":"ok","ack":"m1","ts":"2025-03-14T11:00:00.123456789Z","data":{}}`
	if got != want {
		t.Fatalf("ok frame %s, want %s", got, want)
	}
	got = string(encodeFrame(MsgOfferWithdrawn, 42, "", ts, WithdrawnData{OfferID: "off_1", Reason: "taken"}))
	want = `{"type":"offer_withdrawn","seq":42,"ts":"2025-03-14T11:00:00.123456789Z","data":{"offer_id":"off_1","reason":"taken"}}`
	if got != want {
		t.Fatalf("stream frame %s, want %s", got, want)
	}
}
