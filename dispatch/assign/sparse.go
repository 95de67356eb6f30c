package assign

import (
	"fmt"
	"math"
)

// Edge is one feasible (row, col) pair with its cost.
type Edge struct {
	Row, Col int     // endpoints: 0 <= Row < rows, 0 <= Col < cols
	Cost     float64 // finite and non-negative; Infeasible edges are ignored
}

// denseMaxCells is the largest component (rows × cols) that SolveSparse
// hands to the dense Hungarian core; bigger components use the sparse
// shortest-augmenting-path variant, whose memory and time do not grow with
// rows × cols. 1<<15 cells is a 256 KiB matrix, which stays in cache.
const denseMaxCells = 1 << 15

// SolveSparse solves the assignment over rows 0..rows-1 and cols 0..cols-1
// where only the listed edges are feasible. It returns, for each row, the
// column assigned to it or -1, with the same objective as [Solve]: first
// maximise the number of assigned rows, then minimise their total cost.
//
// It splits the bipartite graph into connected components (union-find) and
// solves each component on its own. Components of up to 32,768 row×column
// cells are solved densely with the same Hungarian core as Solve; larger ones
// (in dense geography a single component often spans almost every order) use
// the same shortest-augmenting-path algorithm over the edge lists instead of a
// mostly-Infeasible matrix. A dispatch round of 1,000 orders × 5,000 couriers
// with ~10-20 candidate couriers per order therefore finishes in a few
// milliseconds. Rows without edges get -1.
//
// When several edges join the same (row, col) pair, the cheapest is kept.
// Edges whose cost is Infeasible are ignored. SolveSparse panics if rows or
// cols is negative (or rows+cols exceeds math.MaxInt32), if an edge lies outside the rows×cols range, or if a cost
// is NaN or negative.
func SolveSparse(rows, cols int, edges []Edge) []int {
	return solveSparse(rows, cols, edges, denseMaxCells)
}

