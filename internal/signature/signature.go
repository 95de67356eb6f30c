// Package signature implements Stripe-compatible webhook signatures.
//
// It is used both to verify incoming payment-provider webhooks and to sign
// outgoing merchant webhooks. A signature header has the form
//
//	Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...][,v0=<...>]
//
// where each v1 value is the lowercase hex encoding of
// HMAC-SHA256(secret, "<t>.<raw body>"). Several v1 values may be present
// (the sender is rotating secrets) and a [Verifier] may hold several secrets
// (we are rotating secrets); a header is valid if any v1 value matches any
// configured secret. Items with other keys (v0, future schemes) are ignored.
//
// Parsing rules enforced by [Verifier.Verify]:
//
//   - The header is split on ','; every item must have the form key=value.
//     Spaces and tabs around items, keys and values are trimmed. Empty items
//     (for example from a trailing comma) and items without '=' or with an
//     empty key are malformed.
//   - Exactly one t item must be present. Its value must be a positive base-10
//     integer written with ASCII digits only: no sign, no leading zeros, and
//     it must fit in an int64.
//   - A v1 value that is not exactly 64 hex digits (either case) is ignored,
//     as if it had an unknown scheme; if no usable v1 value remains, Verify
//     reports [ErrNoV1].
//   - Headers longer than [MaxHeaderLength] bytes are malformed.
//
// Only the standard library is used, and signatures are compared with
// [hmac.Equal] in constant time.
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// HeaderName is the HTTP header that carries the signature.
const HeaderName = "Stripe-Signature"

// DefaultTolerance is the maximum allowed distance between the signed
// timestamp and the verification time when [Verifier.Tolerance] is not set.
const DefaultTolerance = 300 * time.Second

// MaxHeaderLength is the maximum accepted length, in bytes, of a signature
// header. Longer headers are rejected with [ErrMalformed].
const MaxHeaderLength = 8 << 10

// signatureHexLen is the length of a hex-encoded HMAC-SHA256.
const signatureHexLen = 2 * sha256.Size

// Sentinel errors returned (possibly wrapped with detail) by
// [Verifier.Verify]. Test for them with [errors.Is].
var (
	// ErrMissingHeader means the header is empty or only spaces and tabs.
	ErrMissingHeader = errors.New("signature: missing header")
	// ErrMalformed means the header could not be parsed: it is too long,
	// has an item that is not key=value, or has a missing, duplicate or
	// invalid t value.
	ErrMalformed = errors.New("signature: malformed header")
	// ErrNoV1 means the header parsed but contains no usable v1 signature.
	ErrNoV1 = errors.New("signature: no v1 signature")
	// ErrExpired means the timestamp is further than the tolerance from
	// the verification time, in the past or in the future.
	ErrExpired = errors.New("signature: timestamp outside tolerance")
	// ErrMismatch means no v1 signature matches any configured secret,
	// or the verifier has no usable secrets.
	ErrMismatch = errors.New("signature: no signature matches")
)

// Sign returns the header value for body at time t with secret, in the form
// "t=<unix seconds>,v1=<hex>". Sub-second precision of t is discarded.
// Verify only accepts positive timestamps, so t should be after the Unix
// epoch.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(computeMAC(secret, ts, body))
}

