package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/internal/store/postgres"
)

// migrateCmd applies the embedded schema migrations to HUMMINGBIRD_POSTGRES_URL, prints
// each one applied and the resulting version, and exits. serve migrates at start too;
// this is for running it as a separate deployment step.
func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if cfg.Store != "postgres" {
		return usageError{errors.New("migrate needs HUMMINGBIRD_STORE=postgres and HUMMINGBIRD_POSTGRES_URL")}
	}
	pg, err := postgres.Open(ctx, cfg.PostgresURL)
	if err != nil {
		return err
	}
	defer pg.Close()
	applied, err := pg.Migrate(ctx)
	if err != nil {
		return err
	}
	for _, a := range applied {
		fmt.Fprintf(stdout, "applied %s (version %d, %v)\n", a.Name, a.Version, a.Duration.Round(time.Microsecond))
	}
	v, err := pg.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema at version %d (%d applied now)\n", v, len(applied))
	return nil
}
