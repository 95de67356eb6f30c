package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hummingbird-dispatch/hummingbird/internal/store/postgres"
	"github.com/hummingbird-dispatch/hummingbird/internal/testenv"
)

// newSchema creates an empty schema hbtest_<random> on the test server, dropped when the
// test ends, and returns its name. An unreachable server skips the test (fails under
// CI=true).
func newSchema(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, testenv.PostgresURL())
	if err != nil {
		testenv.Unreachable(t, "postgres", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "hbtest_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close(ctx)
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close(ctx)
	})
	return schema
}

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
