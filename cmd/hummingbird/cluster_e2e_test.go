package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"

	"github.com/hummingbird-dispatch/hummingbird/internal/signature"
	"github.com/hummingbird-dispatch/hummingbird/internal/testenv"
)

// The cluster tests run real `hummingbird serve` processes sharing one Postgres
// database and one Redis key prefix, each test its own.

// clusterEnv is a fresh database and key prefix, and the environment for serve.
type clusterEnv struct {
	bin string
	env map[string]string
	db  *pgxpool.Pool // the test's own connections to the cluster's database
}

// buildBinary compiles the command once per test run.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "hbbin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "hummingbird")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// newClusterEnv creates the database and prefix and removes both at cleanup.
func newClusterEnv(t *testing.T) *clusterEnv {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, testenv.PostgresURL())
	if err != nil {
		testenv.Unreachable(t, "postgres", err)
	}
	defer admin.Close(ctx)
	rdb := goredis.NewClient(&goredis.Options{Addr: testenv.RedisAddr()})
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		testenv.Unreachable(t, "redis", err)
	}
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	name := randomName("hbcluster_")
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(testenv.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	prefix := randomName("hbtest:")
	t.Cleanup(func() {
		ctx := context.Background()
		if c, err := pgx.Connect(ctx, testenv.PostgresURL()); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			_ = c.Close(ctx)
		}
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		_ = rdb.Close()
	})
	pool, err := pgxpool.New(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close) // before the database is dropped (cleanups run last first)
	return &clusterEnv{bin: bin, db: pool, env: map[string]string{
		"HUMMINGBIRD_ADDR":            "127.0.0.1:0",
		"HUMMINGBIRD_ADMIN_TOKEN":     testAdminToken,
		"HUMMINGBIRD_PAYMENT_SECRETS": testPaymentSecret,
		"HUMMINGBIRD_ROUND":           "50ms",
		"HUMMINGBIRD_STORE":           "postgres",
		"HUMMINGBIRD_POSTGRES_URL":    u.String(),
		"HUMMINGBIRD_REDIS_ADDR":      testenv.RedisAddr(),
		"HUMMINGBIRD_REDIS_PREFIX":    prefix,
		"HUMMINGBIRD_CLUSTER_SECRET":  "cluster-secret-for-the-e2e-test",
		"HUMMINGBIRD_LEASE_TTL":       "2s",
		// The merchant's webhook receiver is on loopback.
		"HUMMINGBIRD_WEBHOOK_ALLOW_PRIVATE": "1",
	}}
}

// proc is one running `hummingbird serve` process.
type proc struct {
	*testServer
	cmd    *exec.Cmd
	stderr *lockedBuffer
	exited chan struct{}
}

// start runs serve and returns once it printed its URL; at cleanup it is stopped with
// SIGTERM (if still running) and must exit cleanly.
func (c *clusterEnv) start(t *testing.T, name string) *proc {
	t.Helper()
	cmd := exec.Command(c.bin, "serve")
	cmd.Env = append(os.Environ(), "HUMMINGBIRD_INSTANCE="+name)
	for k, v := range c.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.exited:
				if code := cmd.ProcessState.ExitCode(); code != 0 {
					t.Errorf("%s exited %d after SIGTERM", name, code)
				}
			case <-time.After(stopTimeout):
				_ = cmd.Process.Kill()
				t.Errorf("%s did not stop within %s of SIGTERM", name, stopTimeout)
			}
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", name, p.stderr)
		}
	})
	select {
	case line := <-lines:
		rest, ok := strings.CutPrefix(line, "hummingbird listening on ")
		if !ok {
			t.Fatalf("%s printed %q first", name, line)
		}
		u, _, _ := strings.Cut(rest, " ")
		transport := &http.Transport{}
		t.Cleanup(transport.CloseIdleConnections)
		p.testServer = &testServer{URL: u, client: &http.Client{Transport: transport, Timeout: ioTimeout}, stop: func() {}}
	case <-p.exited:
		t.Fatalf("%s exited before listening:\n%s", name, p.stderr)
	case <-time.After(bootTimeout):
		t.Fatalf("%s printed nothing within %s", name, bootTimeout)
	}
	return p
}

// leader reads the holder of the dispatch lease from the database.
func (c *clusterEnv) leader(t *testing.T) (holder string, epoch int64) {
	t.Helper()
	err := c.db.QueryRow(context.Background(), "SELECT holder, epoch FROM leases WHERE name = 'dispatch' AND expires_at > now()").Scan(&holder, &epoch)
	if err != nil && err != pgx.ErrNoRows {
		t.Fatal(err)
	}
	return holder, epoch
}

