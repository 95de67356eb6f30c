package storetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/webhook"
)

// WebhookStore is what the webhook suite needs of an adapter: the outbox and the
// merchant setting, plus orders and merchants to fill it.
type WebhookStore interface {
	dispatch.OrderStore
	dispatch.DirectoryStore
	webhook.Store
	webhook.Settings
}

// hookCase is one subtest of the webhook suite.
type hookCase struct {
	name string
	run  func(t *testing.T, s WebhookStore)
}

// Webhook runs the webhook.Store and webhook.Settings conformance suite against stores
// made by newStore (each call returns a fresh, empty store).
func Webhook(t *testing.T, newStore func(t *testing.T) WebhookStore) {
	t.Helper()
	for _, c := range hookCases() {
		t.Run(c.name, func(t *testing.T) { c.run(t, newStore(t)) })
	}
}

// lease is the lease the suite claims with.
const lease = time.Minute

// hookMerchant saves a merchant with the given webhook URL ("" for none).
func hookMerchant(t *testing.T, s WebhookStore, url string) dispatch.Merchant {
	t.Helper()
	m := newMerchant(baseTime())
	m.WebhookURL = url
	ok(t, s.CreateMerchant(t.Context(), m))
	return m
}

// hookOrder saves a fresh order of the merchant and returns it with its events.
func hookOrder(t *testing.T, s WebhookStore, merchantID string, at time.Time) (dispatch.Order, []dispatch.Event) {
	t.Helper()
	o, evs := newOrder(merchantID, at)
	ok(t, s.CreateOrder(t.Context(), o, evs))
	return o, evs
}

// grow appends n events to o in one UpdateOrder and returns the order and all its events.
func grow(t *testing.T, s WebhookStore, o dispatch.Order, evs []dispatch.Event, n int) (dispatch.Order, []dispatch.Event) {
	t.Helper()
	prev := o.Version
	o, more := advance(o, n, "grow")
	ok(t, s.UpdateOrder(t.Context(), o, prev, more))
	return o, append(slices.Clone(evs), more...)
}

func enqueue(t *testing.T, s WebhookStore, now time.Time, want int) {
	t.Helper()
	n, err := s.Enqueue(t.Context(), now)
	ok(t, err)
	if n != want {
		t.Fatalf("Enqueue at %v made %d deliveries, want %d", now, n, want)
	}
}

func claim(t *testing.T, s WebhookStore, now time.Time, limit, want int) []webhook.Delivery {
	t.Helper()
	ds, err := s.Claim(t.Context(), now, lease, limit)
	ok(t, err)
	if len(ds) != want {
		t.Fatalf("Claim(limit %d) at %v returned %d deliveries, want %d: %+v", limit, now, len(ds), want, ds)
	}
	return ds
}

// bySeq sorts deliveries of one order by seq, then id (claims are ordered by due time,
// and within one Enqueue each backend picks its own order).
func bySeq(ds []webhook.Delivery) []webhook.Delivery {
	slices.SortFunc(ds, func(a, b webhook.Delivery) int {
		return cmp.Or(cmp.Compare(a.Event.Seq, b.Event.Seq), cmp.Compare(a.ID, b.ID))
	})
	return ds
}

func deliveries(t *testing.T, s WebhookStore, merchantID, orderID string) []webhook.Delivery {
	t.Helper()
	ds, err := s.Deliveries(t.Context(), merchantID, orderID)
	ok(t, err)
	return ds
}

// wantDelivery checks the fields of a fresh, never attempted delivery of e.
func wantDelivery(t *testing.T, d webhook.Delivery, m dispatch.Merchant, o dispatch.Order, e dispatch.Event, created time.Time, replay bool) {
	t.Helper()
	if d.ID == "" || d.EventID != webhook.EventID(o.ID, e.Seq) || d.MerchantID != m.ID || d.OrderID != o.ID ||
		d.Event.Seq != e.Seq || d.OrderRef != o.ExternalRef || d.Replay != replay || d.Status != webhook.Pending ||
		d.Tries != 0 || !d.CreatedAt.Equal(created) {
		t.Fatalf("delivery %+v\n does not carry event %+v of order %s (merchant %s, created %v, replay %v)",
			d, e, o.ID, m.ID, created, replay)
	}
	same(t, "delivered event", d.Event, e, normEvent)
}

