package sim

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// Config describes one simulation run. Zero values take the defaults in brackets.
type Config struct {
	// BaseURL is the server's base URL (required).
	BaseURL string
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
	// Duration is how long (wall time) the run lasts; zero runs until ctx ends. New
	// orders stop at 70 % of it so the last ones can be delivered.
	Duration time.Duration
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
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

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

// Run sets up the city on the server, runs merchants and couriers until the duration
// ends (or ctx), and returns the KPIs measured through the merchant API.
func Run(ctx context.Context, cfg Config) (KPI, error) {
	cfg.defaults()
	c := &client{base: cfg.BaseURL, http: &http.Client{Timeout: 10 * time.Second}, clock: cfg.Clock}
	w, bots, err := setup(ctx, c, cfg)
	if err != nil {
		return KPI{}, fmt.Errorf("setup: %w", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(runCtx, cfg.Duration)
		defer cancel()
	}
	var wg sync.WaitGroup
	for _, b := range bots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.run(runCtx)
		}()
	}
	orderUntil := time.Time{}
	if cfg.Duration > 0 {
		orderUntil = time.Now().Add(cfg.Duration * 7 / 10)
	}
	orders := runMerchants(runCtx, c, cfg, w, orderUntil)
	<-runCtx.Done()
	wg.Wait()
	return measure(context.WithoutCancel(ctx), c, w, orders)
}

// setup creates the service area, stations, merchants and couriers through the admin API.
func setup(ctx context.Context, c *client, cfg Config) (*world, []*bot, error) {
	admin := cfg.AdminToken
	city := cfg.City
	if err := c.call(ctx, "POST", "/v1/admin/areas", admin, nil, map[string]any{"name": city.Name, "polygon": city.Area}, nil); err != nil {
		return nil, nil, err
	}
	w := &world{couriers: map[string]courier.Kind{}}
	rng := rand.New(rand.NewPCG(cfg.Seed, 7))
	var bots []*bot
	for _, s := range city.Stations {
		var st struct {
			ID string `json:"id"`
		}
		if err := c.call(ctx, "POST", "/v1/admin/stations", admin, nil, map[string]any{"name": s.Name, "zone": s.Zone}, &st); err != nil {
			return nil, nil, err
		}
		for range cfg.FranchisePerStation {
			b, err := newCourier(ctx, c, cfg, w, courier.Franchise, st.ID, courierName(len(bots)),
				geo.Offset(s.Base, rng.NormFloat64()*300, rng.NormFloat64()*300), rng.Uint64())
			if err != nil {
				return nil, nil, err
			}
			bots = append(bots, b)
		}
	}
	for range cfg.Crowd {
		p := city.Dropoff(rng, city.Centre, 3500)
		b, err := newCourier(ctx, c, cfg, w, courier.Crowd, "", courierName(len(bots)), p, rng.Uint64())
		if err != nil {
			return nil, nil, err
		}
		bots = append(bots, b)
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
	return &bot{id: out.Courier.ID, token: out.Token, kind: kind, speed: vehicle.Speed(), pos: at,
		base: cfg.BaseURL, clock: cfg.Clock, codes: &w.codes, log: cfg.Log,
		rng: rand.New(rand.NewPCG(seed, 11))}, nil
}
