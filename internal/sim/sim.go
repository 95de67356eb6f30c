package sim

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// Config describes one simulation run. Zero values take the defaults in brackets.
type Config struct {
	// BaseURL is the server's base URL (required unless BaseURLs is set).
	BaseURL string
	// BaseURLs lists several instances of one cluster [BaseURL alone]. Couriers are
	// spread over them round-robin and move to the next one when theirs cannot be
	// reached; merchants' calls go round-robin.
	BaseURLs []string
	// AdminToken and PaymentSecret are the server's (required).
	AdminToken    string
	PaymentSecret []byte
	// Clock is the time shared with the server [wall clock, factor 1].
	Clock *ScaledClock
	// City is the world [Paris(Seed)].
	City City
	// FranchisePerStation and Crowd size the fleet [6, 12].
	FranchisePerStation, Crowd int
	// OrdersPerMinute is the order rate in simulated minutes [2].
	OrdersPerMinute float64
	// Orders caps how many orders the merchants create [no cap].
	Orders int
	// Duration is how long (wall time) the run lasts; zero runs until ctx ends. New
	// orders stop at 70 % of it so the last ones can be delivered.
	Duration time.Duration
	// Prep replaces every shop's preparation time [the shop's].
	Prep time.Duration
	// CrowdSpread bounds how far from the centre crowd couriers start, in metres [3500].
	CrowdSpread float64
	// DropoffRadius bounds a customer's distance from the shop, in metres [2500].
	DropoffRadius float64
	// PayDelay is the longest checkout time between an order and its payment, in
	// simulated time; each order draws one up to it [10–50 s].
	PayDelay time.Duration
	// EveryonePays makes every customer pay and none cancel [3 % never pay, 2 % cancel].
	EveryonePays bool
	// SpeedFactor makes couriers ride this many times faster than their vehicle [1], at
	// most maxBotSpeed (190 km/h, under the server's 200 km/h plausibility bound).
	SpeedFactor float64
	// FixEvery is how often a courier moves and sends its position [200ms].
	FixEvery time.Duration
	// Retry is how long one HTTP call keeps retrying (on the next instance) after a
	// connection error or a 503, 502, 504, 429 or 409 answer [no retry].
	Retry time.Duration
	// Seed makes the run repeatable in its choices (not in its timing).
	Seed uint64
	// Links is how many of the first orders get their tracking links printed [0].
	Links int
	// Out receives the progress lines and URLs [io.Discard].
	Out io.Writer
	// Log receives diagnostics [discard].
	Log *slog.Logger
}

func (c *Config) defaults() {
	if len(c.BaseURLs) == 0 {
		c.BaseURLs = []string{c.BaseURL}
	}
	if c.BaseURL == "" {
		c.BaseURL = c.BaseURLs[0]
	}
	if c.Clock == nil {
		c.Clock = NewScaledClock(1)
	}
	if c.City.Name == "" {
		c.City = Paris(c.Seed)
	}
	if c.FranchisePerStation == 0 {
		c.FranchisePerStation = 6
	}
	if c.Crowd == 0 {
		c.Crowd = 12
	}
	if c.OrdersPerMinute == 0 {
		c.OrdersPerMinute = 2
	}
	if c.CrowdSpread == 0 {
		c.CrowdSpread = 3500
	}
	if c.DropoffRadius == 0 {
		c.DropoffRadius = 2500
	}
	if c.FixEvery <= 0 {
		c.FixEvery = botStep
	}
	if c.SpeedFactor < 1 {
		c.SpeedFactor = 1
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// maxBotSpeed caps a bot's speed in m/s below the fix filter's 200 km/h.
const maxBotSpeed = 190 / 3.6

// world is what setup created on the server.
type world struct {
	merchants []merchantAccount // one per shop, same index as City.Shops
	couriers  map[string]courier.Kind
	codes     sync.Map // order id → handoff code (what the customer would say at the door)
	tracking  []string // tracking tokens in creation order
}

type merchantAccount struct {
	ID, Key string
}

// Sim is a city set up on a server, ready to run. Make one with New, call Run once;
// DropSockets, StopOrders, Ledger and Retries may be called from any goroutine while it
// runs, KPI after Run has returned.
type Sim struct {
	cfg    Config
	c      *client
	w      *world
	bots   []*bot
	ledger *Ledger
	noMore atomic.Bool
	drops  atomic.Int64
	silent atomic.Int64 // courier connections given up because steps went unanswered
	placed []placed     // set when Run returns
}

// New sets up the city (area, stations, couriers, merchants) through the admin API.
func New(ctx context.Context, cfg Config) (*Sim, error) {
	cfg.defaults()
	// The run's own transport, so that Run can close its idle connections at the end.
	hc := &http.Client{Timeout: 10 * time.Second, Transport: http.DefaultTransport.(*http.Transport).Clone()}
	c := &client{bases: cfg.BaseURLs, http: hc, clock: cfg.Clock, retry: cfg.Retry}
	s := &Sim{cfg: cfg, c: c, ledger: newLedger()}
	w, bots, err := setup(ctx, c, cfg, s.ledger, &s.silent)
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	s.w, s.bots = w, bots
	return s, nil
}

// Run sets up the city on the server, runs merchants and couriers until the duration
// ends (or ctx), and returns the KPIs measured through the merchant API.
func Run(ctx context.Context, cfg Config) (KPI, error) {
	s, err := New(ctx, cfg)
	if err != nil {
		return KPI{}, err
	}
	runCtx := ctx
	if s.cfg.Duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, s.cfg.Duration)
		defer cancel()
	}
	s.Run(runCtx)
	return s.KPI(context.WithoutCancel(ctx))
}

