package memory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/idempotency"
)

// sweepEvery is how many Begin calls pass between sweeps that drop records past their
// TTL, so keys that are never reused do not accumulate forever.
const sweepEvery = 1024

// idemKey is one idempotency key within its scope (a merchant).
type idemKey struct{ scope, key string }

// expired reports whether rec may be claimed again at now: it is at least TTL old, or an
// unfinished claim at least ClaimTTL old.
func expired(rec idempotency.Record, now time.Time) bool {
	return !now.Before(rec.CreatedAt.Add(idempotency.TTL)) ||
		(!rec.Done && !now.Before(rec.CreatedAt.Add(idempotency.ClaimTTL)))
}

// Begin claims (scope, key) if it is free or its record has expired at now, saving an
// in-progress record with the fingerprint and CreatedAt = now; otherwise it returns a
// copy of the existing record and claimed = false.
func (s *Store) Begin(_ context.Context, scope, key, fingerprint string, now time.Time) (idempotency.Record, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.idemBegins++
	if s.idemBegins >= sweepEvery {
		s.idemBegins = 0
		for k, rec := range s.idem {
			if expired(rec, now) {
				delete(s.idem, k)
			}
		}
	}
	k := idemKey{scope, key}
	if rec, ok := s.idem[k]; ok && !expired(rec, now) {
		return cloneRecord(rec), false, nil
	}
	rec := idempotency.Record{Fingerprint: fingerprint, CreatedAt: now}
	s.idem[k] = rec
	return rec, true, nil
}

// Finish saves the response (Status, ContentType, Body) of a claimed key and marks it
// done; the fingerprint and creation time of the claim are kept. A key that is not
// claimed is ErrNotFound; one already finished is ErrConflict.
func (s *Store) Finish(_ context.Context, scope, key string, rec idempotency.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := idemKey{scope, key}
	cur, ok := s.idem[k]
	switch {
	case !ok:
		return fmt.Errorf("%w: idempotency key %q not claimed", dispatch.ErrNotFound, key)
	case cur.Done:
		return fmt.Errorf("%w: idempotency key %q already finished", dispatch.ErrConflict, key)
	}
	cur.Done = true
	cur.Status = rec.Status
	cur.ContentType = rec.ContentType
	cur.Body = slices.Clone(rec.Body)
	s.idem[k] = cur
	return nil
}

// Release forgets a claimed, unfinished key so the request can be retried. Releasing a
// free key is a no-op, and so is releasing a finished one: its saved response stays
// for replay.
func (s *Store) Release(_ context.Context, scope, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := idemKey{scope, key}
	if rec, ok := s.idem[k]; ok && !rec.Done {
		delete(s.idem, k)
	}
	return nil
}

func cloneRecord(rec idempotency.Record) idempotency.Record {
	rec.Body = slices.Clone(rec.Body)
	return rec
}
