package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/sim"
)

func demo(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	duration := fs.Duration("duration", 0, "stop after this wall time and print KPIs (0: run until interrupted)")
	rate := fs.Float64("rate", 3, "orders per simulated minute")
	speed := fs.Float64("speed", 30, "simulated seconds per wall second")
	franchise := fs.Int("franchise", 6, "franchise couriers per station")
	crowd := fs.Int("crowd", 12, "crowd couriers")
	seed := fs.Uint64("seed", 1, "random seed for the city and its choices")
	links := fs.Int("links", 3, "print the tracking links of this many first orders")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if *rate <= 0 || *speed < 1 || *franchise < 0 || *crowd < 0 || *duration < 0 || *franchise+*crowd == 0 || *links < 0 {
		return usageError{fmt.Errorf("need rate > 0, speed ≥ 1, duration ≥ 0, links ≥ 0 and at least one courier")}
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if getenv("HUMMINGBIRD_ADDR") == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	cfg.API.AdminToken = dispatch.NewSecret("adm")
	secret := []byte(dispatch.NewSecret("whsec"))
	cfg.API.PaymentSecrets = [][]byte{secret}
	// The server and the simulator share one accelerated clock; the engine's round runs
	// every two simulated seconds.
	clock := sim.NewScaledClock(*speed)
	cfg.Dispatch.Round = time.Duration(float64(2*time.Second) / *speed)
	log := newLogger(stderr, cfg.LogLevel)
	n, err := newNode(ctx, cfg, clock, log)
	if err != nil {
		return err
	}
	srvCtx, stopServer := context.WithCancel(context.Background())
	srvDone := make(chan error, 1)
	go func() { srvDone <- n.run(srvCtx) }()

	fmt.Fprintf(stdout, "Hummingbird demo at %s (×%.0f time)\n", n.URL(), *speed)
	fmt.Fprintf(stdout, "  ops page:     %s/ops#token=%s\n", n.URL(), cfg.API.AdminToken)
	fmt.Fprintf(stdout, "  ops snapshot: curl -H 'Authorization: Bearer %s' %s/v1/admin/snapshot\n", cfg.API.AdminToken, n.URL())
	fmt.Fprintf(stdout, "  API spec:     %s/v1/openapi.yaml\n", n.URL())
	kpi, runErr := sim.Run(ctx, sim.Config{
		BaseURL: n.URL(), AdminToken: cfg.API.AdminToken, PaymentSecret: secret, Clock: clock,
		FranchisePerStation: *franchise, Crowd: *crowd, OrdersPerMinute: *rate, Duration: *duration,
		Seed: *seed, Links: *links, Out: stdout, Log: log,
	})
	stopServer()
	srvErr := <-srvDone
	if runErr != nil {
		return runErr
	}
	kpi.Print(stdout)
	return srvErr
}
