package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/webhook"
)

var (
	_ webhook.Store    = (*Store)(nil)
	_ webhook.Settings = (*Store)(nil)
)

// hooks is the webhook outbox, guarded by Store.mu like everything else. Its maps are
// made on first use, so New needs no change for it.
//
// The cursor is per order: how many of the order's events have been turned into
// deliveries. Since a log only grows by appending under the same lock, that is exactly
// "every event appended since the previous Enqueue", without a global event sequence;
// events new to one Enqueue are ordered by their time, then order id and seq.
type hooks struct {
	cursor     map[string]int           // order id → events already enqueued
	deliveries map[string]*hookDelivery // by delivery id
	byOrder    map[string][]string      // order id → delivery ids, creation order
	pending    map[string]struct{}      // ids of deliveries still pending
	serial     int64                    // creation counter, the last tie break
}

type hookDelivery struct {
	webhook.Delivery // URL and Secret empty, Attempts kept here
	serial           int64
}

func (s *Store) hooksLocked() *hooks {
	h := &s.hooks
	if h.cursor == nil {
		h.cursor = map[string]int{}
		h.deliveries = map[string]*hookDelivery{}
		h.byOrder = map[string][]string{}
		h.pending = map[string]struct{}{}
	}
	return h
}

// add creates a pending delivery of e, due at now.
func (h *hooks) add(o dispatch.Order, e dispatch.Event, now time.Time, replay bool) {
	h.serial++
	d := &hookDelivery{serial: h.serial, Delivery: webhook.Delivery{
		ID: dispatch.NewID("whd", now), EventID: webhook.EventID(o.ID, e.Seq), MerchantID: o.MerchantID,
		OrderID: o.ID, Event: e, OrderRef: o.ExternalRef, Replay: replay,
		Status: webhook.Pending, CreatedAt: now, NextAt: now,
	}}
	h.deliveries[d.ID] = d
	h.byOrder[o.ID] = append(h.byOrder[o.ID], d.ID)
	h.pending[d.ID] = struct{}{}
}

// Enqueue turns the events appended since the previous call into deliveries for
// merchants that have a webhook URL now; events of the others are passed over for good.
func (s *Store) Enqueue(_ context.Context, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hooksLocked()
	var fresh []dispatch.Event
	for id, evs := range s.events {
		done := h.cursor[id]
		if done == len(evs) {
			continue
		}
		h.cursor[id] = len(evs)
		if s.merchants[s.orders[id].MerchantID].WebhookURL == "" {
			continue
		}
		fresh = append(fresh, evs[done:]...)
	}
	slices.SortFunc(fresh, func(a, b dispatch.Event) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.OrderID, b.OrderID), cmp.Compare(a.Seq, b.Seq))
	})
	for _, e := range fresh {
		h.add(s.orders[e.OrderID], e, now, false)
	}
	return len(fresh), nil
}

// Claim leases up to limit due deliveries until now+lease, oldest due first.
func (s *Store) Claim(_ context.Context, now time.Time, lease time.Duration, limit int) ([]webhook.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hooksLocked()
	var due []*hookDelivery
	for id := range h.pending {
		if d := h.deliveries[id]; !d.NextAt.After(now) {
			due = append(due, d)
		}
	}
	slices.SortFunc(due, func(a, b *hookDelivery) int {
		return cmp.Or(a.NextAt.Compare(b.NextAt), cmp.Compare(a.serial, b.serial))
	})
	out := []webhook.Delivery{}
	for _, d := range due[:min(len(due), max(limit, 0))] {
		d.NextAt = now.Add(lease)
		c := d.Delivery
		c.Attempts = nil
		m := s.merchants[d.MerchantID]
		c.URL, c.Secret = m.WebhookURL, m.WebhookSecret
		out = append(out, c)
	}
	return out, nil
}

// Record saves an attempt and ends the delivery (done) or schedules it at next.
func (s *Store) Record(_ context.Context, id string, a webhook.Attempt, next time.Time, done bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hooksLocked()
	d, ok := h.deliveries[id]
	if !ok {
		return fmt.Errorf("%w: webhook delivery %s", dispatch.ErrNotFound, id)
	}
	d.Attempts = append(d.Attempts, a)
	d.Tries++
	if d.Status != webhook.Pending {
		return nil
	}
	d.NextAt = next
	if done {
		d.Status = webhook.Dead
		if a.OK() {
			d.Status = webhook.Delivered
		}
		delete(h.pending, id)
	}
	return nil
}

// ownOrder returns the merchant's order or ErrNotFound; s.mu must be held.
func (s *Store) ownOrder(merchantID, orderID string) (dispatch.Order, error) {
	o, ok := s.orders[orderID]
	if !ok || o.MerchantID != merchantID {
		return dispatch.Order{}, fmt.Errorf("%w: order %s", dispatch.ErrNotFound, orderID)
	}
	return o, nil
}

// Replay makes a new delivery of every event of the merchant's order.
func (s *Store) Replay(_ context.Context, merchantID, orderID string, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.ownOrder(merchantID, orderID)
	if err != nil {
		return 0, err
	}
	h := s.hooksLocked()
	evs := s.events[orderID]
	for _, e := range evs {
		h.add(o, e, now, true)
	}
	return len(evs), nil
}

// Deliveries returns the deliveries of the merchant's order with copies of their
// attempts, by creation time, then seq.
func (s *Store) Deliveries(_ context.Context, merchantID, orderID string) ([]webhook.Delivery, error) {
	s.mu.Lock() // hooksLocked may make the maps
	defer s.mu.Unlock()
	if _, err := s.ownOrder(merchantID, orderID); err != nil {
		return nil, err
	}
	h := s.hooksLocked()
	ds := make([]*hookDelivery, 0, len(h.byOrder[orderID]))
	for _, id := range h.byOrder[orderID] {
		ds = append(ds, h.deliveries[id])
	}
	slices.SortFunc(ds, func(a, b *hookDelivery) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.Event.Seq, b.Event.Seq), cmp.Compare(a.serial, b.serial))
	})
	out := make([]webhook.Delivery, len(ds))
	for i, d := range ds {
		out[i] = d.Delivery
		out[i].Attempts = slices.Clone(d.Attempts)
	}
	return out, nil
}

// UpdateMerchantWebhook sets or ("") clears the merchant's webhook URL.
func (s *Store) UpdateMerchantWebhook(_ context.Context, merchantID, url string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.merchants[merchantID]
	if !ok {
		return fmt.Errorf("%w: merchant %s", dispatch.ErrNotFound, merchantID)
	}
	m.WebhookURL = url
	s.merchants[merchantID] = m
	return nil
}
