package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations holds the schema as plain SQL files, numbered 00001_… and applied in order.
//
//go:embed migrations/*.sql
var migrations embed.FS

// Migration lock polling: a server that finds another one migrating checks again every
// migrateLockPoll seconds, for at most migrateLockTries times (five minutes).
const (
	migrateLockPoll  = 1
	migrateLockTries = 300
)

// Applied is one migration that Migrate ran.
type Applied struct {
	Version  int64
	Name     string // the file name, such as 00001_core.sql
	Duration time.Duration
}

// Migrate brings the schema up to the newest embedded migration and returns the ones it
// applied (none when the schema was current). Servers starting at once are safe: goose
// holds a Postgres session advisory lock (one per schema) while it migrates, so one
// applies the migrations and the others wait, then find nothing left to do.
func (s *Store) Migrate(ctx context.Context) ([]Applied, error) {
	p, closeDB, err := s.provider()
	if err != nil {
		return nil, err
	}
	defer closeDB()
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	out := make([]Applied, len(results))
	for i, r := range results {
		out[i] = Applied{Version: r.Source.Version, Name: path.Base(r.Source.Path), Duration: r.Duration}
	}
	return out, nil
}

// SchemaVersion returns the version of the newest migration applied (0: none).
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	p, closeDB, err := s.provider()
	if err != nil {
		return 0, err
	}
	defer closeDB()
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("postgres: schema version: %w", err)
	}
	return v, nil
}

// provider returns a goose provider over the store's pool and a function that releases
// its database/sql handle (the pool stays open).
func (s *Store) provider() (*goose.Provider, func(), error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(s.migrateLock),
		lock.WithLockTimeout(migrateLockPoll, migrateLockTries))
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: migration lock: %w", err)
	}
	db := stdlib.OpenDBFromPool(s.pool)
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	return p, func() { db.Close() }, nil
}
