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
	"github.com/hummingbird-dispatch/hummingbird/internal/realtime"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/memory"
)

// shutdownGrace bounds how long in-flight HTTP requests get at shutdown.
const shutdownGrace = 10 * time.Second

// node is one running server: store, engine and HTTP front, wired together.
type node struct {
	engine *dispatch.Engine
	server *api.Server
	http   *http.Server
	ln     net.Listener
	log    *slog.Logger
}

// URL returns the node's base URL.
func (n *node) URL() string { return "http://" + n.ln.Addr().String() }

// newNode builds the components in dependency order and binds the listener.
func newNode(ctx context.Context, cfg config, clock dispatch.Clock, log *slog.Logger) (*node, error) {
	store := memory.New()
	hub := realtime.NewHub()
	fc := cfg.Feed
	fc.Clock = clock
	feed := api.NewFeedWith(fc, hub, log)
	eng := dispatch.New(cfg.Dispatch, store, clock, feed, log)
	if err := eng.Start(ctx); err != nil {
		return nil, fmt.Errorf("start engine: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	if cfg.API.PublicURL == "http://"+cfg.Addr {
		// The listener may have chosen the port; links must carry the real one.
		cfg.API.PublicURL = "http://" + ln.Addr().String()
	}
	srv := api.New(cfg.API, eng, store, store, feed, log)
	return &node{engine: eng, server: srv, ln: ln, log: log,
		http: &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}}, nil
}

// run serves until ctx ends, then shuts down in order: stop accepting HTTP, close
// WebSockets and wait until each has sent its close frame (Shutdown neither closes nor
// waits for hijacked connections), stop the engine loop.
func (n *node) run(ctx context.Context) error {
	engCtx, stopEngine := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = n.engine.Run(engCtx)
	}()
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
	stopEngine()
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
