package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

func byID[T any](id func(T) string) func(a, b T) int {
	return func(a, b T) int { return cmp.Compare(id(a), id(b)) }
}

func directoryCases() []storeCase {
	return []storeCase{
		{"Merchants", func(t *testing.T, s dispatch.Store) {
			at := baseTime()
			var all []dispatch.Merchant
			for i := range 4 {
				all = append(all, newMerchant(at.Add(time.Duration(3-i)*time.Millisecond))) // created out of id order
				ok(t, s.CreateMerchant(t.Context(), all[i]))
			}
			m := all[0]
			got, err := s.Merchant(t.Context(), m.ID)
			ok(t, err)
			same(t, "merchant", got, m, normMerchant)
			got, err = s.MerchantByKeyHash(t.Context(), m.APIKeyHash)
			ok(t, err)
			same(t, "merchant by key hash", got, m, normMerchant)
			list, err := s.Merchants(t.Context())
			ok(t, err)
			slices.SortFunc(all, byID(func(m dispatch.Merchant) string { return m.ID }))
			sameAll(t, "merchants by id", list, all, normMerchant)
		}},
		{"MerchantErrors", func(t *testing.T, s dispatch.Store) {
			m := newMerchant(baseTime())
			ok(t, s.CreateMerchant(t.Context(), m))
			dupID := newMerchant(baseTime())
			dupID.ID = m.ID
			wantErr(t, "duplicate merchant id", s.CreateMerchant(t.Context(), dupID), dispatch.ErrExists)
			_, err := s.MerchantByKeyHash(t.Context(), dupID.APIKeyHash)
			wantErr(t, "key hash of refused merchant", err, dispatch.ErrNotFound)
			dupKey := newMerchant(baseTime())
			dupKey.APIKeyHash = m.APIKeyHash
			wantErr(t, "duplicate key hash", s.CreateMerchant(t.Context(), dupKey), dispatch.ErrExists)
			_, err = s.Merchant(t.Context(), dupKey.ID)
			wantErr(t, "refused merchant", err, dispatch.ErrNotFound)
			_, err = s.MerchantByKeyHash(t.Context(), dispatch.HashSecret("unknown"))
			wantErr(t, "unknown key hash", err, dispatch.ErrNotFound)
			got, err := s.Merchant(t.Context(), m.ID)
			ok(t, err)
			same(t, "merchant after refusals", got, m, normMerchant)
		}},
		{"Couriers", func(t *testing.T, s dispatch.Store) {
			at := baseTime()
			var all []courier.Courier
			for i := range 4 {
				c := newCourier(at.Add(time.Duration(3-i) * time.Millisecond))
				if i%2 == 1 {
					c.Kind, c.StationID, c.Vehicle, c.Capacity = courier.Crowd, "", courier.Bicycle, 3
				}
				all = append(all, c)
				ok(t, s.CreateCourier(t.Context(), c))
			}
			for _, c := range all[:2] {
				got, err := s.Courier(t.Context(), c.ID)
				ok(t, err)
				same(t, "courier", got, c, normCourier)
				got, err = s.CourierByTokenHash(t.Context(), c.TokenHash)
				ok(t, err)
				same(t, "courier by token hash", got, c, normCourier)
			}
			list, err := s.Couriers(t.Context())
			ok(t, err)
			slices.SortFunc(all, byID(func(c courier.Courier) string { return c.ID }))
			sameAll(t, "couriers by id", list, all, normCourier)
		}},
		{"CourierErrors", func(t *testing.T, s dispatch.Store) {
			c := newCourier(baseTime())
			ok(t, s.CreateCourier(t.Context(), c))
			dupID := newCourier(baseTime())
			dupID.ID = c.ID
			wantErr(t, "duplicate courier id", s.CreateCourier(t.Context(), dupID), dispatch.ErrExists)
			_, err := s.CourierByTokenHash(t.Context(), dupID.TokenHash)
			wantErr(t, "token hash of refused courier", err, dispatch.ErrNotFound)
			dupTok := newCourier(baseTime())
			dupTok.TokenHash = c.TokenHash
			wantErr(t, "duplicate token hash", s.CreateCourier(t.Context(), dupTok), dispatch.ErrExists)
			_, err = s.Courier(t.Context(), dupTok.ID)
			wantErr(t, "refused courier", err, dispatch.ErrNotFound)
			_, err = s.CourierByTokenHash(t.Context(), dispatch.HashSecret("unknown"))
			wantErr(t, "unknown token hash", err, dispatch.ErrNotFound)
			got, err := s.Courier(t.Context(), c.ID)
			ok(t, err)
			same(t, "courier after refusals", got, c, normCourier)
		}},
		{"Stations", func(t *testing.T, s dispatch.Store) {
			at := baseTime()
			var all []dispatch.Station
			for i := range 3 {
				st := newStation(at.Add(time.Duration(2-i) * time.Millisecond))
				st.Zone = square(52.5+float64(i)/100, 13.4)
				all = append(all, st)
				ok(t, s.CreateStation(t.Context(), st))
			}
			dup := newStation(at)
			dup.ID = all[0].ID
			wantErr(t, "duplicate station id", s.CreateStation(t.Context(), dup), dispatch.ErrExists)
			list, err := s.Stations(t.Context())
			ok(t, err)
			slices.SortFunc(all, byID(func(s dispatch.Station) string { return s.ID }))
			sameAll(t, "stations by id", list, all, normStation)
		}},
		{"Areas", func(t *testing.T, s dispatch.Store) {
			at := baseTime()
			var all []dispatch.ServiceArea
			for i := range 3 {
				a := newArea(at.Add(time.Duration(2-i) * time.Millisecond))
				a.Polygon = append(square(52.4, 13.3+float64(i)/100), geo.LatLng{Lat: 52.405, Lng: 13.29})
				all = append(all, a)
				ok(t, s.CreateArea(t.Context(), a))
			}
			dup := newArea(at)
			dup.ID = all[0].ID
			wantErr(t, "duplicate area id", s.CreateArea(t.Context(), dup), dispatch.ErrExists)
			list, err := s.Areas(t.Context())
			ok(t, err)
			slices.SortFunc(all, byID(func(a dispatch.ServiceArea) string { return a.ID }))
			sameAll(t, "areas by id", list, all, normArea)
		}},
		{"PolygonsAreCopies", func(t *testing.T, s dispatch.Store) {
			st, a := newStation(baseTime()), newArea(baseTime())
			wantZone, wantPoly := slices.Clone(st.Zone), slices.Clone(a.Polygon)
			ok(t, s.CreateStation(t.Context(), st))
			ok(t, s.CreateArea(t.Context(), a))
			// Neither the caller's slices nor the returned ones alias the stored ones.
			st.Zone[0].Lat, a.Polygon[0].Lat = 1, 1
			for round := range 2 {
				stations, err := s.Stations(t.Context())
				ok(t, err)
				areas, err := s.Areas(t.Context())
				ok(t, err)
				if len(stations) != 1 || len(areas) != 1 {
					t.Fatalf("got %d stations and %d areas, want 1 each", len(stations), len(areas))
				}
				if !slices.Equal(stations[0].Zone, wantZone) || !slices.Equal(areas[0].Polygon, wantPoly) {
					t.Fatalf("round %d: stored polygons changed through a caller's slice: zone %v, polygon %v",
						round, stations[0].Zone, areas[0].Polygon)
				}
				stations[0].Zone[1].Lng, areas[0].Polygon[1].Lng = 2, 2
			}
		}},
		{"NotFoundLookups", func(t *testing.T, s dispatch.Store) {
			for name, err := range map[string]error{
				"Merchant":           second(s.Merchant(t.Context(), "mer_missing")),
				"MerchantByKeyHash":  second(s.MerchantByKeyHash(t.Context(), dispatch.HashSecret("x"))),
				"Courier":            second(s.Courier(t.Context(), "cou_missing")),
				"CourierByTokenHash": second(s.CourierByTokenHash(t.Context(), dispatch.HashSecret("x"))),
			} {
				wantErr(t, fmt.Sprintf("%s on an empty store", name), err, dispatch.ErrNotFound)
			}
			merchants, err := s.Merchants(t.Context())
			ok(t, err)
			couriers, err := s.Couriers(t.Context())
			ok(t, err)
			stations, err := s.Stations(t.Context())
			ok(t, err)
			areas, err := s.Areas(t.Context())
			ok(t, err)
			if len(merchants)+len(couriers)+len(stations)+len(areas) != 0 {
				t.Fatalf("empty store lists %v %v %v %v", merchants, couriers, stations, areas)
			}
		}},
	}
}

// second returns a lookup's error.
func second[T any](_ T, err error) error { return err }
