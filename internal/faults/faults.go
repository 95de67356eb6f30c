// Package faults runs Hummingbird as a small cluster on loopback and breaks it while a
// simulated city (internal/sim) orders and delivers through it: it SIGKILLs the dispatch
// leader and other instances, restarts Redis empty and cuts every courier's socket, then
// drains and counts, from the database and from what the simulated users were told,
// the orders lost and the orders given to two couriers. `hummingbird sim --faults` is its
// command line; docs/faults.md explains every figure.
//
// Concurrency: Run owns everything it starts — a scratch database, one redis-server, the
// instances (child processes of Config.Bin), the simulation's goroutines and one
// goroutine per child process copying its output — and returns only after all of them
// have stopped, on every path (ctx canceled included). Child processes also get SIGKILL
// from the kernel if the run itself dies (Linux).
package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
	"github.com/hummingbird-dispatch/hummingbird/internal/sim"
)

// Config describes one fault run. Zero values take the defaults in brackets.
type Config struct {
	// Bin is the hummingbird executable to start instances from (required).
	Bin string
	// PostgresURL points at a database of a server where the run may create and drop a
	// scratch database (required).
	PostgresURL string
	// Instances is how many instances run at once [3].
	Instances int
	// Orders is how many orders the merchants create [300].
	Orders int
	// Rate is the order rate, per minute of wall time [100].
	Rate float64
	// Faults is how many faults of the plan (see Plan) to inject [len(Plan)]; negative:
	// none.
	Faults int
	// Drain bounds the wait for the last deliveries after the last order [4m].
	Drain time.Duration
	// LeaseTTL is the instances' HUMMINGBIRD_LEASE_TTL [2s].
	LeaseTTL time.Duration
	// Takeover bounds the wait for a new leader after a fault [30s].
	Takeover time.Duration
	// LogDir receives one log file per instance slot and one for Redis [a new temporary
	// directory, kept].
	LogDir string
	// Seed makes the city and the choice of victims repeatable [1].
	Seed uint64
	// Out receives progress lines [io.Discard].
	Out io.Writer
	// Log receives the simulation's diagnostics [discard].
	Log *slog.Logger
}

// Fault kinds, in the words the report uses.
const (
	KillLeader   = "kill leader"
	KillFollower = "kill follower"
	RedisRestart = "restart redis empty"
	DropSockets  = "drop courier sockets"
)

// Plan is the order faults are injected in, spread evenly over the orders.
var Plan = []string{
	KillLeader, RedisRestart, DropSockets, KillFollower, KillLeader, DropSockets,
	RedisRestart, KillLeader, DropSockets, KillFollower, DropSockets,
}

