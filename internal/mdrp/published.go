package mdrp

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// RefRun is one reference run of published/reference_runs_seeds0-2.csv: the open C++
// simulator of FoodMatch on one instance, scored by the instance authors' evaluator.
type RefRun struct {
	Instance string
	Alg      string // "MDRP" (its re-implementation of Reyes et al.'s algorithm) or "FM" (FoodMatch)
	Seconds  float64
	Feasible bool
	Metrics  Metrics // the published figures; Orders, Delivered and OverMaxCtD are not published and stay 0
}

// ReyesRow is one row of Reyes et al. 2018 Table 4: their online rolling-horizon
// heuristic against the clairvoyant exact solution of Yildiz & Savelsbergh.
type ReyesRow struct {
	Instance                             string
	Orders, Restaurants, Couriers        int
	CourierHours                         float64
	HeurCtD, HeurRtP, ExactCtD, ExactRtP float64 // mean click-to-door and ready-to-pickup, minutes
	RatioCtD, RatioRtP                   float64 // heuristic / exact
}

// YildizRow is one row of Yildiz & Savelsbergh 2018 Table 9: the clairvoyant solution
// minimising mean click-to-door (bundles of at most two orders, max click-to-door hard).
type YildizRow struct {
	Instance                string
	Gap                     float64 // IP optimality gap
	CtDMean, CtDMin, CtDMax float64
	RtDMean, RtDMin, RtDMax float64 // ready-to-door
	RtPMean, RtPMin, RtPMax float64
}

// Published holds the published figures of the folder mdrplib/published.
type Published struct {
	// Runs holds the reference runs by instance, in file order (one per algorithm).
	Runs map[string][]RefRun
	// Reyes holds Table 4 by instance; ReyesAverage is its printed average row
	// (Orders, Restaurants, Couriers and CourierHours are 0 there).
	Reyes        map[string]ReyesRow
	ReyesAverage ReyesRow
	// Yildiz holds Table 9 by instance; YildizAverage is its printed average row.
	Yildiz        map[string]YildizRow
	YildizAverage YildizRow
	// Aggregate and AggregateStd are the mean and standard deviation over the 240
	// instances of Reyes et al.'s default algorithm (Table 17); counts stay 0.
	Aggregate, AggregateStd Metrics
	// Missing lists the files that were not there (their fields stay empty).
	Missing []string
}

// Published file names.
const (
	RefRunsFile   = "reference_runs_seeds0-2.csv"
	ReyesFile     = "reyes2018_table4_heuristic_vs_exact.csv"
	YildizFile    = "yildiz2018_table9_ctd_min_exact.csv"
	AggregateFile = "reyes2018_aggregates_default_algo_240.csv"
)

// averageRow is the instance column of the tables' printed average rows.
const averageRow = "average"

// Run returns the reference run of alg on instance.
func (p *Published) Run(instance, alg string) (RefRun, bool) {
	for _, r := range p.Runs[instance] {
		if r.Alg == alg {
			return r, true
		}
	}
	return RefRun{}, false
}

