package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hummingbird-dispatch/hummingbird/api"
	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/cluster"
	"github.com/hummingbird-dispatch/hummingbird/internal/presence"
	"github.com/hummingbird-dispatch/hummingbird/internal/ratelimit"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/postgres"
	redisstore "github.com/hummingbird-dispatch/hummingbird/internal/store/redis"
)

// leaseName is the one dispatch lease: a single leader runs every zone's rounds (see
// docs/cluster.md for partitioning by region).
const leaseName = "dispatch"

// presenceTTL is how long a courier's position stays in Redis without a new fix.
const presenceTTL = 2 * time.Minute

// clusterConfig is the part of the configuration that makes several instances one.
type clusterConfig struct {
	RedisAddr   string // empty: one process, no cluster
	RedisPrefix string
	Secret      string // shared by the instances for forwarded calls
	Advertise   string // base URL other instances reach this one at
	Instance    string
	LeaseTTL    time.Duration
	Limit       ratelimit.Config // per-merchant limit (Rate 0: none)
}

// loadClusterConfig reads the cluster variables; docs/configuration.md lists them.
func loadClusterConfig(getenv func(string) string, store string) (clusterConfig, []string) {
	c := clusterConfig{RedisAddr: getenv("HUMMINGBIRD_REDIS_ADDR"), RedisPrefix: "hb", LeaseTTL: 5 * time.Second,
		Secret: getenv("HUMMINGBIRD_CLUSTER_SECRET"), Advertise: getenv("HUMMINGBIRD_ADVERTISE_URL"),
		Instance: getenv("HUMMINGBIRD_INSTANCE")}
	var errs []string
	if v := getenv("HUMMINGBIRD_REDIS_PREFIX"); v != "" {
		c.RedisPrefix = v
	}
	if v := getenv("HUMMINGBIRD_LEASE_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > time.Minute {
			errs = append(errs, fmt.Sprintf("HUMMINGBIRD_LEASE_TTL=%q: want a duration from 1s to 1m", v))
		}
		c.LeaseTTL = d
	}
	if v := getenv("HUMMINGBIRD_RATE_LIMIT"); v != "" {
		var rate float64
		var burst int
		if _, err := fmt.Sscanf(v, "%g/%d", &rate, &burst); err != nil {
			errs = append(errs, fmt.Sprintf("HUMMINGBIRD_RATE_LIMIT=%q: want <requests per second>/<burst>, such as 20/40", v))
		} else {
			c.Limit = ratelimit.Config{Rate: rate, Burst: burst}
			if err := c.Limit.Validate(); err != nil {
				errs = append(errs, fmt.Sprintf("HUMMINGBIRD_RATE_LIMIT=%q: %v", v, err))
			}
		}
	}
	if c.RedisAddr != "" {
		if store != "postgres" {
			errs = append(errs, "HUMMINGBIRD_REDIS_ADDR is set: several instances need HUMMINGBIRD_STORE=postgres")
		}
		if len(c.Secret) < 16 {
			errs = append(errs, "HUMMINGBIRD_CLUSTER_SECRET: want at least 16 characters shared by every instance")
		}
		if c.Advertise != "" && !strings.HasPrefix(c.Advertise, "http://") && !strings.HasPrefix(c.Advertise, "https://") {
			errs = append(errs, fmt.Sprintf("HUMMINGBIRD_ADVERTISE_URL=%q: want the base URL other instances reach this one at", c.Advertise))
		}
	}
	if c.Instance == "" {
		host, _ := os.Hostname()
		c.Instance = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), dispatch.NewSecret("i")[2:10])
	}
	return c, errs
}

// redisLog sends go-redis's own messages (reconnects, pool errors) to our logger
// instead of raw stderr.
type redisLog struct{ log *slog.Logger }

func (r redisLog) Printf(_ context.Context, format string, v ...any) {
	r.log.Warn("redis: " + fmt.Sprintf(format, v...))
}

// pgLeases adapts the Postgres lease row to cluster.Leases.
type pgLeases struct{ pg *postgres.Store }

func (l pgLeases) Acquire(ctx context.Context, holder, addr string, ttl time.Duration) (cluster.Lease, bool, error) {
	x, ok, err := l.pg.AcquireLease(ctx, leaseName, holder, addr, ttl)
	return cluster.Lease{Holder: x.Holder, Addr: x.Addr, Epoch: x.Epoch}, ok, err
}

func (l pgLeases) Release(ctx context.Context, holder string) error {
	return l.pg.ReleaseLease(ctx, leaseName, holder)
}

func (l pgLeases) Current(ctx context.Context) (cluster.Lease, error) {
	x, err := l.pg.CurrentLease(ctx, leaseName)
	return cluster.Lease{Holder: x.Holder, Addr: x.Addr, Epoch: x.Epoch}, err
}

// clusterParts are what a clustered node adds to a single one.
type clusterParts struct {
	sw       *cluster.Switch
	node     *cluster.Node
	relay    *cluster.Relay
	bus      *redisstore.Bus
	presence *redisstore.Presence
	fixes    chan presence.Entry // accepted fixes waiting to be written to presence
	recv     *cluster.Receiver   // hands the bus's notifications to this instance's feed
}

// presenceQueue bounds the fixes waiting for Redis; past it they are dropped.
const presenceQueue = 1024

