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
	payAt    time.Time // scaled time at which the customer pays; zero: never (or done)
	payTries int
}

// Shares of orders whose customer never pays (they expire) and that are canceled.
const (
	neverPaidShare = 0.03
	cancelShare    = 0.02
)

// PayAttempts is how many times a merchant sends a payment webhook that got no answer
// (each attempt after the client's own retries), with the same event id, payAgain apart.
const PayAttempts = 5

const payAgain = 2 * time.Second

// runMerchants creates orders at the configured rate until until (wall time; zero: until
// ctx ends), Config.Orders or StopOrders, and pays each through the signed webhook after
// a short checkout delay.
func runMerchants(ctx context.Context, s *Sim, until time.Time) []placed {
	c, cfg, w := s.c, s.cfg, s.w
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
			res, err := c.pay(ctx, cfg.PaymentSecret, "evt_"+o.id, string(dispatch.PaymentSucceeded), o.id)
			if ctx.Err() != nil {
				return orders
			}
			s.ledger.paid(o.id, res, err)
			o.payAt, o.payTries = time.Time{}, o.payTries+1
			if err != nil {
				cfg.Log.Warn("pay", "order", o.id, "try", o.payTries, "err", err)
				if o.payTries < PayAttempts {
					o.payAt = cfg.Clock.Now().Add(payAgain)
				}
				continue
			}
			if !cfg.EveryonePays && rng.Float64() < cancelShare {
				m := w.merchants[o.merchant]
				_ = c.call(ctx, "POST", "/v1/orders/"+o.id+"/cancel", m.Key, nil, map[string]string{"reason": "customer changed their mind"}, nil)
			}
		}
		if (!until.IsZero() && time.Now().After(until)) || s.noMore.Load() || (cfg.Orders > 0 && len(orders) >= cfg.Orders) {
			continue
		}
		for !now.Before(next) && (cfg.Orders == 0 || len(orders) < cfg.Orders) {
			next = next.Add(time.Duration(rng.ExpFloat64() * float64(gap)))
			o, err := createOrder(ctx, c, cfg, w, rng)
			if err != nil {
				cfg.Log.Warn("create order", "err", err)
				continue
			}
			s.ledger.created(o.id)
			if cfg.EveryonePays || rng.Float64() >= neverPaidShare {
				delay := time.Duration(10+rng.IntN(40)) * time.Second
				if cfg.PayDelay > 0 {
					delay = time.Duration(rng.Int64N(int64(cfg.PayDelay))) + 1
				}
				o.payAt = now.Add(delay)
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
	drop := cfg.City.Dropoff(rng, shop.Pos, cfg.DropoffRadius)
	prep := time.Duration(shop.Prep) * time.Minute
	if cfg.Prep > 0 {
		prep = cfg.Prep
	}
	req := dispatch.OrderRequest{
		ExternalRef: fmt.Sprintf("sim-%d", rng.Uint32()),
		Pickup:      dispatch.Stop{Pos: shop.Pos, Name: shop.Name},
		Dropoff:     dispatch.Stop{Pos: drop, Name: "Customer"},
		ValueCents:  int64(800 + rng.IntN(4000)),
		ReadyAt:     cfg.Clock.Now().Add(prep).Truncate(time.Second),
	}
	var out struct {
		ID          string `json:"id"`
		HandoffCode string `json:"handoff_code"`
		TrackToken  string `json:"track_token"`
	}
	// One key for every attempt: a retry after a lost answer gets the first answer.
	key := map[string]string{"Idempotency-Key": dispatch.NewSecret("idem")}
	if err := c.call(ctx, "POST", "/v1/orders", m.Key, key, req, &out); err != nil {
		return placed{}, err
	}
	w.codes.Store(out.ID, out.HandoffCode)
	w.tracking = append(w.tracking, out.TrackToken)
	return placed{id: out.ID, merchant: i}, nil
}
