package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/idempotency"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Store(t, func(t *testing.T) dispatch.Store { return newStore(t) })
}

func TestIdempotency(t *testing.T) {
	storetest.Idempotency(t, func(t *testing.T) idempotency.Store { return newStore(t) })
}

// A second Migrate finds nothing to do; the schema is at the newest version.
func TestMigrateTwice(t *testing.T) {
	s := openIn(t, newSchema(t))
	ctx := context.Background()
	if v, err := s.SchemaVersion(ctx); err != nil || v != 0 {
		t.Fatalf("empty schema at version %d (err %v), want 0", v, err)
	}
	first, err := s.Migrate(ctx)
	if err != nil || len(first) == 0 || first[0].Version != 1 || first[0].Name != "00001_core.sql" {
		t.Fatalf("first migrate: %+v, %v", first, err)
	}
	again, err := s.Migrate(ctx)
	if err != nil || len(again) != 0 {
		t.Fatalf("second migrate applied %+v (err %v), want nothing", again, err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != first[len(first)-1].Version {
		t.Fatalf("version %d (err %v), want %d", v, err, first[len(first)-1].Version)
	}
}

// Three servers migrating one schema at once: the session lock lets one apply each
// migration and the others find it done, so none fails and each migration is applied
// once.
func TestMigrateConcurrent(t *testing.T) {
	schema := newSchema(t)
	const servers = 3
	applied := make([]int, servers)
	errs := make([]error, servers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range servers {
		s := openIn(t, schema)
		wg.Go(func() {
			<-start
			res, err := s.Migrate(context.Background())
			applied[i], errs[i] = len(res), err
		})
	}
	close(start)
	wg.Wait()
	total := 0
	for i := range servers {
		if errs[i] != nil {
			t.Fatalf("server %d: %v", i, errs[i])
		}
		total += applied[i]
	}
	s := openIn(t, schema)
	var rows int
	if err := s.Pool().QueryRow(context.Background(),
		"SELECT count(*) FROM goose_db_version WHERE version_id > 0").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if total != rows || rows == 0 {
		t.Fatalf("servers applied %d migrations in all, the version table has %d rows", total, rows)
	}
}
