package postgres_test

import (
	"context"
	"testing"

	"github.com/hummingbird-dispatch/hummingbird/internal/store/postgres"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/postgres/pgtest"
	"github.com/hummingbird-dispatch/hummingbird/internal/testenv"
)

// newSchema creates an empty schema for the test (see pgtest.Schema).
func newSchema(t testing.TB) string { return pgtest.Schema(t) }

// openIn opens a store on schema, closed when the test ends.
func openIn(t testing.TB, schema string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), testenv.PostgresURL(), postgres.WithSchema(schema))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// newStore returns a migrated store in a fresh schema of its own.
func newStore(t testing.TB) *postgres.Store {
	t.Helper()
	s := openIn(t, newSchema(t))
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

// exec runs raw SQL in the store's schema, bypassing the Store's methods.
func exec(t testing.TB, s *postgres.Store, sql string, args ...any) {
	t.Helper()
	if _, err := s.Pool().Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