// Run runs the couriers and the merchants until ctx ends and returns once every
// goroutine it started has stopped. Merchants stop creating orders at 70 % of
// Config.Duration, after Config.Orders orders, or at StopOrders, and keep paying for the
// ones they created.
func (s *Sim) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, b := range s.bots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.run(ctx)
		}()
	}
	orderUntil := time.Time{}
	if s.cfg.Duration > 0 {
		orderUntil = time.Now().Add(s.cfg.Duration * 7 / 10)
	}
	s.placed = runMerchants(ctx, s, orderUntil)
	wg.Wait()
	s.c.http.CloseIdleConnections()
}

// StopOrders makes the merchants stop creating orders; payments go on.
func (s *Sim) StopOrders() { s.noMore.Store(true) }

// DropSockets makes every courier cut its WebSocket without a close frame, as a phone
// losing its network does, and reconnect; it returns how many were asked.
func (s *Sim) DropSockets() int {
	for _, b := range s.bots {
		b.dropSocket()
	}
	s.drops.Add(1)
	return len(s.bots)
}

// Holding returns, for each courier carrying orders in its own view, those orders as
// "id:state". Call it after Run has returned.
func (s *Sim) Holding() map[string][]string {
	out := map[string][]string{}
	for _, b := range s.bots {
		if h := b.holding(); len(h) > 0 {
			out[b.id] = h
		}
	}
	return out
}

// Ledger returns what the simulated users saw, order by order.
func (s *Sim) Ledger() *Ledger { return s.ledger }

// Silences returns how many courier connections were given up because the server left
// botSilentSteps steps in a row unanswered (each was then reconnected).
func (s *Sim) Silences() int64 { return s.silent.Load() }

// Retries returns how many HTTP attempts were repeated after a failure.
func (s *Sim) Retries() int64 { return s.c.retries.Load() }

// KPI reads every placed order back through its merchant's API key; call it after Run.
func (s *Sim) KPI(ctx context.Context) (KPI, error) { return measure(ctx, s.c, s.w, s.placed) }