// solveSparse is SolveSparse with the dense/sparse threshold as a parameter
// so that tests can force either path.
func solveSparse(rows, cols int, edges []Edge, maxCells int) []int {
	if rows < 0 || cols < 0 || rows+cols > math.MaxInt32 {
		panic(fmt.Sprintf("assign: invalid dimensions %d×%d", rows, cols))
	}
	out := make([]int, rows)
	for i := range out {
		out[i] = -1
	}
	for k, e := range edges {
		if e.Row < 0 || e.Row >= rows || e.Col < 0 || e.Col >= cols {
			panic(fmt.Sprintf("assign: edge %d (%d,%d) outside %d×%d", k, e.Row, e.Col, rows, cols))
		}
		if math.IsNaN(e.Cost) || e.Cost < 0 {
			panic(fmt.Sprintf("assign: edge %d (%d,%d) has invalid cost %v", k, e.Row, e.Col, e.Cost))
		}
	}
	if rows == 0 || cols == 0 || len(edges) == 0 {
		return out
	}

	// Union-find over rows (0..rows-1) and columns (rows..rows+cols-1).
	parent := make([]int32, rows+cols)
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]] // path halving
			x = parent[x]
		}
		return x
	}
	for _, e := range edges {
		if e.Cost == Infeasible {
			continue
		}
		a, b := find(int32(e.Row)), find(int32(rows+e.Col))
		if a != b {
			parent[a] = b
		}
	}

	// Number the components that contain at least one edge and give every
	// row and column a local index inside its component.
	comp := make([]int32, rows+cols) // node -> component id, -1 if isolated
	for i := range comp {
		comp[i] = -1
	}
	local := make([]int32, rows+cols) // node -> index among its component's rows (or cols)
	var nr, nc []int32                // per component: row count, col count
	var sum []float64                 // per component: sum of edge costs
	for _, e := range edges {
		if e.Cost == Infeasible {
			continue
		}
		root := find(int32(e.Row))
		if comp[root] < 0 {
			comp[root] = int32(len(nr))
			nr, nc, sum = append(nr, 0), append(nc, 0), append(sum, 0)
		}
		sum[comp[root]] += e.Cost
	}
	for x := range comp {
		if int32(x) == parent[x] || comp[x] >= 0 {
			continue
		}
		comp[x] = comp[find(int32(x))]
	}
	for x := range comp {
		c := comp[x]
		if c < 0 {
			continue
		}
		if x < rows {
			local[x] = nr[c]
			nr[c]++
		} else {
			local[x] = nc[c]
			nc[c]++
		}
	}

	// Bucket the edges by component (counting sort).
	start := make([]int32, len(nr)+1)
	for _, e := range edges {
		if e.Cost != Infeasible {
			start[comp[e.Row]+1]++
		}
	}
	for c := range nr {
		start[c+1] += start[c]
	}
	byComp := make([]int32, start[len(nr)])
	fill := append([]int32(nil), start[:len(nr)]...)
	for k, e := range edges {
		if e.Cost != Infeasible {
			c := comp[e.Row]
			byComp[fill[c]] = int32(k)
			fill[c]++
		}
	}

	// Solve each component, reusing buffers across components.
	var ws workspace
	var sws sparseWorkspace
	var a, adjCost []float64
	var rowOf, colOf []int // local row/col -> global row/col
	var adjStart, adjCol []int32
	for c := range nr {
		r, k := int(nr[c]), int(nc[c])
		compEdges := byComp[start[c]:start[c+1]]
		rowOf, colOf = grow(rowOf, r), grow(colOf, k)
		for _, ei := range compEdges {
			e := edges[ei]
			rowOf[local[e.Row]], colOf[local[rows+e.Col]] = e.Row, e.Col
		}
		switch {
		case r == 1 || k == 1:
			// A star: at most one pair can be matched, so take the cheapest.
			best := compEdges[0]
			for _, ei := range compEdges[1:] {
				if edges[ei].Cost < edges[best].Cost {
					best = ei
				}
			}
			out[edges[best].Row] = edges[best].Col
		case r*k <= maxCells:
			big := penalty(sum[c], r+k)
			n, m, transposed := r, k, false
			if r > k {
				n, m, transposed = k, r, true
			}
			a = grow(a, n*m)
			for i := range a {
				a[i] = big
			}
			for _, ei := range compEdges {
				e := edges[ei]
				lr, lc := int(local[e.Row]), int(local[rows+e.Col])
				idx := lr*m + lc
				if transposed {
					idx = lc*m + lr
				}
				a[idx] = min(a[idx], e.Cost)
			}
			for i, j := range ws.solve(n, m, a) {
				if a[i*m+j] >= big {
					continue // penalised pair: no feasible match
				}
				lr, lc := i, j
				if transposed {
					lr, lc = j, i
				}
				out[rowOf[lr]] = colOf[lc]
			}
		default:
			big := penalty(sum[c], r+k)
			// Adjacency lists by local row (counting sort of the edges).
			adjStart = grow(adjStart, r+1)
			clear(adjStart)
			for _, ei := range compEdges {
				adjStart[local[edges[ei].Row]+1]++
			}
			for i := range r {
				adjStart[i+1] += adjStart[i]
			}
			adjCol, adjCost = grow(adjCol, len(compEdges)), grow(adjCost, len(compEdges))
			for _, ei := range compEdges {
				e := edges[ei]
				lr := local[e.Row]
				p := adjStart[lr]
				adjCol[p], adjCost[p] = local[rows+e.Col], e.Cost
				adjStart[lr]++
			}
			copy(adjStart[1:], adjStart[:r]) // undo the shift from filling
			adjStart[0] = 0
			for lr, lc := range sws.solveSAP(r, k, adjStart, adjCol, adjCost, big) {
				if lc >= 0 {
					out[rowOf[lr]] = colOf[lc]
				}
			}
		}
	}
	return out
}
