package redis

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A bus message on the wire is one envelope:
//
//	'H' 0x01                      magic and version
//	uvarint n, n bytes            publishing instance id (1 … maxInstance bytes)
//	uvarint m, m bytes            topic (1 … maxTopic bytes)
//	the rest                      payload, verbatim
//
// Binary rather than JSON so the payload (itself JSON, often) is neither escaped nor
// parsed twice; the cost is a few bytes per message.
const (
	envelopeMagic   = 'H'
	envelopeVersion = 1
	maxInstance     = 128
	maxTopic        = 1024
)

// Errors of the bus envelope.
var (
	// ErrTopic is returned by Publish for an empty or too long topic.
	ErrTopic = errors.New("redis: bus topic empty or longer than 1024 bytes")
	// errEnvelope reports a bus message that is not an envelope this version reads.
	errEnvelope = errors.New("redis: malformed bus message")
)

// envelope is one decoded bus message. Its fields alias the decoded buffer.
type envelope struct {
	instance string
	topic    string
	payload  []byte
}

// appendEnvelope appends the envelope of one message to dst. instance and topic must be
// within their limits (checked by the Bus's constructor and Publish).
func appendEnvelope(dst []byte, instance, topic string, payload []byte) []byte {
	dst = append(dst, envelopeMagic, envelopeVersion)
	dst = binary.AppendUvarint(dst, uint64(len(instance)))
	dst = append(dst, instance...)
	dst = binary.AppendUvarint(dst, uint64(len(topic)))
	dst = append(dst, topic...)
	return append(dst, payload...)
}

// envelopeSize is the length appendEnvelope adds.
func envelopeSize(instance, topic string, payload []byte) int {
	return 2 + 2*binary.MaxVarintLen16 + len(instance) + len(topic) + len(payload)
}

// decodeEnvelope reads one envelope from b, which arrives from the network: any input is
// either decoded or rejected with an error wrapping errEnvelope. The payload aliases b.
func decodeEnvelope(b []byte) (envelope, error) {
	if len(b) < 2 || b[0] != envelopeMagic {
		return envelope{}, fmt.Errorf("%w: no magic", errEnvelope)
	}
	if b[1] != envelopeVersion {
		return envelope{}, fmt.Errorf("%w: version %d", errEnvelope, b[1])
	}
	rest := b[2:]
	instance, rest, err := field(rest, maxInstance, "instance")
	if err != nil {
		return envelope{}, err
	}
	topic, rest, err := field(rest, maxTopic, "topic")
	if err != nil {
		return envelope{}, err
	}
	return envelope{instance: string(instance), topic: string(topic), payload: rest}, nil
}

// field reads one length-prefixed field of 1 … limit bytes; the length must be encoded
// in the fewest bytes, so every message has exactly one encoding.
func field(b []byte, limit int, what string) (val, rest []byte, err error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || k != len(binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64), n)) {
		return nil, nil, fmt.Errorf("%w: %s length not a canonical uvarint", errEnvelope, what)
	}
	b = b[k:]
	if n == 0 || n > uint64(limit) || n > uint64(len(b)) {
		return nil, nil, fmt.Errorf("%w: %s length %d", errEnvelope, what, n)
	}
	return b[:n], b[n:], nil
}
