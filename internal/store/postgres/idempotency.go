package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/idempotency"
)

// sweepEvery is how many Begin calls (per Store) pass between deletions of records past
// their TTL, so keys that are never reused do not accumulate.
const sweepEvery = 1024

// beginTries bounds Begin's retries when a key is released between its failed claim and
// its read (each retry means another request made progress).
const beginTries = 5

// Begin claims (scope, key) if it is free or its record has expired at now, saving an
// in-progress record; otherwise it returns the existing record and claimed = false. The
// claim is one INSERT … ON CONFLICT DO UPDATE … WHERE expired: of concurrent Begins for
// one key exactly one inserts or takes over the row.
func (s *Store) Begin(ctx context.Context, scope, key, fingerprint string, now time.Time) (idempotency.Record, bool, error) {
	if s.idemBegins.Add(1)%sweepEvery == 0 {
		if _, err := s.pool.Exec(ctx, "DELETE FROM idempotency_keys WHERE created_at <= $1",
			now.Add(-idempotency.TTL)); err != nil {
			return idempotency.Record{}, false, mapErr("sweep idempotency keys", err)
		}
	}
	for range beginTries {
		var claimed bool
		err := s.pool.QueryRow(ctx, `INSERT INTO idempotency_keys AS k (scope, key, fingerprint, created_at)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (scope, key) DO UPDATE
			SET fingerprint = EXCLUDED.fingerprint, done = false, status = 0, content_type = '', body = NULL,
				created_at = EXCLUDED.created_at
			WHERE k.created_at <= EXCLUDED.created_at - $5::bigint * interval '1 microsecond'
				OR (NOT k.done AND k.created_at <= EXCLUDED.created_at - $6::bigint * interval '1 microsecond')
			RETURNING true`, scope, key, fingerprint, now, idempotency.TTL.Microseconds(),
			idempotency.ClaimTTL.Microseconds()).Scan(&claimed)
		if err == nil {
			return idempotency.Record{Fingerprint: fingerprint, CreatedAt: now}, true, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return idempotency.Record{}, false, mapErr("claim idempotency key", err)
		}
		// Held by a live record: read it (a new statement sees the holder's commit).
		var rec idempotency.Record
		err = s.pool.QueryRow(ctx, `SELECT fingerprint, done, status, content_type, body, created_at
			FROM idempotency_keys WHERE scope = $1 AND key = $2`, scope, key).
			Scan(&rec.Fingerprint, &rec.Done, &rec.Status, &rec.ContentType, &rec.Body, &rec.CreatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // released in between: try to claim again
		}
		if err != nil {
			return idempotency.Record{}, false, mapErr("idempotency key", err)
		}
		rec.CreatedAt = rec.CreatedAt.UTC()
		return rec, false, nil
	}
	return idempotency.Record{}, false, fmt.Errorf("%w: idempotency key %q claimed and released %d times meanwhile",
		dispatch.ErrConflict, key, beginTries)
}

// Finish saves the response of a claimed key and marks it done, keeping the claim's
// fingerprint and creation time. A key not claimed is ErrNotFound; one already finished
// is ErrConflict.
func (s *Store) Finish(ctx context.Context, scope, key string, rec idempotency.Record) error {
	body := rec.Body
	if body == nil {
		body = []byte{}
	}
	var done bool
	err := s.pool.QueryRow(ctx, `WITH upd AS (
			UPDATE idempotency_keys SET done = true, status = $3, content_type = $4, body = $5
			WHERE scope = $1 AND key = $2 AND NOT done RETURNING false AS was_done)
		SELECT was_done FROM upd
		UNION ALL
		SELECT done FROM idempotency_keys WHERE scope = $1 AND key = $2 AND NOT EXISTS (SELECT 1 FROM upd)`,
		scope, key, rec.Status, rec.ContentType, body).Scan(&done)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%w: idempotency key %q not claimed", dispatch.ErrNotFound, key)
	case err != nil:
		return mapErr("finish idempotency key", err)
	case done:
		return fmt.Errorf("%w: idempotency key %q already finished", dispatch.ErrConflict, key)
	}
	return nil
}

// Release forgets a claimed, unfinished key so the request can be retried. Releasing a
// free or finished key is a no-op: a finished response stays for replay.
func (s *Store) Release(ctx context.Context, scope, key string) error {
	_, err := s.pool.Exec(ctx, "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND NOT done", scope, key)
	return mapErr("release idempotency key", err)
}