// hookReceiver is a merchant's webhook endpoint on loopback that refuses its first
// request, then records what it gets after checking the signature.
type hookReceiver struct {
	srv    *httptest.Server
	secret []byte

	mu      sync.Mutex
	calls   int
	refused int
	states  map[string]map[int64]string // order id → seq → state
	bad     []string
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{states: map[string]map[int64]string{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.calls++
		if h.calls == 1 {
			h.refused++
			http.Error(w, "down for a moment", http.StatusServiceUnavailable)
			return
		}
		v := signature.Verifier{Secrets: [][]byte{h.secret}}
		if err := v.Verify(r.Header.Get("Hummingbird-Signature"), body, time.Now()); err != nil {
			h.bad = append(h.bad, err.Error())
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		var p struct {
			ID   string `json:"id"`
			Data struct {
				OrderID string `json:"order_id"`
				Seq     int64  `json:"seq"`
				Event   struct {
					Type  string `json:"type"`
					State string `json:"state"`
				} `json:"event"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &p); err != nil || p.ID == "" || r.Header.Get("Hummingbird-Event-Id") != p.ID {
			h.bad = append(h.bad, fmt.Sprintf("payload %s (event id header %q): %v", body, r.Header.Get("Hummingbird-Event-Id"), err))
			return
		}
		if p.Data.Event.Type == "order."+p.Data.Event.State {
			if h.states[p.Data.OrderID] == nil {
				h.states[p.Data.OrderID] = map[int64]string{}
			}
			h.states[p.Data.OrderID][p.Data.Seq] = p.Data.Event.State
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// waitStates waits until the receiver holds want as the order's state events in seq
// order (each at least once), bounded by the outbox's first retry.
func (h *hookReceiver) waitStates(t *testing.T, orderID string, want []string) {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for {
		h.mu.Lock()
		var got []string
		seqs := slices.Sorted(maps.Keys(h.states[orderID]))
		for _, q := range seqs {
			got = append(got, h.states[orderID][q])
		}
		bad, refused := slices.Clone(h.bad), h.refused
		h.mu.Unlock()
		if len(bad) > 0 {
			t.Fatalf("webhook receiver got bad deliveries: %v", bad)
		}
		if slices.Equal(got, want) && refused == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhooks for %s: states %v (refused %d), want %v after one refusal", orderID, got, refused, want)
		}
		time.Sleep(pollEvery) // polling a condition with a deadline
	}
}

// query runs a count query on the cluster's database.
func (c *clusterEnv) query(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := c.db.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// journey takes one order from creation on merchant's instance to delivery by app,
// with tracker watching on another instance, and returns the order id.
func journey(t *testing.T, merchant, tracking *proc, app *courierApp, c city, ref string) string {
	t.Helper()
	var o order
	waitFor(t, "the order to be created", func() bool {
		r := merchant.do(t, http.MethodPost, "/v1/orders", c.MerchantKey, orderRequest(), "Idempotency-Key", ref)
		if r.Status == http.StatusServiceUnavailable {
			return false // no leader reachable for a moment: the merchant retries
		}
		r.want(t, http.StatusCreated, &o)
		return true
	})
	tracker := tracking.mustDial(t, "/v1/track/"+o.TrackToken+"/ws", "")
	var snap trackView
	tracker.expect(t, "snapshot").decode(t, &snap)
	if snap.OrderID != o.ID {
		t.Fatalf("tracker on another instance got %+v for order %s", snap, o.ID)
	}
	body := paymentEvent("evt_"+ref, "payment_intent.succeeded", o.ID)
	waitFor(t, "the payment to be applied", func() bool {
		r := merchant.pay(t, body, signature.Sign([]byte(testPaymentSecret), time.Now(), body))
		return r.Status == http.StatusOK
	})
	var offer struct {
		ID       string   `json:"id"`
		OrderIDs []string `json:"order_ids"`
	}
	for {
		f := app.read(t)
		if f.Type == "offer" {
			f.decode(t, &offer)
			if len(offer.OrderIDs) == 1 && offer.OrderIDs[0] == o.ID {
				break
			}
		}
	}
	onOrder := map[string]any{"order_id": o.ID}
	// act sends a courier action and wants ok; order frames may come before or after the
	// reply, since in a cluster they travel over the bus while the reply comes back over
	// the forwarded call.
	act := func(typ string, data any) {
		t.Helper()
		reply, _ := app.call(t, typ, data)
		if reply.Type != "ok" {
			t.Fatalf("%s: got %s %s, want ok", typ, reply.Type, reply.Data)
		}
	}
	act("accept", map[string]any{"offer_id": offer.ID})
	act("arrived", onOrder)
	act("picked_up", onOrder)
	act("location", app.fix(customerPos.offset(20, 0)))
	act("arrived", onOrder)
	act("delivered", map[string]any{"order_id": o.ID, "code": o.HandoffCode})

	// The tracker on the third instance saw every state after the snapshot, in order.
	frames, closed := tracker.untilClose(t)
	var states []string
	for _, f := range frames {
		if f.Type == "status" {
			var s trackStatus
			f.decode(t, &s)
			states = append(states, s.State)
		}
	}
	want := []string{"paid", "dispatching", "assigned", "at_pickup", "picked_up", "at_dropoff", "delivered"}
	if strings.Join(states, " ") != strings.Join(want, " ") || closed == nil || closed.Code != closeTrackingEnded {
		t.Fatalf("tracker on %s saw %v then close %v, want %v then %d", tracking.URL, states, closed, want, closeTrackingEnded)
	}
	var final order
	merchant.do(t, http.MethodGet, "/v1/orders/"+o.ID, c.MerchantKey, nil).want(t, http.StatusOK, &final)
	if final.State != "delivered" || final.CourierID != c.CourierID {
		t.Fatalf("merchant sees %+v, want delivered by %s", final, c.CourierID)
	}
	return o.ID
}

// TestClusterJourneyAndFailover starts three instances on one database and one Redis:
// the courier's socket on the first, the merchant on the second and the tracker on the
// third follow a whole delivery; then the instance running dispatch is killed with
// SIGKILL, another takes the lease with a higher epoch, and a second order flows.
func TestClusterJourneyAndFailover(t *testing.T) {
	env := newClusterEnv(t)
	p := []*proc{env.start(t, "one"), env.start(t, "two"), env.start(t, "three")}
	byName := map[string]*proc{"one": p[0], "two": p[1], "three": p[2]}
	waitFor(t, "a dispatch leader", func() bool { h, _ := env.leader(t); return h != "" })
	holder, epoch := env.leader(t)
	// The courier and the merchant use the two instances that do not dispatch, the
	// tracker the one that does: every step crosses instances.
	var others []*proc
	for _, name := range []string{"one", "two", "three"} {
		if name != holder {
			others = append(others, byName[name])
		}
	}
	courierOn, merchantOn, trackerOn := others[0], others[1], byName[holder]
	courierName := "one"
	for name, q := range byName {
		if q == courierOn {
			courierName = name
		}
	}

	c := merchantOn.setupCity(t)
	hooks := newHookReceiver(t)
	var settings struct {
		URL    string `json:"url"`
		Secret string `json:"secret"`
	}
	merchantOn.do(t, http.MethodPut, "/v1/webhook", c.MerchantKey, map[string]any{"url": hooks.srv.URL + "/hooks"}).
		want(t, http.StatusOK, &settings)
	if settings.Secret == "" {
		t.Fatalf("webhook settings %+v, want the signing secret", settings)
	}
	hooks.secret = []byte(settings.Secret)
	app := courierOn.courierApp(t, c.CourierToken)
	app.expect(t, "hello")
	app.ok(t, "location", app.fix(shopPos.offset(50, 0)))
	app.ok(t, "availability", map[string]any{"state": "available"})
	first := journey(t, merchantOn, trackerOn, app, c, "cluster-1")

	// The merchant's receiver got every state of the order, signed, with its seq, although
	// it refused the first delivery on purpose (the outbox retried it).
	hooks.waitStates(t, first, []string{"pending_payment", "paid", "dispatching", "assigned", "at_pickup", "picked_up", "at_dropoff", "delivered"})

	// The leader journals its offers in Postgres: the one the courier took reads accepted.
	waitFor(t, "the accepted offer in the offers journal", func() bool {
		return env.query(t, "SELECT count(*) FROM offers WHERE $1 = ANY(order_ids) AND outcome = 'accepted' AND courier_id = $2", first, c.CourierID) == 1
	})

	// The courier's positions are shared through Redis, written by the instance holding
	// its socket.
	rdb := goredis.NewClient(&goredis.Options{Addr: testenv.RedisAddr()})
	defer rdb.Close()
	key := env.env["HUMMINGBIRD_REDIS_PREFIX"] + ":{presence}:c:" + c.CourierID
	waitFor(t, "the courier's presence in Redis", func() bool {
		inst, err := rdb.HGet(context.Background(), key, "inst").Result()
		return err == nil && inst == courierName
	})

	// The leader says so on /metrics; the others do not.
	for name, q := range byName {
		want := 0.0
		if name == holder {
			want = 1
		}
		if got := q.metric(t, "hummingbird_cluster_leader"); got != want {
			t.Fatalf("%s: hummingbird_cluster_leader %v, want %v", name, got, want)
		}
	}

	dead := byName[holder]
	if err := dead.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-dead.exited
	waitFor(t, "another instance to take the lease", func() bool {
		h, e := env.leader(t)
		return h != "" && h != holder && e > epoch
	})
	// The courier's instance registers it with the new leader; its next fix and the
	// next order go through whoever leads now. Until the courier's instance has seen the
	// new lease a command may answer not_ready, and the app retries as a real one does;
	// frames of the first order may still arrive around the replies.
	waitFor(t, "a fix accepted through the new leader", func() bool {
		reply, _ := app.call(t, "location", app.fix(shopPos.offset(40, 0)))
		if reply.Type == "error" {
			wantError(t, reply, "not_ready")
			return false
		}
		return reply.Type == "ok"
	})
	journey(t, merchantOn, courierOn, app, c, "cluster-2")
}