// sameAttempt compares attempts as instants.
func sameAttempt(t *testing.T, what string, got, want webhook.Attempt) {
	t.Helper()
	if !got.At.Equal(want.At) || got.StatusCode != want.StatusCode || got.Error != want.Error || got.Duration != want.Duration {
		t.Fatalf("%s: attempt %+v, want %+v", what, got, want)
	}
}

func hookCases() []hookCase {
	return []hookCase{
		{"EnqueueAndClaim", func(t *testing.T, s WebhookStore) {
			m := hookMerchant(t, s, "https://shop.example/hooks")
			quiet := hookMerchant(t, s, "")
			o, evs := hookOrder(t, s, m.ID, baseTime())
			hookOrder(t, s, quiet.ID, baseTime())
			now := baseTime()
			enqueue(t, s, now, len(evs))
			enqueue(t, s, now, 0)
			ds := bySeq(claim(t, s, now, 10, len(evs)))
			for i, d := range ds {
				wantDelivery(t, d, m, o, evs[i], now, false)
				if d.URL != m.WebhookURL || d.Secret != m.WebhookSecret || !d.NextAt.Equal(now.Add(lease)) {
					t.Fatalf("claimed %+v: want URL %s, the merchant's secret and the lease end", d, m.WebhookURL)
				}
			}
			list := deliveries(t, s, m.ID, o.ID)
			if len(list) != len(evs) || list[0].ID != ds[0].ID || list[1].ID != ds[1].ID { // by seq
				t.Fatalf("Deliveries %+v, want the claimed ones %+v", list, ds)
			}
		}},
		{"EnqueueOnlyNewEvents", func(t *testing.T, s WebhookStore) {
			m := hookMerchant(t, s, "https://shop.example/hooks")
			o, evs := hookOrder(t, s, m.ID, baseTime())
			enqueue(t, s, baseTime(), 2)
			o, evs = grow(t, s, o, evs, 3)
			o2, evs2 := hookOrder(t, s, m.ID, baseTime())
			enqueue(t, s, baseTime(), 5)
			enqueue(t, s, baseTime(), 0)
			for _, c := range []struct {
				o   dispatch.Order
				evs []dispatch.Event
			}{{o, evs}, {o2, evs2}} {
				var seqs []int64
				for _, d := range deliveries(t, s, m.ID, c.o.ID) {
					seqs = append(seqs, d.Event.Seq)
				}
				slices.Sort(seqs)
				if want := []int64{1, 2, 3, 4, 5}[:len(c.evs)]; !slices.Equal(seqs, want) {
					t.Fatalf("order %s: deliveries of seqs %v, want each of %v once", c.o.ID, seqs, want)
				}
			}
		}},
		{"EnqueueFollowsTheURL", func(t *testing.T, s WebhookStore) {
			m := hookMerchant(t, s, "")
			o, evs := hookOrder(t, s, m.ID, baseTime())
			enqueue(t, s, baseTime(), 0) // passed over for good: there was no URL
			ok(t, s.UpdateMerchantWebhook(t.Context(), m.ID, "https://shop.example/new"))
			enqueue(t, s, baseTime(), 0)
			o, evs = grow(t, s, o, evs, 1)
			enqueue(t, s, baseTime(), 1)
			ok(t, s.UpdateMerchantWebhook(t.Context(), m.ID, ""))
			o, _ = grow(t, s, o, evs, 2)
			enqueue(t, s, baseTime(), 0)
			list := deliveries(t, s, m.ID, o.ID)
			if len(list) != 1 || list[0].Event.Seq != 3 {
				t.Fatalf("deliveries %+v, want only seq 3 (the one event while a URL was set)", list)
			}
		}},
		{"EnqueueConcurrent", func(t *testing.T, s WebhookStore) {
			m := hookMerchant(t, s, "https://shop.example/hooks")
			o, evs := hookOrder(t, s, m.ID, baseTime())
			total := 0
			for round := range rounds {
				o, evs = grow(t, s, o, evs, 1+round%3)
				counts := make([]int, racers)
				errs := make([]error, racers)
				now := baseTime()
				race(func(i int) { counts[i], errs[i] = s.Enqueue(context.Background(), now) })
				for i := range racers {
					ok(t, errs[i])
					total += counts[i]
				}
			}
			if total != len(evs) {
				t.Fatalf("concurrent Enqueues made %d deliveries for %d events", total, len(evs))
			}
			seen := map[string]bool{}
			for _, d := range deliveries(t, s, m.ID, o.ID) {
				if seen[d.EventID] {
					t.Fatalf("event %s enqueued twice", d.EventID)
				}
				seen[d.EventID] = true
			}
			if len(seen) != len(evs) {
				t.Fatalf("%d events delivered, want %d", len(seen), len(evs))
			}
		}},
		{"EnqueueWhileWriting", func(t *testing.T, s WebhookStore) {
			// Writers append events while enqueuers run: an event committed after a
			// later one (in id or time order) must still be enqueued, and only once.
			m := hookMerchant(t, s, "https://shop.example/hooks")
			const writers, writes = 4, 15
			orders := make([]dispatch.Order, writers)
			for i := range orders {
				orders[i], _ = hookOrder(t, s, m.ID, baseTime())
			}
			var made atomic.Int64
			stop := make(chan struct{})
			var enqueuers sync.WaitGroup
			errs := make(chan error, writers+2)
			for range 2 {
				enqueuers.Go(func() {
					for {
						n, err := s.Enqueue(context.Background(), baseTime())
						if err != nil {
							errs <- err
							return
						}
						made.Add(int64(n))
						select {
						case <-stop:
							return
						default:
						}
					}
				})
			}
			var ws sync.WaitGroup
			for i := range writers {
				ws.Go(func() {
					o := orders[i]
					for range writes {
						prev := o.Version
						var evs []dispatch.Event
						o, evs = advance(o, 1, "write")
						if err := s.UpdateOrder(context.Background(), o, prev, evs); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			ws.Wait()
			close(stop)
			enqueuers.Wait()
			close(errs)
			for err := range errs {
				ok(t, err)
			}
			n, err := s.Enqueue(t.Context(), baseTime())
			ok(t, err)
			made.Add(int64(n))
			want := writers * (2 + writes)
			if made.Load() != int64(want) {
				t.Fatalf("Enqueues made %d deliveries for %d events", made.Load(), want)
			}
			for _, o := range orders {
				seen := map[int64]bool{}
				for _, d := range deliveries(t, s, m.ID, o.ID) {
					if seen[d.Event.Seq] {
						t.Fatalf("order %s seq %d enqueued twice", o.ID, d.Event.Seq)
					}
					seen[d.Event.Seq] = true
				}
				if len(seen) != 2+writes {
					t.Fatalf("order %s: %d of %d events enqueued", o.ID, len(seen), 2+writes)
				}
			}
		}},
		{"ClaimLeases", func(t *testing.T, s WebhookStore) {
			m := hookMerchant(t, s, "https://shop.example/hooks")
			hookOrder(t, s, m.ID, baseTime())
			hookOrder(t, s, m.ID, baseTime())
			now := baseTime()
			enqueue(t, s, now, 4)
			claim(t, s, now, 0, 0)
			first := claim(t, s, now, 3, 3)
			rest := claim(t, s, now, 3, 1)
			claim(t, s, now.Add(lease-time.Microsecond), 10, 0)
			again := claim(t, s, now.Add(lease), 10, 4)
			var a, b []string
			for _, d := range slices.Concat(first, rest) {
				a = append(a, d.ID)
			}
			for _, d := range again {
				b = append(b, d.ID)
			}
			slices.Sort(a)
			slices.Sort(b)
			if !slices.Equal(a, b) || slices.Contains(a[1:], a[0]) {
				t.Fatalf("claims %v then, after the lease, %v: want the same four deliveries", a, b)
			}
		}},
		{"ClaimConcurrent", func(t *testing.T, s WebhookStore) {
			m := hookMerchant(t, s, "https://shop.example/hooks")
			const want = 20
			for range want / 10 {
				o, evs := hookOrder(t, s, m.ID, baseTime())
				grow(t, s, o, evs, 10-len(evs))
			}
			now := baseTime()
			enqueue(t, s, now, want)
			got := make([][]webhook.Delivery, racers)
			errs := make([]error, racers)
			race(func(i int) { got[i], errs[i] = s.Claim(context.Background(), now, lease, 3) })
			seen := map[string]bool{}
			for i := range racers {
				ok(t, errs[i])
				for _, d := range got[i] {
					if seen[d.ID] {
						t.Fatalf("delivery %s claimed twice at once", d.ID)
					}
					seen[d.ID] = true
				}
			}
			left, err := s.Claim(t.Context(), now, lease, want)
			ok(t, err)
			if len(seen)+len(left) != want {
				t.Fatalf("%d claimed by racers and %d left, want %d in all", len(seen), len(left), want)
			}
		}},
		{"RecordRetryDeliveredDead", func(t *testing.T, s WebhookStore) {
			m := hookMerchant(t, s, "https://shop.example/hooks")
			o, evs := hookOrder(t, s, m.ID, baseTime())
			grow(t, s, o, evs, 1)
			now := baseTime()
			enqueue(t, s, now, 3)
			ds := bySeq(claim(t, s, now, 10, 3))
			fail := webhook.Attempt{At: now, StatusCode: 500, Duration: 1500 * time.Microsecond}
			hang := webhook.Attempt{At: now.Add(time.Second), Error: "timeout after 10s", Duration: 10 * time.Second}
			good := webhook.Attempt{At: now, StatusCode: 204, Duration: 3 * time.Millisecond}
			next := now.Add(10 * time.Second)
			ok(t, s.Record(t.Context(), ds[0].ID, fail, next, false))
			ok(t, s.Record(t.Context(), ds[1].ID, good, now, true))
			ok(t, s.Record(t.Context(), ds[2].ID, hang, now, true))
			claim(t, s, next.Add(-time.Microsecond), 10, 0)
			retry := claim(t, s, next, 10, 1)
			if retry[0].ID != ds[0].ID || retry[0].Tries != 1 {
				t.Fatalf("retry %+v, want %s after 1 try", retry[0], ds[0].ID)
			}
			// A late attempt on an ended delivery is kept but changes nothing.
			ok(t, s.Record(t.Context(), ds[1].ID, fail, next, false))
			claim(t, s, next.Add(time.Hour), 10, 1)
			list := deliveries(t, s, m.ID, o.ID)
			wantStatus := []webhook.Status{webhook.Pending, webhook.Delivered, webhook.Dead}
			wantAttempts := [][]webhook.Attempt{{fail}, {good, fail}, {hang}}
			for i, d := range list {
				if d.ID != ds[i].ID || d.Status != wantStatus[i] || d.Tries != len(wantAttempts[i]) || len(d.Attempts) != d.Tries {
					t.Fatalf("delivery %d: %+v, want %s %s with %d attempts", i, d, ds[i].ID, wantStatus[i], len(wantAttempts[i]))
				}
				for j, a := range d.Attempts {
					sameAttempt(t, fmt.Sprintf("delivery %d attempt %d", i, j), a, wantAttempts[i][j])
				}
			}
			wantErr(t, "Record of an unknown delivery",
				s.Record(t.Context(), "whd_missing", good, now, true), dispatch.ErrNotFound)
		}},
		{"Replay", func(t *testing.T, s WebhookStore) {
			m := hookMerchant(t, s, "https://shop.example/hooks")
			other := hookMerchant(t, s, "https://other.example/hooks")
			o, evs := hookOrder(t, s, m.ID, baseTime())
			o, evs = grow(t, s, o, evs, 1)
			now := baseTime()
			enqueue(t, s, now, 3)
			for _, d := range claim(t, s, now, 10, 3) {
				ok(t, s.Record(t.Context(), d.ID, webhook.Attempt{At: now, StatusCode: 200}, now, true))
			}
			later := now.Add(time.Minute)
			n, err := s.Replay(t.Context(), m.ID, o.ID, later)
			ok(t, err)
			if n != len(evs) {
				t.Fatalf("Replay made %d deliveries, want %d", n, len(evs))
			}
			enqueue(t, s, later, 0)
			replayed := bySeq(claim(t, s, later, 10, 3))
			list := deliveries(t, s, m.ID, o.ID)
			if len(list) != 6 {
				t.Fatalf("%d deliveries after a replay, want 6", len(list))
			}
			for i, d := range list[3:] {
				wantDelivery(t, d, m, o, evs[i], later, true)
				if d.ID == list[i].ID || d.EventID != list[i].EventID || d.ID != replayed[i].ID {
					t.Fatalf("replayed %+v\n original %+v: want a new delivery of the same event", d, list[i])
				}
			}
			_, err = s.Replay(t.Context(), other.ID, o.ID, later)
			wantErr(t, "Replay of another merchant's order", err, dispatch.ErrNotFound)
			_, err = s.Replay(t.Context(), m.ID, "ord_missing", later)
			wantErr(t, "Replay of an unknown order", err, dispatch.ErrNotFound)
		}},
		{"DeliveriesLookups", func(t *testing.T, s WebhookStore) {
			m := hookMerchant(t, s, "")
			other := hookMerchant(t, s, "https://other.example/hooks")
			o, _ := hookOrder(t, s, m.ID, baseTime())
			list := deliveries(t, s, m.ID, o.ID)
			if list == nil || len(list) != 0 {
				t.Fatalf("deliveries of an order without any: %#v, want an empty list", list)
			}
			_, err := s.Deliveries(t.Context(), other.ID, o.ID)
			wantErr(t, "Deliveries of another merchant's order", err, dispatch.ErrNotFound)
			_, err = s.Deliveries(t.Context(), m.ID, "ord_missing")
			wantErr(t, "Deliveries of an unknown order", err, dispatch.ErrNotFound)
		}},
		{"UpdateMerchantWebhook", func(t *testing.T, s WebhookStore) {
			m := hookMerchant(t, s, "https://shop.example/old")
			hookOrder(t, s, m.ID, baseTime())
			now := baseTime()
			enqueue(t, s, now, 2)
			ok(t, s.UpdateMerchantWebhook(t.Context(), m.ID, "https://shop.example/new"))
			got, err := s.Merchant(t.Context(), m.ID)
			ok(t, err)
			m.WebhookURL = "https://shop.example/new"
			same(t, "merchant after the update", got, m, normMerchant)
			// Claim reads the URL at sending time, not at enqueueing time.
			if d := claim(t, s, now, 1, 1)[0]; d.URL != m.WebhookURL {
				t.Fatalf("claimed with URL %q, want the new %q", d.URL, m.WebhookURL)
			}
			ok(t, s.UpdateMerchantWebhook(t.Context(), m.ID, ""))
			if d := claim(t, s, now, 1, 1)[0]; d.URL != "" || d.Secret != m.WebhookSecret {
				t.Fatalf("claimed after clearing the URL: URL %q, want none (and the secret)", d.URL)
			}
			wantErr(t, "update of an unknown merchant",
				s.UpdateMerchantWebhook(t.Context(), "mer_missing", "https://x.example"), dispatch.ErrNotFound)
		}},
	}
}
