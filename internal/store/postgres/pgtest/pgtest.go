// Package pgtest gives a test its own Postgres schema on the server internal/testenv
// names, dropped when the test ends. Tests of the Postgres store and of the command that
// opens it share it.
//
// Concurrency: Schema and SchemaURL are safe to call from parallel tests; each call makes
// its own schema.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hummingbird-dispatch/hummingbird/internal/testenv"
)

// Schema creates an empty schema hbtest_<random>, dropped when the test ends, and
// returns its name. An unreachable server skips the test (fails under CI=true).
func Schema(t testing.TB) string {
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

// SchemaURL is Schema as a database URL whose connections work in the new schema.
func SchemaURL(t testing.TB) string {
	t.Helper()
	schema := Schema(t)
	sep := "?"
	if strings.Contains(testenv.PostgresURL(), "?") {
		sep = "&"
	}
	return testenv.PostgresURL() + sep + "search_path=" + schema
}
