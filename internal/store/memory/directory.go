package memory

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// CreateMerchant saves a merchant; a duplicate id or API key hash is ErrExists. An empty
// hash is not indexed: such a merchant cannot be found by key.
func (s *Store) CreateMerchant(_ context.Context, m dispatch.Merchant) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.merchants[m.ID]; ok {
		return fmt.Errorf("%w: merchant %s", dispatch.ErrExists, m.ID)
	}
	if _, ok := s.merchantByKey[m.APIKeyHash]; ok {
		return fmt.Errorf("%w: merchant API key hash", dispatch.ErrExists)
	}
	s.merchants[m.ID] = m
	if m.APIKeyHash != "" {
		s.merchantByKey[m.APIKeyHash] = m.ID
	}
	return nil
}

// Merchant returns one merchant or ErrNotFound.
func (s *Store) Merchant(_ context.Context, id string) (dispatch.Merchant, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.merchants[id]
	if !ok {
		return dispatch.Merchant{}, fmt.Errorf("%w: merchant %s", dispatch.ErrNotFound, id)
	}
	return m, nil
}

// MerchantByKeyHash returns the merchant whose API key hashes to hash, or ErrNotFound.
func (s *Store) MerchantByKeyHash(_ context.Context, hash string) (dispatch.Merchant, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.merchantByKey[hash]
	if !ok {
		return dispatch.Merchant{}, fmt.Errorf("%w: merchant API key hash", dispatch.ErrNotFound)
	}
	return s.merchants[id], nil
}

// Merchants returns every merchant, ascending by id.
func (s *Store) Merchants(_ context.Context) ([]dispatch.Merchant, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.merchants, func(m dispatch.Merchant) dispatch.Merchant { return m }), nil
}

// CreateStation saves a station; a duplicate id is ErrExists.
func (s *Store) CreateStation(_ context.Context, st dispatch.Station) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.stations[st.ID]; ok {
		return fmt.Errorf("%w: station %s", dispatch.ErrExists, st.ID)
	}
	s.stations[st.ID] = cloneStation(st)
	return nil
}

// Stations returns every station, ascending by id.
func (s *Store) Stations(_ context.Context) ([]dispatch.Station, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.stations, cloneStation), nil
}

// CreateCourier saves a courier; a duplicate id or token hash is ErrExists. An empty hash
// is not indexed: such a courier cannot be found by token.
func (s *Store) CreateCourier(_ context.Context, c courier.Courier) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.couriers[c.ID]; ok {
		return fmt.Errorf("%w: courier %s", dispatch.ErrExists, c.ID)
	}
	if _, ok := s.courierByTok[c.TokenHash]; ok {
		return fmt.Errorf("%w: courier token hash", dispatch.ErrExists)
	}
	s.couriers[c.ID] = c
	if c.TokenHash != "" {
		s.courierByTok[c.TokenHash] = c.ID
	}
	return nil
}

// Courier returns one courier or ErrNotFound.
func (s *Store) Courier(_ context.Context, id string) (courier.Courier, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.couriers[id]
	if !ok {
		return courier.Courier{}, fmt.Errorf("%w: courier %s", dispatch.ErrNotFound, id)
	}
	return c, nil
}

// CourierByTokenHash returns the courier whose bearer token hashes to hash, or
// ErrNotFound.
func (s *Store) CourierByTokenHash(_ context.Context, hash string) (courier.Courier, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.courierByTok[hash]
	if !ok {
		return courier.Courier{}, fmt.Errorf("%w: courier token hash", dispatch.ErrNotFound)
	}
	return s.couriers[id], nil
}

// Couriers returns every courier, ascending by id.
func (s *Store) Couriers(_ context.Context) ([]courier.Courier, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.couriers, func(c courier.Courier) courier.Courier { return c }), nil
}

// CreateArea saves a service area; a duplicate id is ErrExists.
func (s *Store) CreateArea(_ context.Context, a dispatch.ServiceArea) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.areas[a.ID]; ok {
		return fmt.Errorf("%w: service area %s", dispatch.ErrExists, a.ID)
	}
	s.areas[a.ID] = cloneArea(a)
	return nil
}

// Areas returns every service area, ascending by id.
func (s *Store) Areas(_ context.Context) ([]dispatch.ServiceArea, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.areas, cloneArea), nil
}

// sortedValues returns copies of m's values ordered by key (the record id).
func sortedValues[V any](m map[string]V, clone func(V) V) []V {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]V, len(keys))
	for i, k := range keys {
		out[i] = clone(m[k])
	}
	return out
}

func cloneStation(st dispatch.Station) dispatch.Station {
	st.Zone = slices.Clone(st.Zone)
	return st
}

func cloneArea(a dispatch.ServiceArea) dispatch.ServiceArea {
	a.Polygon = slices.Clone(a.Polygon)
	return a
}
