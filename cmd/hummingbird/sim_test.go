package main

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hummingbird-dispatch/hummingbird/geo"
	"github.com/hummingbird-dispatch/hummingbird/internal/sim"
	"github.com/hummingbird-dispatch/hummingbird/internal/testenv"
)

// deadURL returns a loopback URL where nothing listens (a port just released).
func deadURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// pollUntil checks cond every 50 ms until it holds or within passes; then it fails the
// test with what() appended. The pace only spaces the checks.
func pollUntil(t *testing.T, what string, within time.Duration, cond func() bool, diag func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s\n%s", within, what, diag())
		}
		<-tick.C
	}
}

// TestSimSurvivesDeadURLAndDroppedSockets runs the simulator against one in-process
// server listed after a URL where nothing listens: couriers and merchants must move on
// to the live one. Midway every courier's socket is cut without a close frame; every
// paid order must still be delivered, and no order won by two couriers.
func TestSimSurvivesDeadURLAndDroppedSockets(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a simulated city for about a minute")
	}
	srv := boot(t, nil)
	const orders = 8
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	city := sim.Paris(1) // at half size, so that rides take seconds
	for i := range city.Shops {
		city.Shops[i].Pos = geo.Toward(city.Centre, city.Shops[i].Pos, 0.5)
	}
	s, err := sim.New(ctx, sim.Config{
		City: city, CrowdSpread: 1800, BaseURLs: []string{deadURL(t), srv.URL}, AdminToken: testAdminToken, PaymentSecret: []byte(testPaymentSecret),
		FranchisePerStation: 6, Crowd: 12, OrdersPerMinute: 60, Orders: orders, Prep: time.Second,
		DropoffRadius: 600, PayDelay: time.Second, EveryonePays: true, SpeedFactor: 8, Retry: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(runCtx)
	}()
	defer func() {
		stop()
		<-done
	}()
	diag := func() string {
		c, p, d := s.Ledger().Counts()
		out := []string{"created " + strconv.Itoa(c) + ", paid " + strconv.Itoa(p) + ", delivered " + strconv.Itoa(d)}
		for _, o := range s.Ledger().Orders() {
			if !o.Delivered {
				r := srv.do(t, "GET", "/v1/admin/orders/"+o.ID+"/trace", testAdminToken, nil)
				out = append(out, "not delivered: "+o.ID+" accepted by "+strings.Join(o.Accepted, ",")+": "+string(r.Body))
				for _, c := range o.Accepted {
					r := srv.do(t, "GET", "/v1/admin/couriers/"+c+"/jobs", testAdminToken, nil)
					out = append(out, "courier "+c+": "+string(r.Body))
				}
			}
		}
		return strings.Join(out, "\n")
	}
	pollUntil(t, "half the orders paid", 30*time.Second, func() bool { _, p, _ := s.Ledger().Counts(); return p >= orders/2 }, diag)
	if n := s.DropSockets(); n != 24 {
		t.Fatalf("DropSockets asked %d couriers, want 24", n)
	}
	// A courier may start 1.5 km from the shop and ride 600 m more at 120 km/h.
	pollUntil(t, "every order created, paid and delivered", 90*time.Second, func() bool {
		c, p, d := s.Ledger().Counts()
		return c == orders && p == orders && d == orders
	}, diag)
	for _, o := range s.Ledger().Orders() {
		if o.Doubled() {
			t.Errorf("order %s: accept answered ok to %v", o.ID, o.Accepted)
		}
	}
	stop()
	<-done
	k, err := s.KPI(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if k.Delivered != orders {
		t.Fatalf("server reports %d of %d orders delivered", k.Delivered, orders)
	}
}

// finalLine matches the fault run's verdict.
var finalLine = regexp.MustCompile(`(?m)^orders (\d+), faults (\d+), lost (\d+), double-assigned (\d+), paid→assigned p99 (\d+\.\d)s$`)

// TestSimFaultsSmall runs `hummingbird sim --faults` with 40 orders through three
// instances of the binary built from this tree while the leader is killed, Redis
// restarted empty, every courier socket cut and a follower killed.
func TestSimFaultsSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("a fault run takes about a minute")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		testenv.Unreachable(t, "redis-server", err)
	}
	pg := testenv.PostgresURL()
	ctx, cancel := context.WithTimeout(context.Background(), 115*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(ctx, pg); err != nil {
		testenv.Unreachable(t, "postgres", err)
	} else {
		conn.Close(ctx)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "hummingbird")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var stdout, stderr lockedBuffer
	args := []string{"sim", "--faults", "--orders", "40", "--rate", "60", "--fault-count", "4",
		"--drain", "60s", "--timeout", "100s", "--postgres", pg, "--bin", bin, "--logs", dir}
	code := run(ctx, args, &stdout, &stderr, func(string) string { return "" })
	out := stdout.String()
	m := finalLine.FindAllStringSubmatch(out, -1)
	if len(m) != 1 || !strings.HasSuffix(strings.TrimSpace(out), m[0][0]) {
		t.Fatalf("exit %d; want exactly one final line at the end of stdout:\n%s\nstderr:\n%s", code, out, stderr.String())
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[0][i]); return v }
	t.Logf("%s", m[0][0])
	if code != 0 || n(1) != 40 || n(2) != 4 || n(3) != 0 || n(4) != 0 {
		t.Fatalf("exit %d, %q: want exit 0, 40 orders, 4 faults, none lost or doubled\nstdout:\n%s\nstderr:\n%s",
			code, m[0][0], out, stderr.String())
	}
	for _, f := range []string{"kill leader:", "restart redis empty:", "drop courier sockets:", "kill follower:"} {
		if !strings.Contains(out, f) {
			t.Errorf("no %q among the faults injected:\n%s", f, out)
		}
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal("the run hit the test's deadline")
	}
}
