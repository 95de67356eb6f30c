package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

const merchantColumns = "id, name, coalesce(api_key_hash, ''), webhook_url, webhook_secret, created_at"

func scanMerchant(row scanner) (dispatch.Merchant, error) {
	var m dispatch.Merchant
	err := row.Scan(&m.ID, &m.Name, &m.APIKeyHash, &m.WebhookURL, &m.WebhookSecret, &m.CreatedAt)
	m.CreatedAt = m.CreatedAt.UTC()
	return m, err
}

// CreateMerchant saves a merchant; a duplicate id or API key hash is ErrExists. An empty
// hash is stored as NULL: such a merchant cannot be found by key.
func (s *Store) CreateMerchant(ctx context.Context, m dispatch.Merchant) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO merchants (id, name, api_key_hash, webhook_url, webhook_secret, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, m.ID, m.Name, nullString(m.APIKeyHash), m.WebhookURL, m.WebhookSecret, m.CreatedAt)
	return mapErr("merchant "+m.ID, err)
}

// Merchant returns one merchant or ErrNotFound.
func (s *Store) Merchant(ctx context.Context, id string) (dispatch.Merchant, error) {
	m, err := scanMerchant(s.pool.QueryRow(ctx, "SELECT "+merchantColumns+" FROM merchants WHERE id = $1", id))
	return m, mapErr("merchant "+id, err)
}

// MerchantByKeyHash returns the merchant whose API key hashes to hash, or ErrNotFound.
func (s *Store) MerchantByKeyHash(ctx context.Context, hash string) (dispatch.Merchant, error) {
	m, err := scanMerchant(s.pool.QueryRow(ctx, "SELECT "+merchantColumns+" FROM merchants WHERE api_key_hash = $1", hash))
	return m, mapErr("merchant API key hash", err)
}

// Merchants returns every merchant, ascending by id.
func (s *Store) Merchants(ctx context.Context) ([]dispatch.Merchant, error) {
	return list(ctx, s, "merchants", "SELECT "+merchantColumns+" FROM merchants ORDER BY id", scanMerchant)
}

const stationColumns = "id, name, zone, window_ns, created_at"

func scanStation(row scanner) (dispatch.Station, error) {
	var st dispatch.Station
	var window int64
	err := row.Scan(&st.ID, &st.Name, &st.Zone, &window, &st.CreatedAt)
	st.Window, st.CreatedAt = time.Duration(window), st.CreatedAt.UTC()
	return st, err
}

// CreateStation saves a station with its zone; a duplicate id is ErrExists.
func (s *Store) CreateStation(ctx context.Context, st dispatch.Station) error {
	_, err := s.pool.Exec(ctx, "INSERT INTO stations ("+stationColumns+") VALUES ($1, $2, $3, $4, $5)",
		st.ID, st.Name, st.Zone, int64(st.Window), st.CreatedAt)
	return mapErr("station "+st.ID, err)
}

// Stations returns every station, ascending by id.
func (s *Store) Stations(ctx context.Context) ([]dispatch.Station, error) {
	return list(ctx, s, "stations", "SELECT "+stationColumns+" FROM stations ORDER BY id", scanStation)
}

const courierColumns = "id, name, kind, station_id, vehicle, capacity, created_at, coalesce(token_hash, '')"

func scanCourier(row scanner) (courier.Courier, error) {
	var c courier.Courier
	err := row.Scan(&c.ID, &c.Name, &c.Kind, &c.StationID, &c.Vehicle, &c.Capacity, &c.CreatedAt, &c.TokenHash)
	c.CreatedAt = c.CreatedAt.UTC()
	return c, err
}

// CreateCourier saves a courier; a duplicate id or token hash is ErrExists. An empty hash
// is stored as NULL: such a courier cannot be found by token.
func (s *Store) CreateCourier(ctx context.Context, c courier.Courier) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO couriers (id, name, kind, station_id, vehicle, capacity, created_at, token_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, c.ID, c.Name, string(c.Kind), c.StationID, string(c.Vehicle),
		c.Capacity, c.CreatedAt, nullString(c.TokenHash))
	return mapErr("courier "+c.ID, err)
}

// Courier returns one courier or ErrNotFound.
func (s *Store) Courier(ctx context.Context, id string) (courier.Courier, error) {
	c, err := scanCourier(s.pool.QueryRow(ctx, "SELECT "+courierColumns+" FROM couriers WHERE id = $1", id))
	return c, mapErr("courier "+id, err)
}

// CourierByTokenHash returns the courier whose bearer token hashes to hash, or
// ErrNotFound.
func (s *Store) CourierByTokenHash(ctx context.Context, hash string) (courier.Courier, error) {
	c, err := scanCourier(s.pool.QueryRow(ctx, "SELECT "+courierColumns+" FROM couriers WHERE token_hash = $1", hash))
	return c, mapErr("courier token hash", err)
}

// Couriers returns every courier, ascending by id.
func (s *Store) Couriers(ctx context.Context) ([]courier.Courier, error) {
	return list(ctx, s, "couriers", "SELECT "+courierColumns+" FROM couriers ORDER BY id", scanCourier)
}

const areaColumns = "id, name, polygon, created_at"

func scanArea(row scanner) (dispatch.ServiceArea, error) {
	var a dispatch.ServiceArea
	err := row.Scan(&a.ID, &a.Name, &a.Polygon, &a.CreatedAt)
	a.CreatedAt = a.CreatedAt.UTC()
	return a, err
}

// CreateArea saves a service area; a duplicate id is ErrExists.
func (s *Store) CreateArea(ctx context.Context, a dispatch.ServiceArea) error {
	_, err := s.pool.Exec(ctx, "INSERT INTO service_areas ("+areaColumns+") VALUES ($1, $2, $3, $4)",
		a.ID, a.Name, a.Polygon, a.CreatedAt)
	return mapErr("service area "+a.ID, err)
}

// Areas returns every service area, ascending by id.
func (s *Store) Areas(ctx context.Context) ([]dispatch.ServiceArea, error) {
	return list(ctx, s, "service areas", "SELECT "+areaColumns+" FROM service_areas ORDER BY id", scanArea)
}

// list runs query and scans every row with scan; no rows is an empty, non-nil slice.
func list[T any](ctx context.Context, s *Store, what, query string, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := s.pool.Query(ctx, query)
	if err != nil {
		return nil, mapErr(what, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
	if err != nil {
		return nil, mapErr(what, err)
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}
