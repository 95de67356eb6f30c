package sim

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// KPI summarises a run, measured from the orders as the merchant API reports them. Times
// are simulated time.
type KPI struct {
	Created, Paid, Delivered, Canceled, Expired, Open int
	// MedianPaidToAssigned is the median time from payment to a courier's accept.
	MedianPaidToAssigned time.Duration
	// ClickToDoorMean and ClickToDoorP90 run from order creation to delivery.
	ClickToDoorMean, ClickToDoorP90 time.Duration
	// ByFranchise and ByCrowd count delivered orders per courier kind.
	ByFranchise, ByCrowd int
}

// measure reads every placed order back through its merchant's API key.
func measure(ctx context.Context, c *client, w *world, orders []placed) (KPI, error) {
	var k KPI
	var toAssign, ctd []time.Duration
	for _, p := range orders {
		var o dispatch.Order
		if err := c.call(ctx, "GET", "/v1/orders/"+p.id, w.merchants[p.merchant].Key, nil, nil, &o); err != nil {
			return k, err
		}
		k.Created++
		if !o.PaidAt.IsZero() {
			k.Paid++
		}
		if !o.AssignedAt.IsZero() && !o.PaidAt.IsZero() {
			toAssign = append(toAssign, o.AssignedAt.Sub(o.PaidAt))
		}
		switch o.State {
		case dispatch.Delivered:
			k.Delivered++
			ctd = append(ctd, o.DeliveredAt.Sub(o.CreatedAt))
			if w.couriers[o.CourierID] == courier.Franchise {
				k.ByFranchise++
			} else {
				k.ByCrowd++
			}
		case dispatch.Canceled:
			k.Canceled++
		case dispatch.Expired:
			k.Expired++
		default:
			k.Open++
		}
	}
	k.MedianPaidToAssigned = Quantile(toAssign, 0.5)
	k.ClickToDoorP90 = Quantile(ctd, 0.9)
	if len(ctd) > 0 {
		var sum time.Duration
		for _, d := range ctd {
			sum += d
		}
		k.ClickToDoorMean = sum / time.Duration(len(ctd))
	}
	return k, nil
}

// Quantile returns the q-quantile of ds by the nearest-rank method (0 for no data).
func Quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*q+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// Print writes the KPIs as a table.
func (k KPI) Print(w io.Writer) {
	share := func(n int) string {
		if k.Delivered == 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f%%", 100*float64(n)/float64(k.Delivered))
	}
	mins := func(d time.Duration) string { return fmt.Sprintf("%.1f min", d.Minutes()) }
	fmt.Fprintf(w, "\n%-28s %s\n", "KPI", "value")
	rows := [][2]string{
		{"orders created", fmt.Sprint(k.Created)},
		{"orders paid", fmt.Sprint(k.Paid)},
		{"orders delivered", fmt.Sprint(k.Delivered)},
		{"orders canceled / expired", fmt.Sprintf("%d / %d", k.Canceled, k.Expired)},
		{"orders still open", fmt.Sprint(k.Open)},
		{"median paid→assigned", fmt.Sprintf("%.0f s", k.MedianPaidToAssigned.Seconds())},
		{"click-to-door mean", mins(k.ClickToDoorMean)},
		{"click-to-door p90", mins(k.ClickToDoorP90)},
		{"delivered by franchise", fmt.Sprintf("%d (%s)", k.ByFranchise, share(k.ByFranchise))},
		{"delivered by crowd", fmt.Sprintf("%d (%s)", k.ByCrowd, share(k.ByCrowd))},
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%-28s %s\n", r[0], r[1])
	}
}
