package memory

import (
	"fmt"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/internal/idempotency"
)

// Keys that are never reused are swept once they pass their TTL.
func TestBeginSweepsExpired(t *testing.T) {
	s := New()
	t0 := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	for i := range 100 {
		if _, claimed, err := s.Begin(t.Context(), "mer_a", fmt.Sprint(i), "fp", t0); err != nil || !claimed {
			t.Fatalf("Begin %d: claimed %v, err %v", i, claimed, err)
		}
	}
	later := t0.Add(idempotency.TTL + time.Second)
	for range sweepEvery {
		if _, _, err := s.Begin(t.Context(), "mer_a", "busy", "fp", later); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.idem); n != 1 {
		t.Fatalf("after a sweep %d records remain, want only the live one", n)
	}
}

// Release leaves a finished key alone so its saved response can still be replayed.
func TestReleaseKeepsFinished(t *testing.T) {
	s := New()
	now := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	if _, _, err := s.Begin(t.Context(), "mer_a", "k", "fp", now); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(t.Context(), "mer_a", "k", idempotency.Record{Status: 201, Body: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(t.Context(), "mer_a", "k"); err != nil {
		t.Fatal(err)
	}
	rec, claimed, err := s.Begin(t.Context(), "mer_a", "k", "fp", now)
	if err != nil || claimed || !rec.Done || rec.Status != 201 {
		t.Fatalf("after Release of a finished key: rec %+v, claimed %v, err %v", rec, claimed, err)
	}
}
