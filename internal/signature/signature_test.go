package signature_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/internal/signature"
)

var (
	secretA = []byte("whsec_alpha")
	secretB = []byte("whsec_bravo")
	body    = []byte(`{"id":"evt_1","type":"payment.succeeded"}`)
	t0      = time.Unix(1700000000, 0)
)

// mac computes the v1 hex signature directly with crypto/hmac, independently
// of the package under test.
func mac(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts + "."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func v1Of(secret []byte, t time.Time, body []byte) string {
	return mac(secret, strconv.FormatInt(t.Unix(), 10), body)
}

func TestVerify(t *testing.T) {
	altered := append([]byte(nil), body...)
	altered[len(altered)-2] ^= 0x01

	tests := []struct {
		name    string
		secrets [][]byte
		tol     time.Duration
		header  string
		body    []byte
		now     time.Time
		want    error
	}{
		{
			name:    "round trip",
			secrets: [][]byte{secretA},
			header:  signature.Sign(secretA, t0, body),
			body:    body, now: t0,
		},
		{
			name:    "round trip with sub-second sign and verify times",
			secrets: [][]byte{secretA},
			header:  signature.Sign(secretA, t0.Add(900*time.Millisecond), body),
			body:    body, now: t0.Add(5 * time.Second),
		},
		{
			name:    "empty body",
			secrets: [][]byte{secretA},
			header:  signature.Sign(secretA, t0, nil),
			body:    nil, now: t0,
		},
		{
			name:    "body altered by one byte",
			secrets: [][]byte{secretA},
			header:  signature.Sign(secretA, t0, body),
			body:    altered, now: t0,
			want: signature.ErrMismatch,
		},
		{
			name:    "body with trailing byte",
			secrets: [][]byte{secretA},
			header:  signature.Sign(secretA, t0, body),
			body:    append(append([]byte(nil), body...), '\n'), now: t0,
			want: signature.ErrMismatch,
		},
		{
			name:    "wrong secret",
			secrets: [][]byte{secretB},
			header:  signature.Sign(secretA, t0, body),
			body:    body, now: t0,
			want: signature.ErrMismatch,
		},
		{
			name:    "timestamp altered",
			secrets: [][]byte{secretA},
			header:  "t=1700000001,v1=" + v1Of(secretA, t0, body),
			body:    body, now: t0,
			want: signature.ErrMismatch,
		},
		{
			name:    "sender rotation: second v1 matches",
			secrets: [][]byte{secretA},
			header:  "t=1700000000,v1=" + v1Of(secretB, t0, body) + ",v1=" + v1Of(secretA, t0, body),
			body:    body, now: t0,
		},
		{
			name:    "sender rotation: no v1 matches",
			secrets: [][]byte{secretA},
			header:  "t=1700000000,v1=" + v1Of(secretB, t0, body) + ",v1=" + v1Of([]byte("other"), t0, body),
			body:    body, now: t0,
			want: signature.ErrMismatch,
		},
		{
			name:    "our rotation: second secret matches",
			secrets: [][]byte{secretA, secretB},
			header:  signature.Sign(secretB, t0, body),
			body:    body, now: t0,
		},
		{
			name:    "our rotation: no secret matches",
			secrets: [][]byte{secretA, secretB},
			header:  signature.Sign([]byte("other"), t0, body),
			body:    body, now: t0,
			want: signature.ErrMismatch,
		},
		{
			name:    "v0 and unknown schemes ignored",
			secrets: [][]byte{secretA},
			header:  "t=1700000000,v0=" + v1Of(secretB, t0, body) + ",v1=" + v1Of(secretA, t0, body) + ",v9=x,foo=",
			body:    body, now: t0,
		},
		{
			name:    "v0 with the right MAC does not count",
			secrets: [][]byte{secretA},
			header:  "t=1700000000,v0=" + v1Of(secretA, t0, body),
			body:    body, now: t0,
			want: signature.ErrNoV1,
		},
		{
			name:    "short v1 ignored, valid v1 used",
			secrets: [][]byte{secretA},
			header:  "t=1700000000,v1=abc,v1=" + v1Of(secretA, t0, body),
			body:    body, now: t0,
		},
		{
			name:    "uppercase hex accepted",
			secrets: [][]byte{secretA},
			header:  "t=1700000000,v1=" + strings.ToUpper(v1Of(secretA, t0, body)),
			body:    body, now: t0,
		},
		{
			name:    "spaces and tabs trimmed",
			secrets: [][]byte{secretA},
			header:  " t = 1700000000 ,\tv1= " + v1Of(secretA, t0, body) + " ",
			body:    body, now: t0,
		},
		{
			name:    "items in any order",
			secrets: [][]byte{secretA},
			header:  "v1=" + v1Of(secretA, t0, body) + ",t=1700000000",
			body:    body, now: t0,
		},
		{
			name:    "stale: now - 301s",
			secrets: [][]byte{secretA},
			header:  signature.Sign(secretA, t0.Add(-301*time.Second), body),
			body:    body, now: t0,
			want: signature.ErrExpired,
		},
		{
			name:    "future beyond tolerance: now + 301s",
			secrets: [][]byte{secretA},
			header:  signature.Sign(secretA, t0.Add(301*time.Second), body),
			body:    body, now: t0,
			want: signature.ErrExpired,
		},
		{
			name:    "past boundary: exactly now - 300s",
			secrets: [][]byte{secretA},
			header:  signature.Sign(secretA, t0.Add(-300*time.Second), body),
			body:    body, now: t0,
		},
		{
			name:    "future boundary: exactly now + 300s",
			secrets: [][]byte{secretA},
			header:  signature.Sign(secretA, t0.Add(300*time.Second), body),
			body:    body, now: t0,
		},
		{
			name:    "past boundary plus one nanosecond",
			secrets: [][]byte{secretA},
			header:  signature.Sign(secretA, t0.Add(-300*time.Second), body),
			body:    body, now: t0.Add(time.Nanosecond),
			want: signature.ErrExpired,
		},
		{
			name:    "future boundary plus one nanosecond",
			secrets: [][]byte{secretA},
			header:  signature.Sign(secretA, t0.Add(300*time.Second), body),
			body:    body, now: t0.Add(-time.Nanosecond),
			want: signature.ErrExpired,
		},
		{
			name:    "future, now has sub-second part inside tolerance",
			secrets: [][]byte{secretA},
			header:  signature.Sign(secretA, t0.Add(300*time.Second), body),
			body:    body, now: t0.Add(500 * time.Millisecond),
		},
		{
			name:    "past, now has sub-second part inside tolerance",
			secrets: [][]byte{secretA},
			header:  signature.Sign(secretA, t0.Add(-299*time.Second), body),
			body:    body, now: t0.Add(999 * time.Millisecond),
		},
		{
			name:    "custom sub-second tolerance",
			secrets: [][]byte{secretA},
			tol:     1500 * time.Millisecond,
			header:  signature.Sign(secretA, t0.Add(-time.Second), body),
			body:    body, now: t0.Add(600 * time.Millisecond),
			want: signature.ErrExpired,
		},
		{
			name:    "custom tolerance: inside",
			secrets: [][]byte{secretA},
			tol:     10 * time.Second,
			header:  signature.Sign(secretA, t0.Add(-10*time.Second), body),
			body:    body, now: t0,
		},
		{
			name:    "custom tolerance: outside",
			secrets: [][]byte{secretA},
			tol:     10 * time.Second,
			header:  signature.Sign(secretA, t0.Add(-11*time.Second), body),
			body:    body, now: t0,
			want: signature.ErrExpired,
		},
		{
			name:    "negative tolerance means default",
			secrets: [][]byte{secretA},
			tol:     -time.Second,
			header:  signature.Sign(secretA, t0.Add(-300*time.Second), body),
			body:    body, now: t0,
		},
		{
			name:    "negative tolerance means default: outside",
			secrets: [][]byte{secretA},
			tol:     -time.Second,
			header:  signature.Sign(secretA, t0.Add(-301*time.Second), body),
			body:    body, now: t0,
			want: signature.ErrExpired,
		},
		{
			name:    "expired takes precedence over mismatch",
			secrets: [][]byte{secretA},
			header:  signature.Sign(secretB, t0.Add(-time.Hour), body),
			body:    body, now: t0,
			want: signature.ErrExpired,
		},
		{
			name:   "huge timestamp does not overflow",
			header: "t=9223372036854775807,v1=" + v1Of(secretA, t0, body),
			body:   body, now: t0, secrets: [][]byte{secretA},
			want: signature.ErrExpired,
		},
		{
			name:   "now far in the past does not overflow",
			header: "t=9223372036854775807,v1=" + v1Of(secretA, t0, body),
			body:   body, now: time.Unix(-1<<62, 0), secrets: [][]byte{secretA},
			want: signature.ErrExpired,
		},
		{
			name:    "no secrets",
			secrets: nil,
			header:  signature.Sign(secretA, t0, body),
			body:    body, now: t0,
			want: signature.ErrMismatch,
		},
		{
			name:    "no secrets, malformed header",
			secrets: [][]byte{},
			header:  "garbage",
			body:    body, now: t0,
			want: signature.ErrMismatch,
		},
		{
			name:    "only an empty secret",
			secrets: [][]byte{{}},
			header:  signature.Sign(nil, t0, body),
			body:    body, now: t0,
			want: signature.ErrMismatch,
		},
		{
			name:    "empty secret never matches even if another is set",
			secrets: [][]byte{nil, secretA},
			header:  signature.Sign(nil, t0, body),
			body:    body, now: t0,
			want: signature.ErrMismatch,
		},
		{
			name:    "empty secret skipped, next secret used",
			secrets: [][]byte{nil, secretA},
			header:  signature.Sign(secretA, t0, body),
			body:    body, now: t0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := signature.Verifier{Secrets: tc.secrets, Tolerance: tc.tol}
			err := v.Verify(tc.header, tc.body, tc.now)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Verify(%q) = %v, want nil", tc.header, err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify(%q) = %v, want %v", tc.header, err, tc.want)
			}
		})
	}
}