func (c *Config) defaults() error {
	if c.Bin == "" || c.PostgresURL == "" {
		return errors.New("faults: Bin and PostgresURL are required")
	}
	if c.Instances == 0 {
		c.Instances = 3
	}
	if c.Instances < 2 {
		return errors.New("faults: a cluster needs at least 2 instances")
	}
	if c.Orders == 0 {
		c.Orders = 300
	}
	if c.Rate == 0 {
		c.Rate = 100
	}
	if c.Faults == 0 || c.Faults > len(Plan) {
		c.Faults = len(Plan)
	}
	if c.Faults < 0 {
		c.Faults = 0
	}
	if c.Drain == 0 {
		c.Drain = 4 * time.Minute
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = 2 * time.Second
	}
	if c.Takeover == 0 {
		c.Takeover = 30 * time.Second
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Run sets up the scratch database, Redis and the instances, runs the city through them
// while injecting faults, drains, tears everything down and returns the report. An error
// means the run could not complete (the report then holds what was measured so far).
func Run(ctx context.Context, cfg Config) (rep Report, err error) {
	if err := cfg.defaults(); err != nil {
		return rep, err
	}
	redisBin, err := findRedis()
	if err != nil {
		return rep, err
	}
	if cfg.LogDir == "" {
		if cfg.LogDir, err = os.MkdirTemp("", "hummingbird-faults-"); err != nil {
			return rep, err
		}
	} else if err := os.MkdirAll(cfg.LogDir, 0o755); err != nil {
		return rep, err
	}
	rep.LogDir = cfg.LogDir
	start := time.Now()
	say := func(format string, a ...any) {
		fmt.Fprintf(cfg.Out, "[%5.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, a...))
	}
	// Teardown uses its own context: it must happen when ctx is canceled too.
	bg := context.WithoutCancel(ctx)
	db, err := createScratch(ctx, cfg.PostgresURL)
	if err != nil {
		return rep, err
	}
	defer func() {
		if derr := db.drop(bg); derr != nil && err == nil {
			err = fmt.Errorf("drop scratch database %s: %w", db.name, derr)
		}
	}()
	say("scratch database %s; logs in %s", db.name, cfg.LogDir)
	port, err := freePort()
	if err != nil {
		return rep, err
	}
	rds := &redisServer{bin: redisBin, dir: cfg.LogDir, port: port}
	if err := rds.start(ctx); err != nil {
		return rep, err
	}
	defer rds.close()
	say("redis-server on %s", rds.Addr())

	adminToken := dispatch.NewSecret("adm")
	paySecret := dispatch.NewSecret("whsec")
	env := []string{
		"HUMMINGBIRD_STORE=postgres",
		"HUMMINGBIRD_POSTGRES_URL=" + db.url,
		"HUMMINGBIRD_REDIS_ADDR=" + rds.Addr(),
		"HUMMINGBIRD_REDIS_PREFIX=" + strings.TrimPrefix(db.name, "hb_"),
		"HUMMINGBIRD_CLUSTER_SECRET=" + dispatch.NewSecret("cluster"),
		"HUMMINGBIRD_LEASE_TTL=" + cfg.LeaseTTL.String(),
		"HUMMINGBIRD_ADMIN_TOKEN=" + adminToken,
		"HUMMINGBIRD_PAYMENT_SECRETS=" + paySecret,
		// Real time, tightened so that a few hundred orders finish in minutes.
		"HUMMINGBIRD_ROUND=1s",
		"HUMMINGBIRD_OFFER_TTL=10s",
		"HUMMINGBIRD_CROWD_OFFER_TTL=15s",
		"HUMMINGBIRD_FRANCHISE_WINDOW=20s",
		"HUMMINGBIRD_CROWD_STEP=10s",
	}
	cl, err := newCluster(cfg.Instances, cfg.Bin, cfg.LogDir, env, db)
	if err != nil {
		return rep, err
	}
	defer func() {
		if serr := cl.stopAll(); serr != nil && err == nil {
			err = serr
		}
	}()
	for _, s := range cl.slots {
		if err := cl.start(ctx, s); err != nil {
			return rep, err
		}
	}
	lead, l, err := cl.waitLeader(ctx, cfg.Takeover, "")
	if err != nil {
		return rep, err
	}
	say("%d instances up: %s; leader %s (epoch %d)", len(cl.slots), strings.Join(cl.urls(), " "), lead.name, l.epoch)

	// The demo's Paris at half size: shops twice as close to the centre (a few still
	// outside both station zones, for the crowd), so that rides take seconds, not minutes.
	city := sim.Paris(cfg.Seed)
	for i := range city.Shops {
		city.Shops[i].Pos = geo.Toward(city.Centre, city.Shops[i].Pos, 0.5)
	}
	s, err := sim.New(ctx, sim.Config{
		City: city, CrowdSpread: 1800, BaseURLs: cl.urls(), AdminToken: adminToken, PaymentSecret: []byte(paySecret),
		FranchisePerStation: 30, Crowd: 60, FixEvery: 500 * time.Millisecond, OrdersPerMinute: cfg.Rate, Orders: cfg.Orders,
		Prep: 5 * time.Second, DropoffRadius: 800, PayDelay: 4 * time.Second, EveryonePays: true,
		SpeedFactor: 12, Retry: cfg.Takeover, Seed: cfg.Seed, Out: cfg.Out, Log: cfg.Log,
	})
	if err != nil {
		return rep, err
	}
	simCtx, stopSim := context.WithCancel(ctx)
	simDone := make(chan struct{})
	go func() {
		defer close(simDone)
		s.Run(simCtx)
	}()
	defer func() {
		stopSim()
		<-simDone
	}()
	r := &runner{cfg: cfg, cl: cl, rds: rds, sim: s, say: say, rng: rand.New(rand.NewPCG(cfg.Seed, 17))}
	runErr := r.run(ctx)
	stopSim()
	<-simDone
	rep.Faults, rep.FaultLog = len(r.done), r.done
	rep.Retries, rep.Silences, rep.Elapsed = s.Retries(), s.Silences(), time.Since(start)
	if err := rep.account(bg, db, s.Ledger(), s.Holding()); err != nil && runErr == nil {
		runErr = err
	}
	if r.timedOut {
		// Orders stuck: leave each instance's goroutine stacks in its log.
		cl.quitAll()
		rep.Dumped = true
	} else if crashed := cl.crashed(); len(crashed) > 0 {
		rep.Crashed = crashed
		if runErr == nil {
			runErr = fmt.Errorf("instances exited on their own: %s (logs in %s)", strings.Join(crashed, ", "), cfg.LogDir)
		}
	}
	return rep, runErr
}
