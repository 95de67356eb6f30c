// Package assign solves the rectangular min-cost assignment problem used by
// the dispatcher to match orders (rows) to couriers (columns).
//
// The package is pure: it holds no state, performs no I/O and never retains
// or modifies the caller's slices, so all of its functions are safe for
// concurrent use by multiple goroutines.
//
// Costs must be finite non-negative numbers or [Infeasible]. Because callers
// build the cost matrix themselves, malformed input (NaN, negative costs,
// ragged rows, out-of-range edges) is a programming error and causes a panic
// with a descriptive message rather than an error return.
package assign

import (
	"fmt"
	"math"
)

// Infeasible marks a pair that must never be matched.
var Infeasible = math.Inf(1)

// Solve returns, for each row i, the column assigned to it or -1, minimising
// the total cost over a maximum-cardinality matching of feasible pairs.
//
// cost is a rows×cols matrix; rows may be more or fewer than cols and every
// row must have the same length. An empty matrix yields an empty slice. A pair
// whose cost is Infeasible (+Inf) is never assigned. Among all assignments,
// Solve first maximises the number of assigned rows (using only feasible
// pairs) and then minimises the total cost of those pairs.
//
// Internally Infeasible entries are replaced by a penalty larger than the sum
// of all finite costs plus one, the square problem is solved with the
// O(n²·m) shortest-augmenting-path Hungarian algorithm with potentials
// (transposing when rows > cols), and penalised pairs are dropped.
//
// Solve panics if a row has a different length from row 0, if any cost is
// NaN or negative, or if the finite costs sum to more than math.MaxFloat64.
// The result is exact for integer-valued costs as long as the penalised
// totals stay below 2^53; for general floats it is optimal up to
// floating-point rounding.
func Solve(cost [][]float64) []int {
	rows := len(cost)
	out := make([]int, rows)
	for i := range out {
		out[i] = -1
	}
	if rows == 0 {
		return out
	}
	cols := len(cost[0])
	for i, r := range cost {
		if len(r) != cols {
			panic(fmt.Sprintf("assign: ragged cost matrix: row %d has %d columns, row 0 has %d", i, len(r), cols))
		}
	}
	if cols == 0 {
		return out
	}
	sum := 0.0
	for i, r := range cost {
		for j, c := range r {
			sum += checkCost(c, i, j)
		}
	}
	big := penalty(sum, rows+cols)

	// Build the working matrix a (n×m, n <= m) with penalties substituted.
	n, m := rows, cols
	transposed := rows > cols
	if transposed {
		n, m = cols, rows
	}
	a := make([]float64, n*m)
	for i, r := range cost {
		for j, c := range r {
			if c == Infeasible {
				c = big
			}
			if transposed {
				a[j*m+i] = c
			} else {
				a[i*m+j] = c
			}
		}
	}
	var ws workspace
	match := ws.solve(n, m, a) // match[k] = column of working row k
	for k, l := range match {
		i, j := k, l
		if transposed {
			i, j = l, k
		}
		if cost[i][j] != Infeasible {
			out[i] = j
		}
	}
	return out
}

// checkCost validates one entry and returns its contribution to the sum of
// finite costs.
func checkCost(c float64, i, j int) float64 {
	switch {
	case math.IsNaN(c):
		panic(fmt.Sprintf("assign: cost[%d][%d] is NaN", i, j))
	case c < 0:
		panic(fmt.Sprintf("assign: cost[%d][%d] = %v is negative", i, j, c))
	case math.IsInf(c, 1):
		return 0
	}
	return c
}

// penalty returns the cost substituted for Infeasible pairs given the sum of
// all finite costs: at least sum+1, hence strictly more than any difference
// between the finite parts of two assignments, so that one extra feasible
// pair always outweighs any change in finite cost. dim (rows+cols) bounds the
// number of penalised pairs; the total must stay finite for the algorithm.
func penalty(sum float64, dim int) float64 {
	big := sum + 1
	if big <= sum { // sum+1 rounded back to sum (sum >= 2^53)
		big = 2 * sum
	}
	if math.IsInf(big*float64(dim+1), 0) {
		panic("assign: finite costs are too large (their sum overflows float64)")
	}
	return big
}

