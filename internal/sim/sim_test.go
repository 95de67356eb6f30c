package sim

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hummingbird-dispatch/hummingbird/geo"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestQuantileNearestRank(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 5}, {0.9, 9}, {1, 10}, {0.01, 1}} {
		if got := Quantile(ds, c.q); got != c.want {
			t.Errorf("Quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if Quantile(nil, 0.5) != 0 {
		t.Error("quantile of nothing is not 0")
	}
}

func TestParisCity(t *testing.T) {
	c := Paris(1)
	area, err := c.Area.Cover(geo.ZoneRes)
	if err != nil {
		t.Fatal(err)
	}
	cats := map[string]bool{}
	outside := 0
	for _, s := range c.Shops {
		cats[s.Category] = true
		if !area.Contains(s.Pos) {
			t.Errorf("shop %s outside the service area", s.Name)
		}
		inZone := false
		for _, st := range c.Stations {
			z, err := st.Zone.Cover(geo.ZoneRes)
			if err != nil {
				t.Fatal(err)
			}
			inZone = inZone || z.Contains(s.Pos)
		}
		if !inZone {
			outside++
		}
	}
	if len(c.Shops) < 20 || len(cats) < 5 || len(c.Stations) < 2 {
		t.Fatalf("%d shops, %d categories, %d stations", len(c.Shops), len(cats), len(c.Stations))
	}
	if outside == 0 || outside == len(c.Shops) {
		t.Fatalf("%d of %d shops outside the station zones; want some, not all", outside, len(c.Shops))
	}
}

func TestScaledClockRunsFaster(t *testing.T) {
	c := NewScaledClock(50)
	// Bracket each clock reading between two wall readings, so the check holds however
	// the scheduler interleaves: the simulated span must lie within 50× the inner and
	// outer wall spans.
	wA := time.Now()
	t0 := c.Now()
	wB := time.Now()
	for time.Since(wB) < 5*time.Millisecond {
	}
	wC := time.Now()
	t1 := c.Now()
	wD := time.Now()
	sim := t1.Sub(t0)
	if lo, hi := 50*wC.Sub(wB), 50*wD.Sub(wA); sim < lo-time.Microsecond || sim > hi+time.Microsecond {
		t.Fatalf("simulated %v, want between %v and %v", sim, lo, hi)
	}
}
