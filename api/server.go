package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/idempotency"
	"github.com/hummingbird-dispatch/hummingbird/internal/ratelimit"
	"github.com/hummingbird-dispatch/hummingbird/internal/realtime"
)

// Config configures the transport. Zero values take the defaults in brackets.
type Config struct {
	// AdminToken is the bearer token of the admin API; empty disables the admin API.
	AdminToken string
	// PaymentSecrets verify the payment provider's webhook signatures (several during
	// rotation); empty rejects every payment webhook.
	PaymentSecrets [][]byte
	// PaymentTolerance is the accepted signature age [300s].
	PaymentTolerance time.Duration
	// MaxBody caps request bodies in bytes [1 MiB].
	MaxBody int64
	// PublicURL is the externally visible base URL used in tracking links
	// [http://localhost:8080].
	PublicURL string
	// WS tunes WebSocket connections (see realtime.Config).
	WS realtime.Config
	// Ready reports whether the backing stores answer; nil means always ready.
	Ready func(ctx context.Context) error

	// TrackLinkTTL is how long a tracking link keeps working after its order closed;
	// then the page, the snapshot and the socket answer 404 [24h].
	TrackLinkTTL time.Duration
	// TileURL is a map tile URL template ({z}/{x}/{y}) for both pages, and
	// TileAttribution its credit line; empty draws the maps on a plain background with
	// no request leaving the server [""].
	TileURL, TileAttribution string
	// OpsPeriod is how often the operators' socket pushes the city view [1s].
	OpsPeriod time.Duration
	// SessionTTL is the lifetime of an operator's session cookie [12h].
	SessionTTL time.Duration
	// Metrics adds samples to /metrics (the cluster's lease and bus figures); nil adds
	// none. It is called once per scrape.
	Metrics func() []Metric
	// Limiter bounds each merchant's request rate (keyed by merchant id); nil means no
	// limit. A refused request gets 429 with Retry-After.
	Limiter ratelimit.Limiter
	// Webhooks serves the merchant webhook endpoints (PUT /v1/webhook, an order's
	// deliveries and replay); nil answers them 503 not_ready.
	Webhooks WebhookStore
	// Wall is the real clock, for session cookies and rate limits, which browsers expire in real time
	// even when the engine runs on a simulated clock [dispatch.SystemClock].
	Wall dispatch.Clock
}

func (c Config) withDefaults() Config {
	if c.PaymentTolerance == 0 {
		c.PaymentTolerance = 300 * time.Second
	}
	if c.MaxBody == 0 {
		c.MaxBody = 1 << 20
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://localhost:8080"
	}
	if c.TrackLinkTTL == 0 {
		c.TrackLinkTTL = 24 * time.Hour
	}
	if c.OpsPeriod == 0 {
		c.OpsPeriod = time.Second
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.Wall == nil {
		c.Wall = dispatch.SystemClock{}
	}
	return c
}

// Server is the HTTP and WebSocket front of one engine.
type Server struct {
	cfg    Config
	engine Dispatcher
	dir    dispatch.DirectoryStore
	idem   idempotency.Store
	hub    *realtime.Hub
	feed   *Feed
	log    *slog.Logger
	echo   *echo.Echo

	publicHost string   // host of cfg.PublicURL, also accepted as an Origin
	ops        opsCache // the operators' view, shared by their sockets
	tileOrigin string   // origin of cfg.TileURL for the pages' CSP ("" without tiles)
}

// New builds the server and its routes. feed must be the Feed given to the engine as its
// Notifier, so that engine decisions reach the sockets this server holds.
func New(cfg Config, engine Dispatcher, dir dispatch.DirectoryStore, idem idempotency.Store, feed *Feed, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg.withDefaults(), engine: engine, dir: dir, idem: idem, hub: feed.hub, feed: feed, log: log, echo: echo.New()}
	if u, err := url.Parse(s.cfg.PublicURL); err == nil {
		s.publicHost = u.Host
	}
	s.tileOrigin = tileOrigin(s.cfg.TileURL)
	s.echo.HideBanner, s.echo.HidePort = true, true
	s.echo.HTTPErrorHandler = s.renderError
	s.routes()
	return s
}

// Handler returns the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.echo }

// Shutdown closes every WebSocket connection with 1001 and waits until each has stopped
// or ctx ends (http.Server.Shutdown neither closes nor waits for hijacked connections);
// call it after the HTTP server stopped accepting requests.
func (s *Server) Shutdown(ctx context.Context) error { return s.hub.Shutdown(ctx) }

// Resync handles a gap in the live stream between instances (the bus lost messages,
// for example when Redis restarted): every courier stream forgets its replay buffer and
// every socket is closed with CloseResync, so that each client reconnects and reloads
// from a snapshot rather than resuming over frames it never got.
func (s *Server) Resync() {
	s.feed.gap()
	s.hub.CloseEvery(CloseResync, "live stream interrupted: reconnect")
}

// routes registers every endpoint; the OpenAPI test checks this table against
// openapi.yaml in both directions.
func (s *Server) routes() {
	e := s.echo
	e.Use(s.limitBody)
	e.GET("/livez", s.handleLivez)
	e.GET("/readyz", s.handleReadyz)
	e.GET("/metrics", s.handleMetrics)
	e.GET("/v1/openapi.yaml", s.handleOpenAPI)

	m := e.Group("/v1", s.merchantAuth)
	m.POST("/quotes", s.handleQuote)
	m.POST("/orders", s.handleCreateOrder)
	m.GET("/orders", s.handleListOrders)
	m.GET("/orders/:id", s.handleGetOrder)
	m.POST("/orders/:id/cancel", s.handleCancelOrder)
	m.GET("/orders/:id/events", s.handleOrderEvents)
	m.GET("/orders/:id/webhooks", s.handleOrderWebhooks)
	m.POST("/orders/:id/webhooks/replay", s.handleReplayWebhooks)
	m.PUT("/webhook", s.handlePutWebhook)

	e.POST("/v1/payments/webhook", s.handlePaymentWebhook)

	a := e.Group("/v1/admin", s.adminAuth)
	a.POST("/merchants", s.handleCreateMerchant)
	a.GET("/merchants", s.handleListMerchants)
	a.POST("/stations", s.handleCreateStation)
	a.GET("/stations", s.handleListStations)
	a.POST("/couriers", s.handleCreateCourier)
	a.GET("/couriers", s.handleListCouriers)
	a.POST("/couriers/:id/shifts", s.handleScheduleShift)
	a.POST("/areas", s.handleCreateArea)
	a.GET("/areas", s.handleListAreas)
	a.GET("/snapshot", s.handleSnapshot)
	a.GET("/orders/:id/trace", s.handleTrace)
	a.GET("/ops", s.handleOpsView)
	a.GET("/couriers/:id/jobs", s.handleCourierJobs)
	a.GET("/ws", s.handleOpsWS)

	e.GET("/v1/courier/ws", s.handleCourierWS)
	e.GET("/v1/track/:token", s.handleTrackSnapshot)
	e.GET("/v1/track/:token/ws", s.handleTrackWS)

	// The pages (web package): HTML, their scripts and the vendored libraries.
	e.GET("/track/:token", s.handleTrackPage, s.pageHeaders)
	e.GET("/ops", s.handleOpsPage, s.pageHeaders)
	e.POST("/ops/login", s.handleOpsLogin)
	e.POST("/ops/logout", s.handleOpsLogout)
	e.GET("/static/*", s.handleStatic)
}