// workspace holds the scratch slices of the Hungarian algorithm so that they
// can be reused across several solves (see SolveSparse). The zero value is
// ready to use. A workspace must not be shared between goroutines.
type workspace struct {
	u, v, dist       []float64
	col4row, row4col []int
	path, remaining  []int
	rowsSeen         []int
	colsSeen         []int
}

// grow resizes a slice to length k, reusing its storage when possible.
func grow[T any](s []T, k int) []T {
	if cap(s) < k {
		return make([]T, k)
	}
	return s[:k]
}

// solve runs the O(n²·m) shortest-augmenting-path Hungarian algorithm with
// potentials (the Jonker–Volgenant formulation: one Dijkstra search per row
// over the reduced costs a[i][j]-u[i]-v[j]) on the dense row-major n×m
// matrix a, which must have n <= m and only finite entries. It returns a
// slice owned by ws mapping each row 0..n-1 to its column; every row is
// assigned.
//
// The duals start from a row reduction (u[i] = min_j a[i][j], v = 0) and
// every row whose cheapest column is still free takes it greedily; both keep
// the invariant that reduced costs are non-negative and matched pairs are
// tight, so the remaining rows are then augmented one by one.
func (ws *workspace) solve(n, m int, a []float64) []int {
	ws.u, ws.v, ws.dist = grow(ws.u, n), grow(ws.v, m), grow(ws.dist, m)
	ws.col4row, ws.row4col = grow(ws.col4row, n), grow(ws.row4col, m)
	ws.path, ws.remaining = grow(ws.path, m), grow(ws.remaining, m)
	u, v, dist := ws.u, ws.v, ws.dist
	col4row, row4col, path, remaining := ws.col4row, ws.row4col, ws.path, ws.remaining
	inf := math.Inf(1)
	clear(v)
	for j := range row4col {
		row4col[j] = -1
	}

	// Row reduction and greedy initial matching on tight pairs.
	for i := range n {
		row := a[i*m : (i+1)*m]
		best, arg := row[0], 0
		for j, c := range row {
			if c < best || (c == best && row4col[arg] >= 0 && row4col[j] < 0) {
				best, arg = c, j
			}
		}
		u[i] = best
		col4row[i] = -1
		if row4col[arg] < 0 {
			col4row[i], row4col[arg] = arg, i
		}
	}

	for cur := range n {
		if col4row[cur] >= 0 {
			continue
		}
		// Dijkstra from row cur until the nearest free column (the sink).
		for j := range dist {
			dist[j] = inf
			remaining[j] = j
		}
		numRemaining := m
		rowsSeen, colsSeen := ws.rowsSeen[:0], ws.colsSeen[:0]
		minVal := 0.0
		sink := -1
		for i := cur; sink < 0; {
			rowsSeen = append(rowsSeen, i)
			row := a[i*m : (i+1)*m]
			base := minVal - u[i]
			lowest, index := inf, -1
			for it := 0; it < numRemaining; it++ {
				j := remaining[it]
				r := base + row[j] - v[j]
				if r < dist[j] {
					path[j], dist[j] = i, r
				}
				// Prefer free columns on ties: they end the search.
				if d := dist[j]; d < lowest || (d == lowest && row4col[j] < 0) {
					lowest, index = d, it
				}
			}
			if index < 0 {
				// Unreachable with finite entries and n <= m.
				panic("assign: internal error: no augmenting path")
			}
			minVal = lowest
			j := remaining[index]
			numRemaining--
			remaining[index] = remaining[numRemaining]
			colsSeen = append(colsSeen, j)
			if row4col[j] < 0 {
				sink = j
			} else {
				i = row4col[j]
			}
		}
		ws.rowsSeen, ws.colsSeen = rowsSeen, colsSeen

		// Update the duals so that reduced costs stay non-negative and the
		// pairs on the shortest-path tree become tight.
		u[cur] += minVal
		for _, i := range rowsSeen[1:] {
			u[i] += minVal - dist[col4row[i]]
		}
		for _, j := range colsSeen {
			v[j] -= minVal - dist[j]
		}

		// Augment along the path back from the sink.
		for j := sink; ; {
			i := path[j]
			row4col[j] = i
			col4row[i], j = j, col4row[i]
			if i == cur {
				break
			}
		}
	}
	return col4row
}
