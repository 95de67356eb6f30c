package mdrp

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadPublishedShared(t *testing.T) {
	p, err := LoadPublished(filepath.Join(mdrplibDir(t), "published"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Missing) != 0 {
		t.Errorf("Missing = %v", p.Missing)
	}
	const name = "0o50t100s1p100"
	r, ok := p.Reyes[name]
	if !ok {
		t.Fatalf("no Table 4 row for %s", name)
	}
	if r.HeurCtD != 31.19 || r.ExactCtD != 29.81 || r.HeurRtP != 2.52 || r.ExactRtP != 1.46 || r.Orders != 252 || r.Couriers != 61 {
		t.Errorf("Table 4 %s = %+v", name, r)
	}
	if len(p.Reyes) != 16 || p.ReyesAverage.HeurCtD != 31.879 || p.ReyesAverage.ExactCtD != 30.674 {
		t.Errorf("Table 4: %d rows, average %+v; want 16 rows, 31.879 / 30.674", len(p.Reyes), p.ReyesAverage)
	}
	fm, ok := p.Run(name, "FM")
	if !ok || !fm.Feasible || fm.Metrics.CtDMean != 31.203 || fm.Metrics.CtDP90 != 42.905 || fm.Metrics.UtilizationP10 != 0.367 || fm.Seconds != 6.6 {
		t.Errorf("FM run on %s = %+v, %v", name, fm, ok)
	}
	if mdrp, ok := p.Run(name, "MDRP"); !ok || mdrp.Metrics.CostPerOrder != 11.517 || mdrp.Metrics.OrdersPerBundle != 1.016 {
		t.Errorf("MDRP run on %s = %+v, %v", name, mdrp, ok)
	}
	if _, ok := p.Run(name, "XX"); ok {
		t.Error("found a run of algorithm XX")
	}
	if len(p.Runs) != 72 {
		t.Errorf("reference runs cover %d instances, want 72", len(p.Runs))
	}
	var fmRuns []Metrics
	for inst, runs := range p.Runs {
		if len(runs) != 2 {
			t.Errorf("%s has %d reference runs, want 2", inst, len(runs))
		}
		if r, ok := p.Run(inst, "FM"); ok {
			fmRuns = append(fmRuns, r.Metrics)
		}
	}
	// MDRP.md quotes FoodMatch's averages over the 72: CtD 31.10 (p90 44.61).
	if avg := Average(fmRuns); math.Abs(avg.CtDMean-31.10) > 0.005 || math.Abs(avg.CtDP90-44.61) > 0.005 {
		t.Errorf("FM average CtD %.3f (p90 %.3f), MDRP.md says 31.10 (44.61)", avg.CtDMean, avg.CtDP90)
	}
	if y, ok := p.Yildiz[name]; !ok || y.CtDMean != 29.87 || y.RtPMean != 1.54 || y.CtDMax != 82 {
		t.Errorf("Yildiz Table 9 %s = %+v, %v", name, y, ok)
	}
	if p.YildizAverage.CtDMean != 30.59 {
		t.Errorf("Yildiz average = %+v", p.YildizAverage)
	}
	if p.Aggregate.CtDMean != 32.74 || p.Aggregate.UtilizationP10 != 0.31 || p.AggregateStd.CtDP90 != 5.6 || p.Aggregate.OrdersPerBundle != 1.09 {
		t.Errorf("240-instance aggregate = %+v, std %+v", p.Aggregate, p.AggregateStd)
	}
}

func TestLoadPublishedToleratesMissingFiles(t *testing.T) {
	dir := t.TempDir()
	text := "# a comment, with commas\ninstance,heur_ctd,heur_rtp,exact_ctd,exact_rtp,ratio_ctd,ratio_rtp,orders,restaurants,couriers,courier_hours\n" +
		"x1,30,1,29,0.5,1.03,2,10,2,3,4.5\n"
	if err := os.WriteFile(filepath.Join(dir, ReyesFile), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := LoadPublished(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{RefRunsFile, YildizFile, AggregateFile}; strings.Join(p.Missing, ",") != strings.Join(want, ",") {
		t.Errorf("Missing = %v, want %v", p.Missing, want)
	}
	if r := p.Reyes["x1"]; r.HeurCtD != 30 || r.CourierHours != 4.5 || r.Restaurants != 2 {
		t.Errorf("row x1 = %+v", r)
	}
	if len(p.Runs) != 0 || len(p.Yildiz) != 0 {
		t.Errorf("runs %v, yildiz %v from missing files", p.Runs, p.Yildiz)
	}
}

func TestLoadPublishedRejectsMalformed(t *testing.T) {
	cases := []struct {
		name, file, text string
		wantLine         int
		wantError        string
	}{
		{"not a number", AggregateFile, "# c\nmetric,mean,std\nctd_mean,32.x,3\n", 3, `"32.x" is not a number`},
		{"unknown metric", AggregateFile, "metric,mean,std\nctd_mean,32,3\nfoo,1,1\n", 3, `unknown metric "foo"`},
		{"missing column", YildizFile, "instance,gap\nx,0\n", 2, `no column "ctd_mean"`},
		{"ragged row", RefRunsFile, "instance,alg\nx,FM,extra\n", 2, "wrong number of fields"},
		{"orders not whole", ReyesFile, "instance,heur_ctd,heur_rtp,exact_ctd,exact_rtp,ratio_ctd,ratio_rtp,orders,restaurants,couriers,courier_hours\nx,1,1,1,1,1,1,2.5,1,1,1\n", 2, `orders: "2.5"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadPublished(dir)
			wantFileError(t, err, tc.file, tc.wantLine, tc.wantError)
		})
	}
}
