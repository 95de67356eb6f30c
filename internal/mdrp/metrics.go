package mdrp

import (
	"math"
	"slices"
)

// Metrics are the benchmark's figures for one run (or, from [Average], several). Times
// are minutes. A mean or percentile over no values is 0 (CtD with nothing delivered,
// CostPerOrder and OrdersPerBundle likewise).
type Metrics struct {
	Orders    int // orders in the instance
	Delivered int // orders with a row in the orders file

	PctUndelivered float64 // 100 × (Orders − Delivered) / Orders

	CtDMean        float64 // click-to-door (drop-off − placement) over delivered orders
	CtDP90         float64 // its 90th percentile
	CtDOverageMean float64 // mean of max(0, CtD − TargetCtD) over delivered orders

	RtPMean float64 // ready-to-pickup (pickup − ready) over delivered orders
	RtPP90  float64 // its 90th percentile

	// UtilizationMean and UtilizationP10 are the mean and 10th percentile over all
	// couriers, idle ones included, of (driving + service minutes) / shift minutes.
	UtilizationMean float64
	UtilizationP10  float64

	CostPerOrder    float64 // Σ over couriers of max(PayPerOrder × orders, PayPerHour × shift hours) / Delivered
	OrdersPerBundle float64 // Delivered / number of assignments

	OverMaxCtD int // delivered orders whose click-to-door exceeds MaxCtD (not a violation)
}

// Evaluate computes the metrics of s on in. It does not judge feasibility (see [Check]);
// on an infeasible solution it counts what the files say: each known order's first row
// in the orders file is a delivery by that row's courier; a courier's driving time is the
// sum of Travel over its moves between known places; its service time is PickupService
// per assignment plus DropoffService per order it delivered.
func Evaluate(in *Instance, s *Solution) Metrics {
	m := Metrics{Orders: len(in.Orders)}
	p := in.Params
	delivered := map[string]bool{}
	perCourier := map[string]int{} // orders delivered
	var ctd, overage, rtp []float64
	for _, r := range s.Orders {
		o, ok := in.Order(r.Order)
		if !ok || delivered[r.Order] {
			continue
		}
		delivered[r.Order] = true
		perCourier[r.Courier]++
		c := r.Dropoff - o.Placement
		ctd = append(ctd, float64(c))
		overage = append(overage, float64(max(0, c-p.TargetCtD)))
		rtp = append(rtp, float64(r.Pickup-o.Ready))
		if c > p.MaxCtD {
			m.OverMaxCtD++
		}
	}
	m.Delivered = len(delivered)
	if m.Orders > 0 {
		m.PctUndelivered = 100 * float64(m.Orders-m.Delivered) / float64(m.Orders)
	}
	m.CtDMean, m.CtDP90 = mean(ctd), percentile(ctd, 0.9)
	m.CtDOverageMean = mean(overage)
	m.RtPMean, m.RtPP90 = mean(rtp), percentile(rtp, 0.9)

	busy := map[string]int{} // driving + service minutes
	for _, a := range s.Assignments {
		busy[a.Courier] += p.PickupService
	}
	for _, mv := range s.Moves {
		c, ok := in.Courier(mv.Courier)
		if !ok {
			continue
		}
		from, okFrom := in.place(c, mv.Origin)
		to, okTo := in.place(c, mv.Destination)
		if okFrom && okTo {
			busy[mv.Courier] += in.Travel(from, to)
		}
	}
	util := make([]float64, 0, len(in.Couriers))
	var pay float64
	for _, c := range in.Couriers {
		n := perCourier[c.ID]
		shift := float64(c.Off - c.On)
		util = append(util, float64(busy[c.ID]+n*p.DropoffService)/shift)
		pay += math.Max(p.PayPerOrder*float64(n), p.PayPerHour*shift/60)
	}
	m.UtilizationMean, m.UtilizationP10 = mean(util), percentile(util, 0.1)
	if m.Delivered > 0 {
		m.CostPerOrder = pay / float64(m.Delivered)
	}
	if len(s.Assignments) > 0 {
		m.OrdersPerBundle = float64(m.Delivered) / float64(len(s.Assignments))
	}
	return m
}

// Average returns the mean of each float figure of ms (each run weighs the same, as in
// the published per-instance averages) and the sum of the counts Orders, Delivered and
// OverMaxCtD. It returns the zero Metrics for no runs.
func Average(ms []Metrics) Metrics {
	var a Metrics
	if len(ms) == 0 {
		return a
	}
	sum := a.floats()
	for _, m := range ms {
		a.Orders += m.Orders
		a.Delivered += m.Delivered
		a.OverMaxCtD += m.OverMaxCtD
		for i, f := range m.floats() {
			*sum[i] += *f
		}
	}
	for _, f := range sum {
		*f /= float64(len(ms))
	}
	return a
}

// floats returns pointers to m's float figures, in declaration order.
func (m *Metrics) floats() []*float64 {
	return []*float64{&m.PctUndelivered, &m.CtDMean, &m.CtDP90, &m.CtDOverageMean, &m.RtPMean, &m.RtPP90,
		&m.UtilizationMean, &m.UtilizationP10, &m.CostPerOrder, &m.OrdersPerBundle}
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// percentile returns the q-th quantile (0 ≤ q ≤ 1) of v by linear interpolation between
// closest ranks (numpy's default): rank h = q×(n−1) in the sorted values. It returns 0
// for no values and does not modify v.
func percentile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	h := q * float64(len(s)-1)
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}
