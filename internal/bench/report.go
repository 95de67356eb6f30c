package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/hummingbird-dispatch/hummingbird/internal/mdrp"
)

// Figures is one line of the report in the JSON shape the issue fixes: percentages as
// percent, times in minutes.
type Figures struct {
	Name           string  `json:"name,omitempty"`
	Orders         int     `json:"orders"`
	PctUndelivered float64 `json:"pct_undelivered"`
	// PctUnservable is the lower bound on PctUndelivered: orders no courier could pick up
	// within its shift, in percent.
	PctUnservable   float64 `json:"pct_unservable"`
	CtDMean         float64 `json:"ctd_mean"`
	CtDP90          float64 `json:"ctd_p90"`
	CtDOverageMean  float64 `json:"ctd_overage_mean"`
	RtPMean         float64 `json:"rtp_mean"`
	RtPP90          float64 `json:"rtp_p90"`
	UtilizationMean float64 `json:"utilization_mean"`
	CostPerOrder    float64 `json:"cost_per_order"`
	OrdersPerBundle float64 `json:"orders_per_bundle"`
	Seconds         float64 `json:"seconds,omitempty"`
	// Published holds the published figures for the same instance, by source.
	Published map[string]Figures `json:"published,omitempty"`
}

func figures(name string, m mdrp.Metrics) Figures {
	return Figures{Name: name, Orders: m.Orders, PctUndelivered: m.PctUndelivered, CtDMean: m.CtDMean, CtDP90: m.CtDP90,
		CtDOverageMean: m.CtDOverageMean, RtPMean: m.RtPMean, RtPP90: m.RtPP90, UtilizationMean: m.UtilizationMean,
		CostPerOrder: m.CostPerOrder, OrdersPerBundle: m.OrdersPerBundle}
}

// published collects what pub holds for one instance: the reference simulator's runs
// (FoodMatch "FM", the Reyes re-implementation "MDRP") and Reyes et al.'s Table 4
// heuristic and exact click-to-door and ready-to-pickup.
func published(pub *mdrp.Published, name string) map[string]Figures {
	if pub == nil {
		return nil
	}
	out := map[string]Figures{}
	for _, alg := range []string{"FM", "MDRP"} {
		if r, ok := pub.Run(name, alg); ok {
			f := figures("", r.Metrics)
			f.Seconds = r.Seconds
			out["ref_"+alg] = f
		}
	}
	if r, ok := pub.Reyes[name]; ok {
		out["reyes_table4_heuristic"] = Figures{Orders: r.Orders, CtDMean: r.HeurCtD, RtPMean: r.HeurRtP}
		out["reyes_table4_exact"] = Figures{Orders: r.Orders, CtDMean: r.ExactCtD, RtPMean: r.ExactRtP}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Report is the whole run: every instance, the average over all, and the average per
// seed.
type Report struct {
	Instances []Figures          `json:"instances"`
	Average   Figures            `json:"average"`
	PerSeed   map[string]Figures `json:"per_seed"`
}

// NewReport scores results against the published figures (pub may be nil).
func NewReport(rs []Result, pub *mdrp.Published) Report {
	rep := Report{PerSeed: map[string]Figures{}}
	var all []mdrp.Metrics
	for _, r := range rs {
		f := figures(r.Name, r.Metrics)
		f.Seconds = r.Elapsed.Seconds()
		f.PctUnservable = unservable(r)
		f.Published = published(pub, r.Name)
		rep.Instances = append(rep.Instances, f)
		all = append(all, r.Metrics)
	}
	rep.Average = average(all, rs, pub)
	names, groups := Seeds(rs)
	for _, s := range names {
		var ms []mdrp.Metrics
		for _, r := range groups[s] {
			ms = append(ms, r.Metrics)
		}
		rep.PerSeed[s] = average(ms, groups[s], pub)
	}
	return rep
}

// average is the mean of ms, with the mean of the published reference runs and Table 4
// figures over the same instances when every one of them has them.
func average(ms []mdrp.Metrics, rs []Result, pub *mdrp.Published) Figures {
	a := mdrp.Average(ms)
	f := figures("", a)
	f.Orders = a.Orders
	for _, r := range rs {
		f.PctUnservable += unservable(r) / float64(len(rs))
	}
	sums := map[string][]mdrp.Metrics{}
	for _, r := range rs {
		for src, p := range published(pub, r.Name) {
			sums[src] = append(sums[src], mdrp.Metrics{Orders: p.Orders, PctUndelivered: p.PctUndelivered, CtDMean: p.CtDMean,
				CtDP90: p.CtDP90, CtDOverageMean: p.CtDOverageMean, RtPMean: p.RtPMean, RtPP90: p.RtPP90,
				UtilizationMean: p.UtilizationMean, CostPerOrder: p.CostPerOrder, OrdersPerBundle: p.OrdersPerBundle})
		}
	}
	for src, list := range sums {
		if len(list) != len(rs) {
			continue
		}
		if f.Published == nil {
			f.Published = map[string]Figures{}
		}
		f.Published[src] = figures("", mdrp.Average(list))
	}
	return f
}

// unservable is r's lower bound on undelivered orders, in percent.
func unservable(r Result) float64 {
	if r.Metrics.Orders == 0 {
		return 0
	}
	return 100 * float64(r.Unservable) / float64(r.Metrics.Orders)
}

// WriteJSON prints the report as indented JSON.
func (rep Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WriteTable prints every metric per instance, then the averages, then the published
// click-to-door figures beside ours.
func (rep Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "instance\torders\tundeliv %\tbound %\tCtD mean\tCtD p90\toverage\tRtP mean\tRtP p90\tutil\t$/order\torders/bundle\tsec\t"+
		"FM CtD\tReyes-reimpl CtD\tTable4 heur CtD\tTable4 exact CtD\t")
	row := func(f Figures) {
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.3f\t%.1f\t%s\t%s\t%s\t%s\t\n",
			f.Name, f.Orders, f.PctUndelivered, f.PctUnservable, f.CtDMean, f.CtDP90, f.CtDOverageMean, f.RtPMean, f.RtPP90,
			f.UtilizationMean, f.CostPerOrder, f.OrdersPerBundle, f.Seconds,
			pubCtD(f, "ref_FM"), pubCtD(f, "ref_MDRP"), pubCtD(f, "reyes_table4_heuristic"), pubCtD(f, "reyes_table4_exact"))
	}
	for _, f := range rep.Instances {
		row(f)
	}
	if len(rep.PerSeed) > 1 {
		for _, s := range slices.Sorted(maps.Keys(rep.PerSeed)) {
			f := rep.PerSeed[s]
			f.Name = "average seed " + s
			row(f)
		}
	}
	avg := rep.Average
	avg.Name = "average"
	row(avg)
	return tw.Flush()
}

func pubCtD(f Figures, src string) string {
	p, ok := f.Published[src]
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.2f", p.CtDMean)
}
