// Package postgres is the production implementation of dispatch.Store and
// idempotency.Store on PostgreSQL (pgx v5), with the schema in embedded goose migrations
// and the leases that elect one dispatcher among several servers.
//
// The database, not the Go code, is what keeps the invariants when several servers share
// it: every order write is a compare-and-swap on the order's version inside one
// transaction with its events; an order has at most one active assignment (a partial
// unique index); a payment event id is recorded in the same transaction as the order
// write it causes; a store view made by Fenced writes assignments only while its lease
// still has the epoch it was given. docs/storage.md describes the schema and each
// invariant.
//
// Concurrency: a Store is safe for concurrent use by any number of goroutines and any
// number of processes sharing the database. Each method runs in its own transaction on a
// pooled connection (pgxpool) and is atomic; methods block only on the pool and on row
// locks held by concurrent writers of the same rows, and honour their context. A Store
// starts no goroutine of its own beyond the pool's health check, which Close stops.
// Values are copied in and out; nothing keeps a reference to caller memory.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/idempotency"
)

var (
	_ dispatch.Store    = (*Store)(nil)
	_ idempotency.Store = (*Store)(nil)
)

// Store is a connection pool to one database schema. Open it with Open, call Migrate
// once at start, Close it at shutdown.
type Store struct {
	pool *pgxpool.Pool
	// eventLock is the advisory lock key that serialises appends to order_events so that
	// their ids commit in increasing order; it is derived from the schema.
	eventLock int64
	// migrateLock is the advisory lock key goose holds while migrating this schema.
	migrateLock int64
	// fence, when set, is the lease that assignments written through this view need.
	fence *fence
	// idemBegins counts Begin calls between sweeps of expired idempotency keys.
	idemBegins *atomic.Int64
}

// Option configures Open.
type Option func(*pgxpool.Config)

// WithSchema puts the store's tables in schema (which must exist) by setting the
// connections' search_path; the default is the server's (normally public).
func WithSchema(schema string) Option {
	return func(c *pgxpool.Config) { c.ConnConfig.RuntimeParams["search_path"] = schema }
}

// WithMaxConns caps the pool at n connections (pgxpool's default: max(4, CPUs)).
func WithMaxConns(n int32) Option {
	return func(c *pgxpool.Config) { c.MaxConns = n }
}

// Open connects to the database at url (a postgres:// URL or a key=value DSN) and checks
// that it answers. It does not migrate; call Migrate.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse url: %w", err)
	}
	for _, o := range opts {
		o(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	var schema string
	if err := pool.QueryRow(ctx, "SELECT coalesce(current_schema(), '')").Scan(&schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if schema == "" {
		pool.Close()
		return nil, errors.New("postgres: no schema of the search_path exists")
	}
	return &Store{
		pool:        pool,
		eventLock:   lockKey("hummingbird order_events", schema),
		migrateLock: lockKey("hummingbird migrate", schema),
		idemBegins:  new(atomic.Int64),
	}, nil
}

// Close closes the pool, waiting for connections in use to be returned. Close only the
// Store that Open returned, not its Fenced views.
func (s *Store) Close() { s.pool.Close() }

// Pool returns the connection pool, for components that keep their own tables in the
// same database (such as the webhook outbox).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// lockKey derives a 64-bit advisory lock key from a purpose and a schema, so that
// schemas sharing a database do not contend for each other's locks.
func lockKey(purpose, schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte(purpose + "\x00" + schema))
	return int64(h.Sum64())
}

// SQLSTATE codes the store maps to the domain's errors.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// mapErr turns driver errors into the domain's sentinels, wrapped with what was being
// done: no rows → ErrNotFound, a unique violation → ErrExists, a serialization failure
// or deadlock → ErrConflict. Other errors are wrapped as they are.
func mapErr(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %s", dispatch.ErrNotFound, what)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case codeUniqueViolation:
			return fmt.Errorf("%w: %s (%s)", dispatch.ErrExists, what, pe.ConstraintName)
		case codeSerializationFailure, codeDeadlockDetected:
			return fmt.Errorf("%w: %s: %s", dispatch.ErrConflict, what, pe.Message)
		case codeForeignKeyViolation:
			return fmt.Errorf("%w: %s refers to a missing row (%s)", dispatch.ErrNotFound, what, pe.ConstraintName)
		}
	}
	return fmt.Errorf("postgres: %s: %w", what, err)
}

// inTx runs f in a read-committed transaction, committing if f returns nil and rolling
// back otherwise.
func (s *Store) inTx(ctx context.Context, f func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit
	if err := f(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return mapErr("commit", err)
	}
	return nil
}
