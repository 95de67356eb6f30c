package postgres_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/postgres"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/storetest"
	"github.com/hummingbird-dispatch/hummingbird/internal/webhook"
)

func TestWebhook(t *testing.T) {
	storetest.Webhook(t, func(t *testing.T) storetest.WebhookStore { return newStore(t) })
}

// Two servers' deliverers share one outbox: every event reaches the merchant exactly
// once (no failures here), whichever server claims it.
func TestDeliverersShareOutbox(t *testing.T) {
	schema := newSchema(t)
	a := openIn(t, schema)
	if _, err := a.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	b := openIn(t, schema)

	var mu sync.Mutex
	got := map[string]int{}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.Header.Get(webhook.HeaderEventID)]++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rcv.Close)

	now := time.Now().UTC().Truncate(time.Microsecond)
	m := dispatch.Merchant{ID: dispatch.NewID("mer", now), Name: "Zimt", WebhookURL: rcv.URL,
		WebhookSecret: "whsec_x", CreatedAt: now}
	if err := a.CreateMerchant(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	const orders = 10
	for range orders {
		id := dispatch.NewID("ord", now)
		o := dispatch.Order{ID: id, MerchantID: m.ID, State: dispatch.PendingPayment, Version: 1, Seq: 2,
			Pickup: dispatch.Stop{}, Dropoff: dispatch.Stop{}, Currency: "EUR", CreatedAt: now}
		evs := []dispatch.Event{
			{OrderID: id, Seq: 1, Type: dispatch.StateEvent(dispatch.PendingPayment), State: dispatch.PendingPayment, At: now},
			{OrderID: id, Seq: 2, Type: dispatch.EventPaymentFailed, State: dispatch.PendingPayment, At: now},
		}
		if err := a.CreateOrder(t.Context(), o, evs); err != nil {
			t.Fatal(err)
		}
	}

	var ds []*webhook.Deliverer
	for _, s := range []*postgres.Store{a, b} {
		d, err := webhook.New(webhook.Config{Concurrency: 3, AllowPrivateNetworks: true}, s, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.CloseIdleConnections)
		ds = append(ds, d)
	}
	var wg sync.WaitGroup
	for _, d := range ds {
		wg.Go(func() {
			for {
				n, err := d.Step(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2*orders {
		t.Fatalf("%d distinct events arrived, want %d", len(got), 2*orders)
	}
	for id, n := range got {
		if n != 1 {
			t.Fatalf("event %s arrived %d times", id, n)
		}
	}
}
