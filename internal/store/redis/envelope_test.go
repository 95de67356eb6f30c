package redis

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	for _, c := range []struct {
		instance, topic string
		payload         []byte
	}{
		{"hb-1", "ops", []byte(`{"type":"order"}`)},
		{"i", "t", nil},
		{strings.Repeat("i", maxInstance), strings.Repeat("t", maxTopic), bytes.Repeat([]byte{0, 0xff}, 5000)},
		{"hb-1", "track:ord_ü", []byte("H\x01binary\x00")},
	} {
		b := appendEnvelope(nil, c.instance, c.topic, c.payload)
		if len(b) > envelopeSize(c.instance, c.topic, c.payload) {
			t.Errorf("envelope of %d bytes exceeds envelopeSize", len(b))
		}
		env, err := decodeEnvelope(b)
		if err != nil || env.instance != c.instance || env.topic != c.topic || !bytes.Equal(env.payload, c.payload) {
			t.Errorf("round trip of %q %q: %+v, %v", c.instance, c.topic, env, err)
		}
	}
}

func TestEnvelopeRejects(t *testing.T) {
	valid := appendEnvelope(nil, "hb-1", "ops", []byte("x"))
	for name, b := range map[string][]byte{
		"empty":           nil,
		"json":            []byte(`{"topic":"ops"}`),
		"version 2":       append([]byte{'H', 2}, valid[2:]...),
		"no instance":     {'H', 1},
		"empty instance":  {'H', 1, 0, 3, 'o', 'p', 's'},
		"long instance":   appendEnvelope(nil, strings.Repeat("i", maxInstance+1), "ops", nil),
		"instance cut":    {'H', 1, 9, 'h', 'b'},
		"no topic":        {'H', 1, 1, 'i'},
		"empty topic":     {'H', 1, 1, 'i', 0},
		"long topic":      appendEnvelope(nil, "i", strings.Repeat("t", maxTopic+1), nil),
		"overlong varint": {'H', 1, 0x81, 0x00, 'i', 1, 't'},
		"varint overflow": append([]byte{'H', 1}, bytes.Repeat([]byte{0xff}, 11)...),
	} {
		if _, err := decodeEnvelope(b); !errors.Is(err, errEnvelope) {
			t.Errorf("%s: %v, want errEnvelope", name, err)
		}
	}
}

// FuzzDecodeEnvelope feeds the decoder what the network might: it must never panic, and
// whatever it accepts must encode back to the same bytes.
func FuzzDecodeEnvelope(f *testing.F) {
	f.Add(appendEnvelope(nil, "hb-1", "ops", []byte(`{"type":"order"}`)))
	f.Add(appendEnvelope(nil, "i", "courier:cou_1", nil))
	f.Add([]byte{'H', 1, 0x81, 0x00})
	f.Add([]byte(`{"topic":"ops"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := decodeEnvelope(b)
		if err != nil {
			if !errors.Is(err, errEnvelope) {
				t.Fatalf("error %v does not wrap errEnvelope", err)
			}
			return
		}
		if env.instance == "" || len(env.instance) > maxInstance || env.topic == "" || len(env.topic) > maxTopic {
			t.Fatalf("accepted out-of-bounds fields: %q %q", env.instance, env.topic)
		}
		if again := appendEnvelope(nil, env.instance, env.topic, env.payload); !bytes.Equal(again, b) {
			t.Fatalf("re-encoding gives %x, want %x", again, b)
		}
	})
}
