package storetest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/internal/idempotency"
)

// idemCase is one subtest of the idempotency.Store suite.
type idemCase struct {
	name string
	run  func(t *testing.T, s idempotency.Store)
}

// Idempotency runs the idempotency.Store conformance suite against stores made by
// newStore (each call returns a fresh, empty store).
func Idempotency(t *testing.T, newStore func(t *testing.T) idempotency.Store) {
	t.Helper()
	for _, c := range idemCases() {
		t.Run(c.name, func(t *testing.T) { c.run(t, newStore(t)) })
	}
}

// begin calls Begin and checks the outcome's claim flag.
func begin(t *testing.T, s idempotency.Store, scope, key, fp string, now time.Time, wantClaimed bool) idempotency.Record {
	t.Helper()
	rec, claimed, err := s.Begin(t.Context(), scope, key, fp, now)
	ok(t, err)
	if claimed != wantClaimed {
		t.Fatalf("Begin(%s, %s) at %v: claimed = %v, want %v (record %+v)", scope, key, now, claimed, wantClaimed, rec)
	}
	return rec
}

// sameRecord fails unless got equals want field by field, the body byte for byte (a nil
// and an empty body are the same) and CreatedAt as an instant.
func sameRecord(t *testing.T, what string, got, want idempotency.Record) {
	t.Helper()
	if got.Fingerprint != want.Fingerprint || got.Done != want.Done || got.Status != want.Status ||
		got.ContentType != want.ContentType || !bytes.Equal(got.Body, want.Body) || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Fatalf("%s:\n got  %+v (body %q)\n want %+v (body %q)", what, got, got.Body, want, want.Body)
	}
}

