package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/idempotency"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/memory"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/postgres"
)

// stores are the storage backends one node runs on, chosen by HUMMINGBIRD_STORE.
type stores struct {
	Dispatch dispatch.Store
	Idem     idempotency.Store
	// PG is the Postgres store (for leases, fencing and components with their own
	// tables); nil with the memory store.
	PG *postgres.Store
}

// openStores opens the configured backend. With postgres it connects and runs the
// migrations (concurrent servers wait for each other on the migration lock) before
// returning. The returned function closes what was opened; call it after everything
// that uses the stores has stopped.
func openStores(ctx context.Context, cfg config, log *slog.Logger) (stores, func(), error) {
	if cfg.Store != "postgres" {
		m := memory.New()
		return stores{Dispatch: m, Idem: m}, func() {}, nil
	}
	pg, err := postgres.Open(ctx, cfg.PostgresURL)
	if err != nil {
		return stores{}, nil, fmt.Errorf("open store: %w", err)
	}
	applied, err := pg.Migrate(ctx)
	if err != nil {
		pg.Close()
		return stores{}, nil, fmt.Errorf("open store: %w", err)
	}
	for _, a := range applied {
		log.Info("schema migration applied", "version", a.Version, "file", a.Name, "took", a.Duration)
	}
	return stores{Dispatch: pg, Idem: pg, PG: pg}, pg.Close, nil
}
