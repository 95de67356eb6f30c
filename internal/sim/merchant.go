package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// placed is an order the merchants created, remembered for the KPIs.
type placed struct {
	id       string
	merchant int
	payAt    time.Time // scaled time at which the customer pays; zero: never
}

// Shares of orders whose customer never pays (they expire) and that are canceled.
const (
	neverPaidShare = 0.03
	cancelShare    = 0.02
)

// runMerchants creates orders at the configured rate until until (wall time; zero: until
// ctx ends) and pays each through the signed webhook after a short checkout delay.
func runMerchants(ctx context.Context, c *client, cfg Config, w *world, until time.Time) []placed {
	rng := rand.New(rand.NewPCG(cfg.Seed, 13))
	var orders []placed
	gap := time.Duration(float64(time.Minute) / cfg.OrdersPerMinute)
	next := cfg.Clock.Now()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	shown := 0
	for {
		select {
		case <-ctx.Done():
			return orders
		case <-tick.C:
		}
		now := cfg.Clock.Now()
		for i := range orders {
			o := &orders[i]
			if o.payAt.IsZero() || now.Before(o.payAt) {
				continue
			}
			o.payAt = time.Time{}
			if err := c.pay(ctx, cfg.PaymentSecret, "evt_"+o.id, string(dispatch.PaymentSucceeded), o.id); err != nil {
				cfg.Log.Warn("pay", "order", o.id, "err", err)
			}
			if rng.Float64() < cancelShare {
				m := w.merchants[o.merchant]
				_ = c.call(ctx, "POST", "/v1/orders/"+o.id+"/cancel", m.Key, nil, map[string]string{"reason": "customer changed their mind"}, nil)
			}
		}
		if !until.IsZero() && time.Now().After(until) {
			continue
		}
		for !now.Before(next) {
			next = next.Add(time.Duration(rng.ExpFloat64() * float64(gap)))
			o, err := createOrder(ctx, c, cfg, w, rng)
			if err != nil {
				cfg.Log.Warn("create order", "err", err)
				continue
			}
			if rng.Float64() >= neverPaidShare {
				o.payAt = now.Add(time.Duration(10+rng.IntN(40)) * time.Second)
			}
			orders = append(orders, o)
			if shown < cfg.Links {
				shown++
				tok := w.tracking[len(w.tracking)-1]
				fmt.Fprintf(cfg.Out, "order %s from %s\n  track page: %s/track/%s\n  snapshot:   %s/v1/track/%s\n",
					o.id, cfg.City.Shops[o.merchant].Name, cfg.BaseURL, tok, cfg.BaseURL, tok)
			}
		}
	}
}

func createOrder(ctx context.Context, c *client, cfg Config, w *world, rng *rand.Rand) (placed, error) {
	i := rng.IntN(len(cfg.City.Shops))
	shop := cfg.City.Shops[i]
	m := w.merchants[i]
	drop := cfg.City.Dropoff(rng, shop.Pos, 2500)
	req := dispatch.OrderRequest{
		ExternalRef: fmt.Sprintf("sim-%d", rng.Uint32()),
		Pickup:      dispatch.Stop{Pos: shop.Pos, Name: shop.Name},
		Dropoff:     dispatch.Stop{Pos: drop, Name: "Customer"},
		ValueCents:  int64(800 + rng.IntN(4000)),
		ReadyAt:     cfg.Clock.Now().Add(time.Duration(shop.Prep) * time.Minute).Truncate(time.Second),
	}
	var out struct {
		ID          string `json:"id"`
		HandoffCode string `json:"handoff_code"`
		TrackToken  string `json:"track_token"`
	}
	key := map[string]string{"Idempotency-Key": dispatch.NewSecret("idem")}
	if err := c.call(ctx, "POST", "/v1/orders", m.Key, key, req, &out); err != nil {
		return placed{}, err
	}
	w.codes.Store(out.ID, out.HandoffCode)
	w.tracking = append(w.tracking, out.TrackToken)
	return placed{id: out.ID, merchant: i}, nil
}