func TestSignKnownAnswer(t *testing.T) {
	secret := []byte("whsec_test")
	ts := time.Unix(1700000000, 0)
	payload := []byte(`{"id":"evt_1"}`)

	// Computed here with crypto/hmac, independently of Sign.
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(`1700000000.{"id":"evt_1"}`))
	computed := hex.EncodeToString(m.Sum(nil))
	// Computed outside Go (Python hmac module) as a second, fixed reference.
	const reference = "c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925"
	if computed != reference {
		t.Fatalf("crypto/hmac gives %s, reference is %s", computed, reference)
	}

	tests := []struct {
		name string
		t    time.Time
	}{
		{"whole second", ts},
		{"sub-second part is truncated", ts.Add(999 * time.Millisecond)},
		{"other location", ts.In(time.FixedZone("X", 5*3600))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := signature.Sign(secret, tc.t, payload)
			want := "t=1700000000,v1=" + computed
			if got != want {
				t.Fatalf("Sign = %q, want %q", got, want)
			}
		})
	}
}

func TestVerifyHeaderErrors(t *testing.T) {
	valid := v1Of(secretA, t0, body)
	validHeader := "t=1700000000,v1=" + valid

	// A header that is valid except for its length: padded with ignored
	// v0 items to just over the limit, and one exactly at the limit.
	pad := func(n int) string {
		h := validHeader + ",v0="
		return h + strings.Repeat("a", n-len(h))
	}
	tooLong := pad(signature.MaxHeaderLength + 1)
	atLimit := pad(signature.MaxHeaderLength)

	tests := []struct {
		name   string
		header string
		want   error
	}{
		{"empty", "", signature.ErrMissingHeader},
		{"only spaces", " \t ", signature.ErrMissingHeader},
		{"t empty", "t=", signature.ErrMalformed},
		{"t empty with v1", "t=,v1=" + valid, signature.ErrMalformed},
		{"t missing", "v1=abc", signature.ErrMalformed},
		{"t missing with valid v1", "v1=" + valid, signature.ErrMalformed},
		{"t non-numeric", "t=abc,v1=" + valid, signature.ErrMalformed},
		{"t duplicate", "t=1,t=2,v1=" + valid, signature.ErrMalformed},
		{"t duplicate identical", "t=1700000000,t=1700000000,v1=" + valid, signature.ErrMalformed},
		{"t zero", "t=0,v1=" + valid, signature.ErrMalformed},
		{"t negative", "t=-1700000000,v1=" + valid, signature.ErrMalformed},
		{"t plus sign", "t=+1700000000,v1=" + valid, signature.ErrMalformed},
		{"t leading zero", "t=01700000000,v1=" + valid, signature.ErrMalformed},
		{"t decimal", "t=1700000000.0,v1=" + valid, signature.ErrMalformed},
		{"t hex", "t=0x6553f100,v1=" + valid, signature.ErrMalformed},
		{"t with inner space", "t=1700 000000,v1=" + valid, signature.ErrMalformed},
		{"t overflow", "t=9223372036854775808,v1=" + valid, signature.ErrMalformed},
		{"t way overflow", "t=99999999999999999999999,v1=" + valid, signature.ErrMalformed},
		{"garbage", "garbage", signature.ErrMalformed},
		{"binary garbage", "\x00\xff\x10", signature.ErrMalformed},
		{"item without equals", validHeader + ",v1", signature.ErrMalformed},
		{"empty key", validHeader + ",=x", signature.ErrMalformed},
		{"trailing comma", validHeader + ",", signature.ErrMalformed},
		{"double comma", "t=1700000000,,v1=" + valid, signature.ErrMalformed},
		{"newline separator", "t=1700000000\nv1=" + valid, signature.ErrMalformed},
		{"very long", tooLong, signature.ErrMalformed},
		{"very long garbage", strings.Repeat("x", 100000), signature.ErrMalformed},
		{"no v1", "t=1700000000", signature.ErrNoV1},
		{"only v0", "t=1700000000,v0=" + valid, signature.ErrNoV1},
		{"v1 too short", "t=1700000000,v1=abc", signature.ErrNoV1},
		{"v1 too long", "t=1700000000,v1=" + valid + "00", signature.ErrNoV1},
		{"v1 not hex", "t=1700000000,v1=" + strings.Repeat("g", 64), signature.ErrNoV1},
		{"v1 empty", "t=1700000000,v1=", signature.ErrNoV1},
		{"V1 is not v1", "t=1700000000,V1=" + valid, signature.ErrNoV1},
		{"at length limit is fine", atLimit, nil},
	}
	v := signature.Verifier{Secrets: [][]byte{secretA}}
	sentinels := []error{
		signature.ErrMissingHeader, signature.ErrMalformed, signature.ErrNoV1,
		signature.ErrExpired, signature.ErrMismatch,
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := v.Verify(tc.header, body, t0)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Verify = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify(%.80q) = %v, want %v", tc.header, err, tc.want)
			}
			// Exactly one sentinel must match.
			n := 0
			for _, s := range sentinels {
				if errors.Is(err, s) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("error %v matches %d sentinels, want 1", err, n)
			}
		})
	}
}