// LoadPublished reads the published tables in dir (…/mdrplib/published). Lines starting
// with '#' are comments; columns are found by header name; an empty cell reads as NaN.
// A missing file is listed in Missing rather than failing; a malformed one fails with a
// *FileError naming file and line.
func LoadPublished(dir string) (*Published, error) {
	p := &Published{Runs: map[string][]RefRun{}, Reyes: map[string]ReyesRow{}, Yildiz: map[string]YildizRow{}}
	for _, f := range []struct {
		name string
		read func(*csvTable) error
	}{
		{RefRunsFile, p.readRuns},
		{ReyesFile, p.readReyes},
		{YildizFile, p.readYildiz},
		{AggregateFile, p.readAggregate},
	} {
		t, err := readCSV(filepath.Join(dir, f.name))
		if errors.Is(err, fs.ErrNotExist) {
			p.Missing = append(p.Missing, f.name)
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := f.read(t); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// metricNames are the published tables' names of the float figures of Metrics, in the
// order of Metrics.floats.
var metricNames = []string{"pct_undelivered", "ctd_mean", "ctd_p90", "ctd_overage_mean", "rtp_mean", "rtp_p90",
	"util_mean", "util_p10", "cost_per_order", "orders_per_bundle"}

// metricColumn returns the field of m that a published metric name stands for, or nil.
// The aggregates table spells utilisation out in full.
func metricColumn(m *Metrics, name string) *float64 {
	name = strings.Replace(name, "utilization_", "util_", 1)
	if i := slices.Index(metricNames, name); i >= 0 {
		return m.floats()[i]
	}
	return nil
}

func (p *Published) readRuns(t *csvTable) error {
	for _, r := range t.recs {
		g := t.getter(r)
		run := RefRun{Instance: g.str("instance"), Alg: g.str("alg"), Seconds: g.num("seconds"), Feasible: g.str("feasible") == "FEASIBLE"}
		for _, name := range metricNames {
			*metricColumn(&run.Metrics, name) = g.num(name)
		}
		if g.err != nil {
			return g.err
		}
		p.Runs[run.Instance] = append(p.Runs[run.Instance], run)
	}
	return nil
}

func (p *Published) readReyes(t *csvTable) error {
	for _, r := range t.recs {
		g := t.getter(r)
		row := ReyesRow{Instance: g.str("instance"),
			HeurCtD: g.num("heur_ctd"), HeurRtP: g.num("heur_rtp"), ExactCtD: g.num("exact_ctd"), ExactRtP: g.num("exact_rtp"),
			RatioCtD: g.num("ratio_ctd"), RatioRtP: g.num("ratio_rtp")}
		if row.Instance == averageRow {
			p.ReyesAverage = row
		} else {
			row.Orders, row.Restaurants, row.Couriers = g.int("orders"), g.int("restaurants"), g.int("couriers")
			row.CourierHours = g.num("courier_hours")
			p.Reyes[row.Instance] = row
		}
		if g.err != nil {
			return g.err
		}
	}
	return nil
}

func (p *Published) readYildiz(t *csvTable) error {
	for _, r := range t.recs {
		g := t.getter(r)
		row := YildizRow{Instance: g.str("instance"), Gap: g.num("gap"),
			CtDMean: g.num("ctd_mean"), CtDMin: g.num("ctd_min"), CtDMax: g.num("ctd_max"),
			RtDMean: g.num("rtd_mean"), RtDMin: g.num("rtd_min"), RtDMax: g.num("rtd_max"),
			RtPMean: g.num("rtp_mean"), RtPMin: g.num("rtp_min"), RtPMax: g.num("rtp_max")}
		if g.err != nil {
			return g.err
		}
		if row.Instance == averageRow {
			p.YildizAverage = row
		} else {
			p.Yildiz[row.Instance] = row
		}
	}
	return nil
}

func (p *Published) readAggregate(t *csvTable) error {
	for _, r := range t.recs {
		g := t.getter(r)
		name, mean, std := g.str("metric"), g.num("mean"), g.num("std")
		if g.err != nil {
			return g.err
		}
		m, s := metricColumn(&p.Aggregate, name), metricColumn(&p.AggregateStd, name)
		if m == nil {
			return &FileError{File: t.path, Line: r.line, Err: fmt.Errorf("unknown metric %q", name)}
		}
		*m, *s = mean, std
	}
	return nil
}

// csvTable is a comma-separated file with a header row.
type csvTable struct {
	path string
	col  map[string]int
	recs []csvRec
}

type csvRec struct {
	line   int
	fields []string
}

// readCSV reads path, skipping '#' comment lines; every row has the header's width.
func readCSV(path string) (*csvTable, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, &FileError{File: path, Err: err}
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	t := &csvTable{path: path, col: map[string]int{}}
	for {
		fields, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &FileError{File: path, Line: pe.Line, Err: pe.Err}
			}
			return nil, &FileError{File: path, Err: err}
		}
		line, _ := r.FieldPos(0)
		if len(t.col) == 0 {
			for i, name := range fields {
				t.col[strings.TrimSpace(name)] = i
			}
			continue
		}
		t.recs = append(t.recs, csvRec{line: line, fields: fields})
	}
	if len(t.col) == 0 {
		return nil, &FileError{File: path, Err: errors.New("no header row")}
	}
	return t, nil
}

// getter reads named cells of one record, keeping the first error.
type getter struct {
	t   *csvTable
	r   csvRec
	err error
}

func (t *csvTable) getter(r csvRec) *getter { return &getter{t: t, r: r} }

func (g *getter) fail(format string, args ...any) {
	if g.err == nil {
		g.err = &FileError{File: g.t.path, Line: g.r.line, Err: fmt.Errorf(format, args...)}
	}
}

// str returns the cell of column name.
func (g *getter) str(name string) string {
	i, ok := g.t.col[name]
	if !ok {
		g.fail("no column %q", name)
		return ""
	}
	return strings.TrimSpace(g.r.fields[i])
}

// num returns the cell of column name as a number; an empty cell is NaN.
func (g *getter) num(name string) float64 {
	s := g.str(name)
	if s == "" {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		g.fail("column %s: %q is not a number", name, s)
	}
	return v
}

// int returns the cell of column name as a whole number.
func (g *getter) int(name string) int {
	s := g.str(name)
	v, err := strconv.Atoi(s)
	if err != nil {
		g.fail("column %s: %q is not a whole number", name, s)
	}
	return v
}