// computeMAC returns HMAC-SHA256(secret, ts + "." + body).
func computeMAC(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verifier checks headers against one or more secrets.
//
// The zero value has no secrets and therefore rejects every header with
// [ErrMismatch]. A Verifier is safe for concurrent use as long as its fields
// are not modified.
type Verifier struct {
	// Secrets are the accepted signing secrets; a header is valid if any
	// of its v1 signatures matches any of them. Empty secrets are ignored,
	// since anyone can compute an HMAC under an empty key.
	Secrets [][]byte
	// Tolerance is the maximum allowed |now - t|. Zero or negative means
	// DefaultTolerance. A distance exactly equal to Tolerance is accepted.
	Tolerance time.Duration
}

// Verify checks header for body at time now. It returns nil if the header is
// well formed, its timestamp is within the tolerance of now, and at least one
// of its v1 signatures matches at least one secret. Otherwise it returns an
// error for which errors.Is reports one of the package's sentinel errors.
//
// If v has no usable (non-empty) secrets, Verify returns [ErrMismatch]
// without looking at the header. Otherwise the checks are made in this
// order: [ErrMissingHeader], [ErrMalformed], [ErrNoV1], [ErrExpired],
// [ErrMismatch].
func (v Verifier) Verify(header string, body []byte, now time.Time) error {
	if !v.hasSecret() {
		return fmt.Errorf("%w: no secrets configured", ErrMismatch)
	}
	p, err := parse(header)
	if err != nil {
		return err
	}
	if len(p.v1) == 0 {
		return ErrNoV1
	}

	tol := v.Tolerance
	if tol <= 0 {
		tol = DefaultTolerance
	}
	if !withinTolerance(p.t, now, tol) {
		return fmt.Errorf("%w: t=%d, now=%d, tolerance %v", ErrExpired, p.t, now.Unix(), tol)
	}

	for _, secret := range v.Secrets {
		if len(secret) == 0 {
			continue
		}
		want := computeMAC(secret, p.ts, body)
		for _, sig := range p.v1 {
			if hmac.Equal(want, sig) {
				return nil
			}
		}
	}
	return ErrMismatch
}

// withinTolerance reports whether |now - t| <= tol, where t is in Unix
// seconds and tol > 0. The comparison is exact (now keeps its nanoseconds)
// and cannot overflow for any int64 t and any now: distances are computed
// as unsigned (seconds, nanoseconds) pairs.
func withinTolerance(t int64, now time.Time, tol time.Duration) bool {
	tolS, tolN := uint64(tol/time.Second), uint64(tol%time.Second)
	nowS, nowN := now.Unix(), uint64(now.Nanosecond())
	// |now - t| as (s, n), with n in [0, 1e9).
	var s, n uint64
	if nowS >= t {
		// now - t = (nowS - t) s + nowN ns.
		s, n = uint64(nowS)-uint64(t), nowN
	} else {
		// t - now = (t - nowS) s - nowN ns, with t - nowS >= 1.
		s, n = uint64(t)-uint64(nowS), 0
		if nowN > 0 {
			s, n = s-1, uint64(time.Second)-nowN
		}
	}
	return s < tolS || (s == tolS && n <= tolN)
}

// hasSecret reports whether v has at least one non-empty secret.
func (v Verifier) hasSecret() bool {
	for _, s := range v.Secrets {
		if len(s) > 0 {
			return true
		}
	}
	return false
}

// parsed is a syntactically valid header.
type parsed struct {
	t  int64    // timestamp, > 0
	ts string   // timestamp exactly as signed (canonical decimal form of t)
	v1 [][]byte // decoded v1 signatures, each sha256.Size bytes
}

// parse parses a header value according to the rules in the package
// documentation.
func parse(header string) (parsed, error) {
	var p parsed
	if len(header) > MaxHeaderLength {
		return p, fmt.Errorf("%w: header is %d bytes, limit %d", ErrMalformed, len(header), MaxHeaderLength)
	}
	if trimSpace(header) == "" {
		return p, ErrMissingHeader
	}
	haveT := false
	for i, item := range strings.Split(header, ",") {
		item = trimSpace(item)
		if item == "" {
			return p, fmt.Errorf("%w: empty item %d", ErrMalformed, i)
		}
		key, value, ok := strings.Cut(item, "=")
		if !ok {
			return p, fmt.Errorf("%w: item %d is not key=value", ErrMalformed, i)
		}
		key, value = trimSpace(key), trimSpace(value)
		switch key {
		case "":
			return p, fmt.Errorf("%w: item %d has an empty key", ErrMalformed, i)
		case "t":
			if haveT {
				return p, fmt.Errorf("%w: duplicate t", ErrMalformed)
			}
			t, err := parseTimestamp(value)
			if err != nil {
				return p, err
			}
			haveT = true
			p.t, p.ts = t, value
		case "v1":
			if len(value) != signatureHexLen {
				continue // not a SHA-256 signature; ignored by design
			}
			sig, err := hex.DecodeString(value)
			if err != nil {
				continue // not hex; ignored by design
			}
			p.v1 = append(p.v1, sig)
		default:
			// Unknown scheme (v0, ...): ignored.
		}
	}
	if !haveT {
		return p, fmt.Errorf("%w: missing t", ErrMalformed)
	}
	return p, nil
}

// parseTimestamp parses a positive base-10 integer with no sign and no
// leading zeros that fits in an int64.
func parseTimestamp(s string) (int64, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: empty t", ErrMalformed)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%w: t is not a base-10 integer", ErrMalformed)
		}
	}
	if s[0] == '0' {
		return 0, fmt.Errorf("%w: t must be positive without leading zeros", ErrMalformed)
	}
	t, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: t out of range", ErrMalformed)
	}
	return t, nil
}

// trimSpace trims ASCII spaces and tabs from both ends of s.
func trimSpace(s string) string {
	return strings.Trim(s, " \t")
}