func TestHeaderLengthLimit(t *testing.T) {
	if len(signature.Sign(secretA, t0, body)) > signature.MaxHeaderLength {
		t.Fatal("a signed header exceeds MaxHeaderLength")
	}
	if signature.MaxHeaderLength != 8192 {
		t.Fatalf("MaxHeaderLength = %d, want 8192", signature.MaxHeaderLength)
	}
}

// fuzzSecrets are the secrets used by FuzzVerify.
var fuzzSecrets = [][]byte{[]byte("whsec_fuzz_one"), []byte("whsec_fuzz_two")}

func FuzzVerify(f *testing.F) {
	now := t0.Unix()
	one, two := fuzzSecrets[0], fuzzSecrets[1]
	seeds := []string{
		signature.Sign(one, t0, body),
		signature.Sign(two, t0, body),
		signature.Sign(one, t0.Add(-299*time.Second), body),
		signature.Sign(one, t0.Add(-301*time.Second), body),
		"t=1700000000,v1=" + v1Of([]byte("x"), t0, body) + ",v1=" + v1Of(two, t0, body),
		" t = 1700000000 , v0=abc , v1=" + strings.ToUpper(v1Of(one, t0, body)),
		"", "t=", "v1=abc", "t=abc,v1=abc", "t=1,t=2,v1=00", "garbage",
		"t=01700000000,v1=" + v1Of(one, t0, body),
		"t=+1700000000,v1=" + v1Of(one, t0, body),
		"t=9223372036854775808,v1=00",
		"t=1700000000,,v1=" + v1Of(one, t0, body),
		strings.Repeat("t=1,", 3000),
	}
	for _, s := range seeds {
		f.Add(s, body, now)
	}
	f.Add(signature.Sign(one, t0, nil), []byte(nil), now)
	f.Add(signature.Sign(one, t0, body), body, int64(-1<<63))
	f.Add(signature.Sign(one, t0, body), body, int64(1<<63-1))

	v := signature.Verifier{Secrets: fuzzSecrets}
	f.Fuzz(func(t *testing.T, header string, body []byte, nowUnix int64) {
		nowT := time.Unix(nowUnix, 0)
		err := v.Verify(header, body, nowT)
		if err != nil {
			known := false
			for _, s := range []error{
				signature.ErrMissingHeader, signature.ErrMalformed, signature.ErrNoV1,
				signature.ErrExpired, signature.ErrMismatch,
			} {
				known = known || errors.Is(err, s)
			}
			if !known {
				t.Fatalf("Verify returned non-sentinel error %v", err)
			}
			return
		}

		// Verify accepted: independently check that the header really
		// carries a v1 equal to HMAC(secret, "t.body") for some secret and
		// that t is within tolerance.
		var ts string
		var v1s []string
		for _, item := range strings.Split(header, ",") {
			k, val, _ := strings.Cut(item, "=")
			k, val = strings.Trim(k, " \t"), strings.Trim(val, " \t")
			switch k {
			case "t":
				if ts != "" {
					t.Fatalf("accepted header with duplicate t: %q", header)
				}
				ts = val
			case "v1":
				v1s = append(v1s, strings.ToLower(val))
			}
		}
		tv, perr := strconv.ParseInt(ts, 10, 64)
		if perr != nil || tv <= 0 || ts != strconv.FormatInt(tv, 10) {
			t.Fatalf("accepted header with bad t %q: %q", ts, header)
		}
		// |nowUnix - tv| computed in uint64, exact for any two int64 values.
		dist := uint64(nowUnix) - uint64(tv)
		if tv > nowUnix {
			dist = uint64(tv) - uint64(nowUnix)
		}
		if dist > uint64(signature.DefaultTolerance/time.Second) {
			t.Fatalf("accepted t=%d at now=%d, outside tolerance", tv, nowUnix)
		}
		for _, secret := range fuzzSecrets {
			want := mac(secret, ts, body)
			for _, got := range v1s {
				if got == want {
					return
				}
			}
		}
		t.Fatalf("accepted header %q for body %q but no v1 matches any secret", header, body)
	})
}

func ExampleSign() {
	secret := []byte("whsec_example")
	t := time.Unix(1700000000, 0)
	body := []byte(`{"id":"evt_123","type":"payment.succeeded"}`)
	fmt.Println(signature.Sign(secret, t, body))
	// Output: t=1700000000,v1=7a4adcbc4824076aadbb8f8a2c76f32eec70b9553909fa1c9064216007fc1e78
}

func ExampleVerifier_Verify() {
	secret := []byte("whsec_example")
	body := []byte(`{"id":"evt_123"}`)
	sent := time.Unix(1700000000, 0)
	header := signature.Sign(secret, sent, body)

	v := signature.Verifier{Secrets: [][]byte{[]byte("whsec_new"), secret}}
	fmt.Println(v.Verify(header, body, sent.Add(time.Minute)))
	fmt.Println(v.Verify(header, body, sent.Add(10*time.Minute)) != nil)
	fmt.Println(v.Verify(header, []byte(`{"id":"evt_124"}`), sent))
	// Output:
	// <nil>
	// true
	// signature: no signature matches
}
