package assign

import "math"

// onDummy marks, in sparseWorkspace.col4row, a row that the solver left on
// its private dummy column, i.e. a row with no feasible match.
const onDummy = -2

// sparseWorkspace holds the scratch state of solveSAP; the zero value is
// ready to use and it must not be shared between goroutines.
type sparseWorkspace struct {
	u, v, dist                []float64
	col4row, row4col, path    []int32
	rowsSeen, colsSeen, dirty []int32
	scanned                   []bool
	heap                      []heapItem
}

type heapItem struct {
	d float64
	j int32
}

// solveSAP solves one component of the sparse problem with the same
// shortest-augmenting-path Hungarian method as the dense core, but over
// adjacency lists, so it costs O(edges·log) per augmentation instead of
// O(rows·cols) memory and time. Row i's edges are adjCol/adjCost[start[i]:
// start[i+1]] (duplicates allowed; the cheaper one wins). It is equivalent to
// the dense penalty formulation: every row also owns a private dummy column
// of cost big (> sum of all edge costs), which it takes when unmatched. A
// dummy is reachable only from its own row, so it is always free when
// reached and its potential stays 0.
//
// It returns col4row (owned by ws): a column index, or onDummy.
func (ws *sparseWorkspace) solveSAP(r, k int, start, adjCol []int32, adjCost []float64, big float64) []int32 {
	ws.u, ws.col4row = grow(ws.u, r), grow(ws.col4row, r)
	ws.v, ws.dist, ws.row4col = grow(ws.v, k), grow(ws.dist, k), grow(ws.row4col, k)
	ws.path, ws.scanned = grow(ws.path, k), grow(ws.scanned, k)
	u, v, dist, col4row, row4col, path, scanned := ws.u, ws.v, ws.dist, ws.col4row, ws.row4col, ws.path, ws.scanned
	inf := math.Inf(1)
	for j := range k {
		v[j], dist[j], row4col[j], scanned[j] = 0, inf, -1, false
	}

	// Row reduction and greedy matching on tight pairs, as in the dense core.
	for i := range r {
		best, arg := big, int32(-1)
		for e := start[i]; e < start[i+1]; e++ {
			if c, j := adjCost[e], adjCol[e]; c < best || (c == best && arg >= 0 && row4col[arg] >= 0 && row4col[j] < 0) {
				best, arg = c, j
			}
		}
		u[i], col4row[i] = best, -1
		if arg >= 0 && row4col[arg] < 0 {
			col4row[i], row4col[arg] = arg, int32(i)
		}
	}

	for cur := range int32(r) {
		if col4row[cur] != -1 {
			continue
		}
		rowsSeen, colsSeen, dirty, h := ws.rowsSeen[:0], ws.colsSeen[:0], ws.dirty[:0], ws.heap[:0]
		minVal, bestDummy := 0.0, inf
		sink, dummyRow := int32(-1), int32(-1)
		for i := cur; ; {
			rowsSeen = append(rowsSeen, i)
			base := minVal - u[i]
			for e := start[i]; e < start[i+1]; e++ {
				j := adjCol[e]
				if scanned[j] {
					continue
				}
				if d := base + adjCost[e] - v[j]; d < dist[j] {
					if dist[j] == inf {
						dirty = append(dirty, j)
					}
					dist[j], path[j] = d, i
					h = heapPush(h, heapItem{d, j})
				}
			}
			if d := base + big; d < bestDummy {
				bestDummy, dummyRow = d, i
			}
			for len(h) > 0 && (scanned[h[0].j] || h[0].d > dist[h[0].j]) {
				h = heapPop(h) // stale entry
			}
			if len(h) == 0 || bestDummy < h[0].d {
				minVal = bestDummy
				break
			}
			j := h[0].j
			h = heapPop(h)
			minVal = dist[j]
			scanned[j] = true
			colsSeen = append(colsSeen, j)
			if row4col[j] < 0 {
				sink = j
				break
			}
			i = row4col[j]
		}

		// Dual update: keep reduced costs non-negative, make the tree tight.
		u[cur] += minVal
		for _, i := range rowsSeen[1:] {
			u[i] += minVal - dist[col4row[i]]
		}
		for _, j := range colsSeen {
			v[j] -= minVal - dist[j]
		}

		// Augment from the sink back to cur.
		j := sink
		if sink < 0 {
			// The path ends on dummyRow's dummy column; dummyRow gives up its
			// column (none if dummyRow == cur, whose col4row is -1).
			j, col4row[dummyRow] = col4row[dummyRow], onDummy
		}
		for j >= 0 {
			i := path[j]
			row4col[j] = i
			col4row[i], j = j, col4row[i]
			if i == cur {
				break
			}
		}

		for _, j := range dirty {
			dist[j], scanned[j] = inf, false
		}
		ws.rowsSeen, ws.colsSeen, ws.dirty, ws.heap = rowsSeen, colsSeen, dirty, h
	}
	return col4row
}

// heapPush adds it to the binary min-heap h (ordered by d).
func heapPush(h []heapItem, it heapItem) []heapItem {
	h = append(h, it)
	for c := len(h) - 1; c > 0; {
		p := (c - 1) / 2
		if h[p].d <= h[c].d {
			break
		}
		h[p], h[c] = h[c], h[p]
		c = p
	}
	return h
}

// heapPop removes the minimum of the non-empty heap h.
func heapPop(h []heapItem) []heapItem {
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for p := 0; ; {
		c := 2*p + 1
		if c >= n {
			break
		}
		if c+1 < n && h[c+1].d < h[c].d {
			c++
		}
		if h[p].d <= h[c].d {
			break
		}
		h[p], h[c] = h[c], h[p]
		p = c
	}
	return h
}