// setup creates the service area, stations, merchants and couriers through the admin API.
func setup(ctx context.Context, c *client, cfg Config, ledger *Ledger, silent *atomic.Int64) (*world, []*bot, error) {
	admin := cfg.AdminToken
	city := cfg.City
	if err := c.call(ctx, "POST", "/v1/admin/areas", admin, nil, map[string]any{"name": city.Name, "polygon": city.Area}, nil); err != nil {
		return nil, nil, err
	}
	w := &world{couriers: map[string]courier.Kind{}}
	rng := rand.New(rand.NewPCG(cfg.Seed, 7))
	var bots []*bot
	add := func(kind courier.Kind, station string, at geo.LatLng) error {
		b, err := newCourier(ctx, c, cfg, w, kind, station, courierName(len(bots)), at, rng.Uint64())
		if err != nil {
			return err
		}
		b.ledger, b.silences = ledger, silent
		b.cur = len(bots) % len(cfg.BaseURLs)
		bots = append(bots, b)
		return nil
	}
	for _, s := range city.Stations {
		var st struct {
			ID string `json:"id"`
		}
		if err := c.call(ctx, "POST", "/v1/admin/stations", admin, nil, map[string]any{"name": s.Name, "zone": s.Zone}, &st); err != nil {
			return nil, nil, err
		}
		for range cfg.FranchisePerStation {
			if err := add(courier.Franchise, st.ID, geo.Offset(s.Base, rng.NormFloat64()*300, rng.NormFloat64()*300)); err != nil {
				return nil, nil, err
			}
		}
	}
	for range cfg.Crowd {
		if err := add(courier.Crowd, "", city.Dropoff(rng, city.Centre, cfg.CrowdSpread)); err != nil {
			return nil, nil, err
		}
	}
	for _, s := range city.Shops {
		var m struct {
			Merchant struct {
				ID string `json:"id"`
			} `json:"merchant"`
			APIKey string `json:"api_key"`
		}
		if err := c.call(ctx, "POST", "/v1/admin/merchants", admin, nil, map[string]any{"name": s.Name}, &m); err != nil {
			return nil, nil, err
		}
		w.merchants = append(w.merchants, merchantAccount{ID: m.Merchant.ID, Key: m.APIKey})
	}
	fmt.Fprintf(cfg.Out, "city: %s; %d franchise and %d crowd couriers\n", city, cfg.FranchisePerStation*len(city.Stations), cfg.Crowd)
	return w, bots, nil
}

// courierNames are the simulated couriers' names; the tracking page shows the first word.
var courierNames = [...]string{
	"Léa Martin", "Hugo Bernard", "Chloé Dubois", "Karim Haddad", "Inès Moreau", "Lucas Laurent",
	"Amina Diallo", "Théo Simon", "Manon Michel", "Yanis Lefebvre", "Camille Leroy", "Nathan Roux",
	"Sarah Fournier", "Louis Girard", "Zoé Bonnet", "Mehdi Benali", "Jade Lambert", "Paul Fontaine",
	"Emma Rousseau", "Adam Vincent", "Lina Muller", "Jules Blanc", "Alice Guerin", "Omar Faure",
}

// courierName returns the i-th simulated courier's name, numbered past the list's end.
func courierName(i int) string {
	n := courierNames[i%len(courierNames)]
	if round := i / len(courierNames); round > 0 {
		n = fmt.Sprintf("%s %d", n, round+1)
	}
	return n
}

func newCourier(ctx context.Context, c *client, cfg Config, w *world, kind courier.Kind, station, name string, at geo.LatLng, seed uint64) (*bot, error) {
	vehicle := courier.Bicycle
	if seed%4 == 0 {
		vehicle = courier.Scooter
	}
	var out struct {
		Courier struct {
			ID string `json:"id"`
		} `json:"courier"`
		Token string `json:"token"`
	}
	body := map[string]any{"name": name, "kind": kind, "vehicle": vehicle}
	if station != "" {
		body["station_id"] = station
	}
	if err := c.call(ctx, "POST", "/v1/admin/couriers", cfg.AdminToken, nil, body, &out); err != nil {
		return nil, err
	}
	w.couriers[out.Courier.ID] = kind
	return &bot{id: out.Courier.ID, token: out.Token, kind: kind, speed: min(vehicle.Speed()*cfg.SpeedFactor, maxBotSpeed), pos: at,
		bases: cfg.BaseURLs, clock: cfg.Clock, codes: &w.codes, log: cfg.Log, kick: make(chan struct{}, 1), every: cfg.FixEvery,
		rng: rand.New(rand.NewPCG(seed, 11))}, nil
}
