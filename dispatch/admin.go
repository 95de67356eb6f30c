package dispatch

import (
	"context"
	"fmt"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

func checkName(name string) error {
	if n := utf8.RuneCountInString(name); n < 1 || n > 100 || !utf8.ValidString(name) {
		return invalid("name", "must be 1-100 characters")
	}
	return nil
}

// CreateMerchant registers a merchant and returns it with its API key, shown only now.
func (e *Engine) CreateMerchant(ctx context.Context, name, webhookURL string) (Merchant, string, error) {
	if err := checkName(name); err != nil {
		return Merchant{}, "", err
	}
	if webhookURL != "" {
		u, err := url.Parse(webhookURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(webhookURL) > 2000 {
			return Merchant{}, "", invalid("webhook_url", "must be an absolute http(s) URL")
		}
	}
	now := e.clock.Now().Truncate(time.Microsecond)
	key := NewSecret("mk")
	m := Merchant{ID: NewID("mer", now), Name: name, APIKeyHash: HashSecret(key), WebhookURL: webhookURL,
		WebhookSecret: NewSecret("whsec"), CreatedAt: now}
	if err := e.store.CreateMerchant(ctx, m); err != nil {
		return Merchant{}, "", err
	}
	return m, key, nil
}

// CreateStation registers a station and its zone; pickups in the zone go to its couriers
// first. Zones of stations may not overlap.
func (e *Engine) CreateStation(ctx context.Context, s Station) (Station, error) {
	if err := checkName(s.Name); err != nil {
		return Station{}, err
	}
	if s.Window < 0 || s.Window > time.Hour {
		return Station{}, invalid("window", "must be 0..1h")
	}
	cells, err := s.Zone.Cover(geo.ZoneRes)
	if err != nil {
		return Station{}, invalid("zone", "%v", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range cells.Cells() {
		if other, ok := e.zones[c]; ok {
			return Station{}, invalid("zone", "overlaps station %s", other)
		}
	}
	now := e.clock.Now().Truncate(time.Microsecond)
	s.ID, s.CreatedAt = NewID("sta", now), now
	if err := e.store.CreateStation(ctx, s); err != nil {
		return Station{}, err
	}
	e.addStation(s, cells)
	return s, nil
}

func (e *Engine) addStation(s Station, cells geo.CellSet) {
	e.stations[s.ID] = s
	for _, c := range cells.Cells() {
		e.zones[c] = s.ID
	}
}

// Stations returns every station.
func (e *Engine) Stations(ctx context.Context) ([]Station, error) { return e.store.Stations(ctx) }

// CreateArea registers a service area.
func (e *Engine) CreateArea(ctx context.Context, a ServiceArea) (ServiceArea, error) {
	if err := checkName(a.Name); err != nil {
		return ServiceArea{}, err
	}
	cells, err := a.Polygon.Cover(geo.ZoneRes)
	if err != nil {
		return ServiceArea{}, invalid("polygon", "%v", err)
	}
	now := e.clock.Now().Truncate(time.Microsecond)
	a.ID, a.CreatedAt = NewID("area", now), now
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.store.CreateArea(ctx, a); err != nil {
		return ServiceArea{}, err
	}
	e.areas = append(e.areas, cells)
	return a, nil
}

// Areas returns every service area.
func (e *Engine) Areas(ctx context.Context) ([]ServiceArea, error) { return e.store.Areas(ctx) }

// CreateCourier registers a courier and returns it with its bearer token, shown only now.
func (e *Engine) CreateCourier(ctx context.Context, c courier.Courier) (courier.Courier, string, error) {
	if err := c.Normalize(); err != nil {
		return courier.Courier{}, "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if c.Kind == courier.Franchise {
		e.mu.Lock()
		_, ok := e.stations[c.StationID]
		e.mu.Unlock()
		if !ok {
			return courier.Courier{}, "", invalid("station_id", "no station %q", c.StationID)
		}
	}
	now := e.clock.Now().Truncate(time.Microsecond)
	token := NewSecret("ct")
	c.ID, c.CreatedAt, c.TokenHash = NewID("cou", now), now, HashSecret(token)
	if err := e.store.CreateCourier(ctx, c); err != nil {
		return courier.Courier{}, "", err
	}
	return c, token, nil
}

// Couriers returns every registered courier.
func (e *Engine) Couriers(ctx context.Context) ([]courier.Courier, error) {
	return e.store.Couriers(ctx)
}

// Start loads stations, areas and every open order from the store, so that after a
// restart each paid order is back in the queue or with its courier. Offers are not
// persisted: orders that had one are simply offered again.
func (e *Engine) Start(ctx context.Context) error {
	stations, err := e.store.Stations(ctx)
	if err != nil {
		return err
	}
	areas, err := e.store.Areas(ctx)
	if err != nil {
		return err
	}
	open, err := e.store.OpenOrders(ctx)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	for _, s := range stations {
		cells, err := s.Zone.Cover(geo.ZoneRes)
		if err != nil {
			return fmt.Errorf("station %s: %w", s.ID, err)
		}
		e.addStation(s, cells)
	}
	for _, a := range areas {
		cells, err := a.Polygon.Cover(geo.ZoneRes)
		if err != nil {
			return fmt.Errorf("area %s: %w", a.ID, err)
		}
		e.areas = append(e.areas, cells)
	}
	for _, o := range open {
		switch {
		case o.State == PendingPayment:
			e.unpaid[o.ID] = o.ExpiresAt
		case o.State == Paid || o.State == Dispatching:
			if err := e.enqueue(ctx, o, now); err != nil {
				return fmt.Errorf("order %s: %w", o.ID, err)
			}
		case o.State.Active():
			s := e.sessions[o.CourierID]
			if s == nil {
				c, err := e.store.Courier(ctx, o.CourierID)
				if err != nil {
					return fmt.Errorf("order %s courier: %w", o.ID, err)
				}
				s = newSession(c)
				s.state = courier.Busy
				e.sessions[c.ID] = s
			}
			s.active[o.ID] = true
		}
	}
	return nil
}
