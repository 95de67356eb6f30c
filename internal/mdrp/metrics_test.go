package mdrp

import (
	"math"
	"slices"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// metricsDiff lists the fields where got and want differ.
func metricsDiff(t *testing.T, got, want Metrics) {
	t.Helper()
	if got.Orders != want.Orders || got.Delivered != want.Delivered || got.OverMaxCtD != want.OverMaxCtD {
		t.Errorf("counts: got orders %d delivered %d over max %d, want %d %d %d",
			got.Orders, got.Delivered, got.OverMaxCtD, want.Orders, want.Delivered, want.OverMaxCtD)
	}
	g, w := got.floats(), want.floats()
	for i := range g {
		if !near(*g[i], *w[i]) {
			t.Errorf("%s = %v, want %v", metricNames[i], *g[i], *w[i])
		}
	}
}

// TestEvaluateHandMade checks the metrics of the hand-made solution, worked out by hand:
// CtD 20, 25, 27; RtP 2, 0, 9; c1 busy 27 driving + 2×4 pickup + 3×2 drop-off = 41 of
// 60 minutes, c2 idle for 120; pay max(30, 15) + max(0, 30) = 60 for 3 orders.
func TestEvaluateHandMade(t *testing.T) {
	in, s := loadTiny(t)
	metricsDiff(t, Evaluate(in, s), Metrics{
		Orders: 4, Delivered: 3,
		PctUndelivered:  25,
		CtDMean:         24,
		CtDP90:          26.6,    // 25 + 0.8 × (27 − 25)
		CtDOverageMean:  2.0 / 3, // target 25: overages 0, 0, 2
		RtPMean:         11.0 / 3,
		RtPP90:          7.6, // 2 + 0.8 × (9 − 2)
		UtilizationMean: 41.0 / 60 / 2,
		UtilizationP10:  0.1 * 41.0 / 60, // 0 + 0.1 × (41/60 − 0)
		CostPerOrder:    20,
		OrdersPerBundle: 1.5,
	})
}

// TestMaxCtDIsNotAViolation keeps the package's decision: an order delivered past the
// maximum click-to-door is feasible, delivered, and counted in OverMaxCtD.
func TestMaxCtDIsNotAViolation(t *testing.T) {
	in, s := loadTiny(t)
	rowOf(t, s, "o3").Dropoff = 90 // CtD 70 > 60; c1's last stop, so it may wait
	if v := Check(in, s); v != nil {
		t.Fatalf("Check: %v", v)
	}
	m := Evaluate(in, s)
	if m.Delivered != 3 || m.OverMaxCtD != 1 || !near(m.CtDMean, (20+25+70)/3.0) {
		t.Errorf("delivered %d, over max %d, CtD mean %v; want 3, 1, %v", m.Delivered, m.OverMaxCtD, m.CtDMean, (20+25+70)/3.0)
	}
}

func TestEvaluateCountsEachOrderOnce(t *testing.T) {
	in, s := loadTiny(t)
	s.Orders = append(s.Orders, *rowOf(t, s, "o1"), OrderResult{Order: "o99", Dropoff: 500, Courier: "c1"})
	m := Evaluate(in, s)
	if m.Delivered != 3 || !near(m.CtDMean, 24) {
		t.Errorf("Delivered %d, CtD mean %v; want 3 and 24 (duplicate and unknown rows ignored)", m.Delivered, m.CtDMean)
	}
}

func TestEvaluateNothingDelivered(t *testing.T) {
	in, _ := loadTiny(t)
	m := Evaluate(in, &Solution{})
	metricsDiff(t, m, Metrics{Orders: 4, PctUndelivered: 100})
}

func TestPercentile(t *testing.T) {
	v := []float64{4, 1, 3, 2}
	cases := []struct{ q, want float64 }{{0, 1}, {0.1, 1.3}, {0.5, 2.5}, {0.9, 3.7}, {1, 4}}
	for _, tc := range cases {
		if got := percentile(v, tc.q); !near(got, tc.want) {
			t.Errorf("percentile(%v, %v) = %v, want %v", v, tc.q, got, tc.want)
		}
	}
	if !slices.Equal(v, []float64{4, 1, 3, 2}) {
		t.Errorf("percentile sorted its argument: %v", v)
	}
	if got := percentile([]float64{7}, 0.9); got != 7 {
		t.Errorf("percentile of one value = %v, want 7", got)
	}
	if got := percentile(nil, 0.9); got != 0 {
		t.Errorf("percentile of none = %v, want 0", got)
	}
}

func TestAverage(t *testing.T) {
	a := Metrics{Orders: 10, Delivered: 9, OverMaxCtD: 1, CtDMean: 30, RtPP90: 4, CostPerOrder: 11, UtilizationP10: 0.2}
	b := Metrics{Orders: 20, Delivered: 20, CtDMean: 34, RtPP90: 8, CostPerOrder: 12, OrdersPerBundle: 1.2}
	metricsDiff(t, Average([]Metrics{a, b}), Metrics{
		Orders: 30, Delivered: 29, OverMaxCtD: 1,
		CtDMean: 32, RtPP90: 6, CostPerOrder: 11.5, UtilizationP10: 0.1, OrdersPerBundle: 0.6,
	})
	metricsDiff(t, Average(nil), Metrics{})
}
