package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/hummingbird-dispatch/hummingbird/internal/store/memory"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/postgres/pgtest"
)

func TestLoadConfigPostgresStore(t *testing.T) {
	url := "postgres://hb:secret@db.example:5432/hb?sslmode=require"
	c, err := loadConfig(envOf(map[string]string{"HUMMINGBIRD_STORE": "postgres", "HUMMINGBIRD_POSTGRES_URL": url}))
	if err != nil || c.Store != "postgres" || c.PostgresURL != url {
		t.Fatalf("config %+v, err %v", c, err)
	}
}

// testSchemaURL is a URL of a schema of the test's own (see pgtest.SchemaURL).
func testSchemaURL(t *testing.T) string { return pgtest.SchemaURL(t) }

func TestOpenStores(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	mem, closeMem, err := openStores(ctx, config{Store: "memory"}, log)
	if err != nil {
		t.Fatal(err)
	}
	closeMem()
	if _, ok := mem.Dispatch.(*memory.Store); !ok || mem.Idem != any(mem.Dispatch) || mem.PG != nil {
		t.Fatalf("memory stores: %+v", mem)
	}

	pg, closePG, err := openStores(ctx, config{Store: "postgres", PostgresURL: testSchemaURL(t)}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer closePG()
	if pg.PG == nil || pg.Dispatch != any(pg.PG) || pg.Idem != any(pg.PG) {
		t.Fatalf("postgres stores: %+v", pg)
	}
	// openStores migrated: the schema is current and its tables answer.
	if v, err := pg.PG.SchemaVersion(ctx); err != nil || v < 1 {
		t.Fatalf("schema version %d (err %v) after openStores", v, err)
	}
	if open, err := pg.Dispatch.OpenOrders(ctx); err != nil || len(open) != 0 {
		t.Fatalf("OpenOrders on a new database: %v, %v", open, err)
	}
}

func TestMigrateCommand(t *testing.T) {
	env := envOf(map[string]string{"HUMMINGBIRD_STORE": "postgres", "HUMMINGBIRD_POSTGRES_URL": testSchemaURL(t)})
	var stdout, stderr strings.Builder
	if code := run(context.Background(), []string{"migrate"}, &stdout, &stderr, env); code != 0 {
		t.Fatalf("migrate: exit %d, stderr %q", code, stderr.String())
	}
	if out := stdout.String(); !strings.Contains(out, "applied 00001_core.sql (version 1") || !strings.Contains(out, "schema at version") {
		t.Fatalf("first migrate printed %q", out)
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"migrate"}, &stdout, &stderr, env); code != 0 {
		t.Fatalf("second migrate: exit %d, stderr %q", code, stderr.String())
	}
	if out := stdout.String(); strings.Contains(out, "applied 0") || !strings.Contains(out, "(0 applied now)") {
		t.Fatalf("second migrate printed %q, want nothing applied", out)
	}
	for _, tc := range []struct {
		args []string
		env  func(string) string
	}{
		{[]string{"migrate"}, envOf(nil)}, // the memory store has nothing to migrate
		{[]string{"migrate", "now"}, env},
		{[]string{"migrate", "--force"}, env},
	} {
		var stdout, stderr strings.Builder
		if code := run(context.Background(), tc.args, &stdout, &stderr, tc.env); code != 2 || stderr.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", tc.args, code, stderr.String())
		}
	}
}
