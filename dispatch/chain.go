package dispatch

import (
	"slices"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch/assign"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// The round's two-job look-ahead (vehicle-scheduling assignment): besides the courier
// slots, every job i that some courier can take is a column, "a courier that has just
// served i", free at the end of i's best plan at i's (last) customer. A job matched to
// such a column is planned as the next job of whoever serves i; only a chain headed by a
// courier is real, and only its first job is ever committed. The second job shapes the
// first: an order that needs no courier yet no longer takes, for the sake of one more
// match, the courier a nearer order needs now (maximum matches first), when it can
// follow that order instead.
const (
	// chainPredecessors is how many predecessor jobs, nearest to its shop, each job is
	// priced behind.
	chainPredecessors = 6
	// chainPenalty, in seconds of cost, is added to every second-job edge: a plan that
	// puts an order behind another is less certain than a courier's own slot.
	chainPenalty = 600
	// chainIters caps the re-solves that remove headless chains.
	chainIters = 4
)

// chainEdges adds the look-ahead's columns: each job i with a feasible courier becomes
// a predecessor column, a slot at its best plan's end (when and where its best courier
// is free again), and each job j gets edges to the chainPredecessors nearest such predecessors
// that come before it (earlier ready time, or the same and an earlier row, so no chain
// can close on itself). It returns the edges and, per added column, the predecessor's
// row.
func (e *Engine) chainEdges(jobs []*job, colSlot []slot, edges []assign.Edge, plans map[[2]int]plan, now time.Time) ([]slot, []assign.Edge, []int) {
	best := make([]int, len(jobs))
	for i := range best {
		best[i] = -1
	}
	for k, ed := range edges {
		if b := best[ed.Row]; b < 0 || ed.Cost < edges[b].Cost {
			best[ed.Row] = k
		}
	}
	var predRow []int
	var predSlot []slot
	for i, b := range best {
		if b < 0 {
			continue
		}
		pl := plans[[2]int{i, edges[b].Col}]
		predRow = append(predRow, i)
		predSlot = append(predSlot, slot{s: colSlot[edges[b].Col].s, at: pl.end, pos: pl.endPos})
	}
	before := func(i, j int) bool {
		c := jobs[i].ready.Compare(jobs[j].ready)
		return c < 0 || c == 0 && i < j
	}
	nc := len(colSlot)
	type near struct {
		p int
		d float64
	}
	cand := make([]near, 0, chainPredecessors+1)
	for j, jb := range jobs {
		// The chainPredecessors nearest predecessors, kept sorted by insertion.
		cand = cand[:0]
		for p, i := range predRow {
			if i == j || !before(i, j) {
				continue
			}
			d := geo.FastDistance(predSlot[p].pos, jb.pickup)
			if len(cand) == chainPredecessors && d >= cand[chainPredecessors-1].d {
				continue
			}
			k := len(cand)
			if k < chainPredecessors {
				cand = append(cand, near{})
			} else {
				k--
			}
			for ; k > 0 && cand[k-1].d > d; k-- {
				cand[k] = cand[k-1]
			}
			cand[k] = near{p, d}
		}
		for _, c := range cand {
			sl := predSlot[c.p]
			if sl.s.c.Capacity < jb.units || jb.excluded(sl.s.c.ID) {
				continue
			}
			pl, ok := e.price(jb, sl, now)
			if !ok {
				continue
			}
			plans[[2]int{j, nc + c.p}] = pl
			edges = append(edges, assign.Edge{Row: j, Col: nc + c.p, Cost: pl.cost + chainPenalty})
		}
	}
	return append(colSlot, predSlot...), edges, predRow
}

// solveChains solves the assignment over courier columns (below nc) and predecessor
// columns (nc and above, whose rows predRow gives). A chain is real only if a courier
// heads it: while some row hangs behind a predecessor that no courier serves, those
// predecessors' columns are removed and the assignment solved again (at most
// chainIters times). It returns each row's column and, for a row served second, its
// predecessor's row (-1 otherwise); rows left behind a headless chain get -1.
func solveChains(rows, nc int, edges []assign.Edge, predRow []int) (match, after []int) {
	for iter := 0; ; iter++ {
		match = assign.SolveSparse(rows, nc+len(predRow), edges)
		served := make([]int8, rows) // 0 unknown, 1 served, -1 not
		var isServed func(i int) bool
		isServed = func(i int) bool {
			if served[i] == 0 {
				served[i] = -1
				m := match[i]
				if m >= 0 && (m < nc || isServed(predRow[m-nc])) {
					served[i] = 1
				}
			}
			return served[i] == 1
		}
		bad := map[int]bool{}
		for _, m := range match {
			if m >= nc && !isServed(predRow[m-nc]) {
				bad[m] = true
			}
		}
		if len(bad) == 0 || iter >= chainIters {
			after = make([]int, rows)
			for i, m := range match {
				after[i] = -1
				if m >= nc && isServed(i) {
					after[i] = predRow[m-nc]
				} else if m >= nc {
					match[i] = -1
				}
			}
			return match, after
		}
		edges = slices.DeleteFunc(slices.Clone(edges), func(ed assign.Edge) bool { return bad[ed.Col] })
	}
}