func idemCases() []idemCase {
	return []idemCase{
		{"ClaimThenInProgress", func(t *testing.T, s idempotency.Store) {
			now := baseTime()
			rec := begin(t, s, "mer_a", "k1", "fp1", now, true)
			inProgress := idempotency.Record{Fingerprint: "fp1", CreatedAt: now}
			sameRecord(t, "claimed record", rec, inProgress)
			// A retry while the first request runs sees it in progress (the caller answers
			// 409), whatever its own fingerprint.
			for _, fp := range []string{"fp1", "fp2"} {
				rec = begin(t, s, "mer_a", "k1", fp, now.Add(time.Second), false)
				sameRecord(t, "in-progress record for "+fp, rec, inProgress)
			}
		}},
		{"FinishThenReplay", func(t *testing.T, s idempotency.Store) {
			now := baseTime()
			begin(t, s, "mer_a", "k1", "fp1", now, true)
			body := []byte("{\"id\":\"ord_1\",\"note\":\"\x00\xff bytes\"}\n")
			ok(t, s.Finish(t.Context(), "mer_a", "k1", idempotency.Record{
				Status: 201, ContentType: "application/json", Body: body,
			}))
			want := idempotency.Record{
				Fingerprint: "fp1", Done: true, Status: 201, ContentType: "application/json",
				Body: bytes.Clone(body), CreatedAt: now,
			}
			body[0] = 'X' // the store must have kept its own copy
			for i := range 2 {
				rec := begin(t, s, "mer_a", "k1", "fp1", now.Add(time.Minute), false)
				sameRecord(t, fmt.Sprintf("replay %d", i), rec, want)
				if len(rec.Body) > 0 {
					rec.Body[0] = 'Y' // nor may it hand out its copy
				}
			}
		}},
		{"ScopesIndependent", func(t *testing.T, s idempotency.Store) {
			now := baseTime()
			begin(t, s, "mer_a", "k1", "fpA", now, true)
			rec := begin(t, s, "mer_b", "k1", "fpB", now, true)
			sameRecord(t, "other scope's claim", rec, idempotency.Record{Fingerprint: "fpB", CreatedAt: now})
			ok(t, s.Finish(t.Context(), "mer_a", "k1", idempotency.Record{Status: 200, Body: []byte("a")}))
			rec = begin(t, s, "mer_b", "k1", "fpB", now, false)
			sameRecord(t, "other scope after finish", rec, idempotency.Record{Fingerprint: "fpB", CreatedAt: now})
			ok(t, s.Release(t.Context(), "mer_b", "k1"))
			rec = begin(t, s, "mer_a", "k1", "fpA", now, false)
			sameRecord(t, "scope after the other's release", rec,
				idempotency.Record{Fingerprint: "fpA", Done: true, Status: 200, Body: []byte("a"), CreatedAt: now})
			begin(t, s, "mer_a", "k2", "fpA", now, true) // another key in the same scope
		}},
		{"Release", func(t *testing.T, s idempotency.Store) {
			now := baseTime()
			begin(t, s, "mer_a", "k1", "fp1", now, true)
			ok(t, s.Release(t.Context(), "mer_a", "k1"))
			later := now.Add(time.Second)
			rec := begin(t, s, "mer_a", "k1", "fp2", later, true)
			sameRecord(t, "record claimed after release", rec, idempotency.Record{Fingerprint: "fp2", CreatedAt: later})
			begin(t, s, "mer_a", "k1", "fp2", later, false)
		}},
		{"Expiry", func(t *testing.T, s idempotency.Store) {
			now := baseTime()
			begin(t, s, "mer_a", "running", "fp1", now, true)
			begin(t, s, "mer_a", "done", "fp1", now, true)
			ok(t, s.Finish(t.Context(), "mer_a", "done", idempotency.Record{Status: 200, Body: []byte("ok")}))
			// A claim whose request never finished holds the key for ClaimTTL only: its
			// server died mid-request.
			begin(t, s, "mer_a", "running", "fp2", now.Add(idempotency.ClaimTTL-time.Second), false)
			abandoned := now.Add(idempotency.ClaimTTL)
			rec := begin(t, s, "mer_a", "running", "fp2", abandoned, true)
			sameRecord(t, "reclaimed abandoned claim", rec, idempotency.Record{Fingerprint: "fp2", CreatedAt: abandoned})
			// A finished record is kept for replay for TTL.
			young := now.Add(idempotency.TTL - time.Minute)
			begin(t, s, "mer_a", "done", "fp2", young, false)
			old := now.Add(idempotency.TTL + time.Minute)
			rec = begin(t, s, "mer_a", "done", "fp2", old, true)
			sameRecord(t, "reclaimed done record", rec, idempotency.Record{Fingerprint: "fp2", CreatedAt: old})
			begin(t, s, "mer_a", "done", "fp3", old.Add(time.Second), false)
		}},
		{"FinishUnclaimed", func(t *testing.T, s idempotency.Store) {
			err := s.Finish(t.Context(), "mer_a", "never", idempotency.Record{Status: 200})
			if err == nil {
				t.Fatal("Finish of a key never claimed: got nil error")
			}
			// The failed Finish must not have created a record.
			begin(t, s, "mer_a", "never", "fp1", baseTime(), true)
			begin(t, s, "mer_a", "released", "fp1", baseTime(), true)
			ok(t, s.Release(t.Context(), "mer_a", "released"))
			if err := s.Finish(t.Context(), "mer_a", "released", idempotency.Record{Status: 200}); err == nil {
				t.Fatal("Finish of a released key: got nil error")
			}
		}},
		{"BeginConcurrent", func(t *testing.T, s idempotency.Store) {
			now := baseTime()
			for round := range rounds {
				key := fmt.Sprintf("race-%d", round)
				claimed := make([]bool, racers)
				errs := make([]error, racers)
				race(func(i int) {
					_, claimed[i], errs[i] = s.Begin(t.Context(), "mer_a", key, fmt.Sprintf("fp%d", i), now)
				})
				winner := -1
				for i := range racers {
					ok(t, errs[i])
					if claimed[i] && winner >= 0 {
						t.Fatalf("round %d: goroutines %d and %d both claimed %s", round, winner, i, key)
					}
					if claimed[i] {
						winner = i
					}
				}
				if winner < 0 {
					t.Fatalf("round %d: no goroutine claimed %s", round, key)
				}
				rec := begin(t, s, "mer_a", key, "fp", now, false)
				sameRecord(t, "record after the race", rec,
					idempotency.Record{Fingerprint: fmt.Sprintf("fp%d", winner), CreatedAt: now})
			}
		}},
	}
}
