package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/internal/faults"
)

// defaultPostgresURL is where `sim --faults` creates its scratch database when neither
// --postgres nor HUMMINGBIRD_POSTGRES_URL says otherwise.
const defaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// errFaultRun marks a run that completed and found lost or doubled orders.
var errFaultRun = errors.New("orders were lost or double-assigned")

// simCmd runs `hummingbird sim --faults`: a cluster of instances of this executable on
// loopback, a simulated city through them, faults injected, figures printed.
func simCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	withFaults := fs.Bool("faults", false, "inject faults (required: the only mode so far)")
	orders := fs.Int("orders", 300, "orders the merchants create")
	instances := fs.Int("instances", 3, "instances running at once")
	rate := fs.Float64("rate", 100, "orders per minute of wall time")
	count := fs.Int("fault-count", len(faults.Plan), "how many faults of the plan to inject (0: none)")
	pg := fs.String("postgres", "", "Postgres URL where a scratch database is created and dropped (default $HUMMINGBIRD_POSTGRES_URL or "+defaultPostgresURL+")")
	timeout := fs.Duration("timeout", 10*time.Minute, "bound on the whole run")
	drain := fs.Duration("drain", 4*time.Minute, "bound on the wait for the last deliveries")
	bin := fs.String("bin", "", "hummingbird executable to start instances from (default: this one)")
	logs := fs.String("logs", "", "directory for the instances' and Redis's logs (default: a new temporary one)")
	seed := fs.Uint64("seed", 1, "random seed for the city and the victims")
	verbose := fs.Bool("verbose", false, "log the simulated users' failed calls and courier errors to stderr")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if !*withFaults {
		return usageError{errors.New("only the fault run exists so far: hummingbird sim --faults")}
	}
	if *orders < 1 || *instances < 2 || *rate <= 0 || *count < 0 || *timeout <= 0 || *drain <= 0 || fs.NArg() > 0 {
		return usageError{errors.New("need --orders ≥ 1, --instances ≥ 2, --rate > 0, --fault-count ≥ 0, positive --timeout and --drain, no arguments")}
	}
	if *pg == "" {
		*pg = getenv("HUMMINGBIRD_POSTGRES_URL")
	}
	if *pg == "" {
		*pg = defaultPostgresURL
	}
	if *bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find this executable: %w", err)
		}
		*bin = exe
	}
	n := *count
	if n == 0 {
		n = -1 // faults.Config: negative means none
	}
	var log *slog.Logger // nil: faults discards the simulation's diagnostics
	if *verbose {
		log = newLogger(stderr, slog.LevelDebug)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	rep, err := faults.Run(ctx, faults.Config{
		Bin: *bin, PostgresURL: *pg, Instances: *instances, Orders: *orders, Rate: *rate,
		Faults: n, Drain: *drain, LogDir: *logs, Seed: *seed, Out: stdout, Log: log,
	})
	if rep.Orders > 0 || rep.Faults > 0 {
		rep.Print(stdout)
	} else {
		// Nothing measured: still print the verdict line so that scripts find it.
		fmt.Fprintln(stdout, rep.FinalLine())
	}
	if err != nil {
		return fmt.Errorf("fault run did not complete: %w", err)
	}
	if rep.Failed() {
		return errFaultRun
	}
	return nil
}