// newClusterParts wires the lease, the forwarding switch, the relay and the bus for one
// instance over pg and the Redis at cc.RedisAddr. decisions receives the engine's
// notifications while this instance leads (its feed, the offers journal); feed receives
// the other leaders' notifications from the bus. resync is called when the bus lost
// messages (a lost subscription or a hole in a relay's numbering).
func newClusterParts(ctx context.Context, cfg config, cc clusterConfig, pg *postgres.Store, feed *api.Feed,
	decisions dispatch.Notifier, clock dispatch.Clock, resync func(), log *slog.Logger) (_ *clusterParts, _ ratelimit.Limiter, _ func(), err error) {
	// go-redis logs through a package-level logger; the composition root sets it.
	goredis.SetLogger(redisLog{log.With("component", "redis")})
	rdb, err := redisstore.Open(ctx, cc.RedisAddr, "hummingbird-"+cc.Instance)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("redis: %w", err)
	}
	closeRedis := func() { _ = rdb.Close() }
	defer func() {
		if err != nil {
			closeRedis()
		}
	}()
	bus, err := redisstore.NewBus(rdb, redisstore.BusConfig{Prefix: cc.RedisPrefix, Instance: cc.Instance, OnResubscribe: resync, Log: log})
	if err != nil {
		return nil, nil, nil, err
	}
	pres, err := redisstore.NewPresence(rdb, redisstore.PresenceConfig{Prefix: cc.RedisPrefix})
	if err != nil {
		return nil, nil, nil, err
	}
	var lim ratelimit.Limiter
	if cc.Limit.Rate > 0 {
		if lim, err = redisstore.NewLimiter(rdb, redisstore.LimiterConfig{Prefix: cc.RedisPrefix, Limit: cc.Limit}); err != nil {
			return nil, nil, nil, err
		}
	}
	p := &clusterParts{bus: bus, presence: pres, relay: cluster.NewRelay(decisions, bus, log),
		recv: cluster.NewReceiver(feed, resync, log), fixes: make(chan presence.Entry, presenceQueue)}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}}
	remote := cluster.NewRemote(client, cc.Secret, func(ctx context.Context) (string, error) { return p.node.LeaderURL(ctx) }, clock).
		WithRefresh(func(ctx context.Context) (string, error) { return p.node.LookupLeader(ctx) })
	p.sw = cluster.NewSwitch(remote, func(id string, f courier.Fix) {
		// Presence is a shared hint (other tools' view of the fleet, where a courier was
		// last seen); it never holds up a courier's command, and a write lost to a full
		// queue or a Redis outage is restored by the next fix.
		select {
		case p.fixes <- presence.Entry{CourierID: id, Lat: f.Pos.Lat, Lng: f.Pos.Lng, At: f.At, Instance: cc.Instance}:
		default:
		}
	})
	p.node = cluster.NewNode(cluster.Config{Instance: cc.Instance, Addr: cc.Advertise, TTL: cc.LeaseTTL}, pgLeases{pg}, p.sw,
		func(ctx context.Context, epoch int64) (cluster.Term, error) {
			eng := dispatch.New(cfg.Dispatch, pg.Fenced(leaseName, epoch), clock, p.relay, log)
			if err := eng.Start(ctx); err != nil {
				return cluster.Term{}, err
			}
			return cluster.Term{Engine: eng, Run: eng.Run}, nil
		}, log)
	return p, lim, closeRedis, nil
}

// runners are the cluster's goroutines, each run until ctx ends: the lease, the relay,
// the presence writer, the bus.
func (p *clusterParts) runners() []func(context.Context) error {
	return []func(context.Context) error{
		p.node.Run,
		p.relay.Run,
		func(ctx context.Context) error {
			for {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case e := <-p.fixes:
					pctx, cancel := context.WithTimeout(ctx, time.Second)
					_ = p.presence.Put(pctx, e, presenceTTL)
					cancel()
				}
			}
		},
		func(ctx context.Context) error {
			return p.bus.Run(ctx, func(topic string, payload []byte) {
				if topic == cluster.NotifyTopic {
					p.recv.Deliver(payload)
				}
			})
		},
	}
}

// metrics are the cluster's figures for /metrics.
func (p *clusterParts) metrics() []api.Metric {
	leading := 0.0
	if p.sw.Local() != nil {
		leading = 1
	}
	bs := p.bus.Stats()
	return []api.Metric{
		{Name: "hummingbird_cluster_leader", Type: "gauge", Help: "1 while this instance holds the dispatch lease.", Value: leading},
		{Name: "hummingbird_cluster_lease_epoch", Type: "gauge", Help: "Epoch of the dispatch lease as last seen.", Value: float64(p.node.Leader().Epoch)},
		{Name: "hummingbird_cluster_relay_dropped_total", Type: "counter", Help: "Leader notifications not published to the bus.", Value: float64(p.relay.Dropped.Load())},
		{Name: "hummingbird_cluster_bus_delivered_total", Type: "counter", Help: "Notifications received from other instances.", Value: float64(bs.Delivered)},
		{Name: "hummingbird_cluster_bus_resubscribes_total", Type: "counter", Help: "Bus subscriptions established again after a loss.", Value: float64(bs.Resubscribes)},
	}
}

// handler puts the forwarded-call endpoint in front of the api's handler.
func (p *clusterParts) handler(secret string, next http.Handler, log *slog.Logger) http.Handler {
	rpc := cluster.Handler(p.sw.Leader, secret, log)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, cluster.RPCPath) {
			rpc.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
