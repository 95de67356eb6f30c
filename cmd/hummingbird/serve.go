package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/api"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
	"github.com/hummingbird-dispatch/hummingbird/internal/ratelimit"
	"github.com/hummingbird-dispatch/hummingbird/internal/realtime"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/postgres"
	"github.com/hummingbird-dispatch/hummingbird/internal/webhook"
)

// shutdownGrace bounds how long in-flight HTTP requests get at shutdown.
const shutdownGrace = 10 * time.Second

// node is one running server: stores, engine (or, in a cluster, its place in the
// cluster) and HTTP front, wired together.
type node struct {
	engine  *dispatch.Engine // nil in a cluster, where the leader's engine changes hands
	server  *api.Server
	http    *http.Server
	ln      net.Listener
	log     *slog.Logger
	runners []func(context.Context) error // background work, stopped after the sockets
	closers []func()                      // run last, in reverse order
}

// URL returns the node's base URL.
func (n *node) URL() string { return "http://" + n.ln.Addr().String() }

// newNode builds the components in dependency order and binds the listener. With
// HUMMINGBIRD_REDIS_ADDR set the node joins a cluster: it competes for the dispatch
// lease and forwards engine calls to the leader meanwhile.
func newNode(ctx context.Context, cfg config, clock dispatch.Clock, log *slog.Logger) (_ *node, err error) {
	n := &node{log: log}
	defer func() {
		if err != nil {
			n.close()
		}
	}()
	st, closeStores, err := openStores(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	n.closers = append(n.closers, closeStores)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	n.ln = ln
	n.closers = append(n.closers, func() { _ = ln.Close() })
	if cfg.API.PublicURL == "http://"+cfg.Addr {
		// The listener may have chosen the port; links must carry the real one.
		cfg.API.PublicURL = "http://" + ln.Addr().String()
	}
	hub := realtime.NewHub()
	fc := cfg.Feed
	fc.Clock = clock
	feed := api.NewFeedWith(fc, hub, log)
	// The engine's decisions go to this instance's feed and, with Postgres, to the
	// offers journal (only the leader's engine writes it).
	var decisions dispatch.Notifier = feed
	if st.PG != nil {
		journal := postgres.NewOfferJournal(st.PG, log.With("component", "offers"))
		decisions = tee{feed, journal}
		n.runners = append(n.runners, journal.Run)
	}
	var d api.Dispatcher
	var parts *clusterParts
	if cfg.Cluster.RedisAddr == "" {
		eng := dispatch.New(cfg.Dispatch, st.Dispatch, clock, decisions, log)
		if err := eng.Start(ctx); err != nil {
			return nil, fmt.Errorf("start engine: %w", err)
		}
		n.engine, d = eng, eng
		n.runners = append(n.runners, eng.Run)
		if cfg.Cluster.Limit.Rate > 0 {
			lim, err := ratelimit.NewMemory(cfg.Cluster.Limit)
			if err != nil {
				return nil, err
			}
			cfg.API.Limiter = lim
		}
	} else {
		cc := cfg.Cluster
		if cc.Advertise == "" {
			cc.Advertise = "http://" + ln.Addr().String()
		}
		var lim ratelimit.Limiter
		var closeRedis func()
		parts, lim, closeRedis, err = newClusterParts(ctx, cfg, cc, st.PG, feed, decisions, clock, func() { n.server.Resync() }, log)
		if err != nil {
			return nil, err
		}
		n.closers = append(n.closers, closeRedis)
		cfg.API.Limiter = lim
		cfg.API.Metrics = parts.metrics
		d = parts.sw
		n.runners = append(n.runners, parts.runners()...)
	}
	if st.PG != nil {
		pool := st.PG.Pool()
		cfg.API.Ready = func(ctx context.Context) error {
			if err := pool.Ping(ctx); err != nil {
				return fmt.Errorf("postgres: %w", err)
			}
			if parts != nil {
				if _, err := parts.node.LeaderURL(ctx); err != nil {
					return fmt.Errorf("no dispatch leader: %w", err)
				}
			}
			return nil
		}
	}
	// Merchant webhooks go out from every instance: claims on the outbox are leased, so
	// instances share the work without sending an event twice at once.
	if ws, ok := st.Dispatch.(outbox); ok {
		hooks, err := webhook.New(webhook.Config{AllowPrivateNetworks: cfg.WebhookAllowPrivate}, ws, log.With("component", "webhook"))
		if err != nil {
			return nil, err
		}
		cfg.API.Webhooks = ws
		n.runners = append(n.runners, hooks.Run)
	}
	n.server = api.New(cfg.API, d, st.Dispatch, st.Idem, feed, log)
	var h http.Handler = n.server.Handler()
	if parts != nil {
		h = parts.handler(cfg.Cluster.Secret, h, log)
	}
	n.http = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return n, nil
}

// tee hands every engine notification to each notifier in turn.
type tee []dispatch.Notifier

func (t tee) OrderEvent(o dispatch.Order, e dispatch.Event) {
	for _, n := range t {
		n.OrderEvent(o, e)
	}
}

func (t tee) Offer(o dispatch.Offer) {
	for _, n := range t {
		n.Offer(o)
	}
}

func (t tee) OfferWithdrawn(courierID, offerID, reason string) {
	for _, n := range t {
		n.OfferWithdrawn(courierID, offerID, reason)
	}
}

func (t tee) CourierMoved(courierID string, pos geo.LatLng, orderIDs []string) {
	for _, n := range t {
		n.CourierMoved(courierID, pos, orderIDs)
	}
}

// outbox is a store that also keeps merchant webhook settings and deliveries (the
// memory and Postgres stores both do).
type outbox interface {
	webhook.Store
	api.WebhookStore
}

// close releases what newNode acquired, last first.
func (n *node) close() {
	for i := len(n.closers) - 1; i >= 0; i-- {
		n.closers[i]()
	}
	n.closers = nil
}

// run serves until ctx ends, then shuts down in order: stop accepting HTTP, close
// WebSockets and wait until each has sent its close frame (Shutdown neither closes nor
// waits for hijacked connections), stop the background work (engine rounds, or the
// lease — released so another instance takes over at once — relay and bus), close the
// stores.
func (n *node) run(ctx context.Context) error {
	defer n.close()
	bgCtx, stopBackground := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, r := range n.runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = r(bgCtx)
		}()
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- n.http.Serve(n.ln) }()

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if serr := n.http.Shutdown(sctx); serr != nil && err == nil {
		err = serr
	}
	if herr := n.server.Shutdown(sctx); herr != nil && err == nil {
		err = herr
	}
	stopBackground()
	wg.Wait()
	if err == nil {
		err = <-serveErr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	if cfg.API.AdminToken == "" {
		cfg.API.AdminToken = dispatch.NewSecret("adm")
		log.Warn("HUMMINGBIRD_ADMIN_TOKEN not set; generated one for this run", "admin_token", cfg.API.AdminToken)
	}
	if len(cfg.API.PaymentSecrets) == 0 {
		log.Warn("HUMMINGBIRD_PAYMENT_SECRETS not set: every payment webhook will be rejected")
	}
	n, err := newNode(ctx, cfg, dispatch.SystemClock{}, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "hummingbird listening on %s (store: %s)\n", n.URL(), cfg.Store)
	return n.run(ctx)
}
