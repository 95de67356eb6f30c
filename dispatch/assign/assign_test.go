package assign

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

var inf = Infeasible

func TestSolveTable(t *testing.T) {
	tests := []struct {
		name string
		cost [][]float64
		want []int
	}{
		{"nil matrix", nil, []int{}},
		{"empty matrix", [][]float64{}, []int{}},
		{"rows without columns", [][]float64{{}, {}}, []int{-1, -1}},
		{"single", [][]float64{{5}}, []int{0}},
		{"square 3x3", [][]float64{{4, 1, 3}, {2, 0, 5}, {3, 2, 2}}, []int{1, 0, 2}},
		{"wide 2x3", [][]float64{{1, 2, 3}, {2, 4, 6}}, []int{1, 0}},
		{"tall 3x2", [][]float64{{1, 2}, {2, 4}, {3, 6}}, []int{1, 0, -1}},
		{"tall 4x1 picks cheapest", [][]float64{{7}, {3}, {9}, {4}}, []int{-1, 0, -1, -1}},
		{"all-infeasible row", [][]float64{{inf, inf}, {1, 2}}, []int{-1, 0}},
		{"all infeasible", [][]float64{{inf, inf}, {inf, inf}}, []int{-1, -1}},
		{"infeasible column", [][]float64{{inf, 1}, {inf, 2}}, []int{1, -1}},
		{"cardinality beats cost", [][]float64{{1, 1000}, {2, inf}}, []int{1, 0}},
		{"cheaper row wins a shared column", [][]float64{{10}, {1}}, []int{-1, 0}},
		{"wide with infeasible", [][]float64{{inf, 3, 1, inf}, {inf, 2, inf, inf}}, []int{2, 1}},
		{"tall with infeasible", [][]float64{{inf, 5}, {4, inf}, {1, 9}, {inf, inf}}, []int{1, -1, 0, -1}},
		{"zero costs", [][]float64{{0, inf}, {0, 0}}, []int{0, 1}},
		{"fractional costs", [][]float64{{0.5, 0.25}, {0.125, 0.75}}, []int{1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := cloneMatrix(tt.cost)
			got := Solve(tt.cost)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Solve(%v) = %v, want %v", tt.cost, got, tt.want)
			}
			if !equalMatrix(in, tt.cost) {
				t.Fatalf("Solve modified its input")
			}
		})
	}
}

func TestSolvePanics(t *testing.T) {
	tests := []struct {
		name, msg string
		cost      [][]float64
	}{
		{"NaN", "NaN", [][]float64{{1, math.NaN()}}},
		{"negative", "negative", [][]float64{{1, 2}, {-1, 3}}},
		{"minus infinity", "negative", [][]float64{{math.Inf(-1)}}},
		{"ragged", "ragged", [][]float64{{1, 2}, {3}}},
		{"ragged empty first", "ragged", [][]float64{{}, {3}}},
		{"overflow", "too large", [][]float64{{math.MaxFloat64, math.MaxFloat64}, {1, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectPanic(t, tt.msg, func() { Solve(tt.cost) })
		})
	}
}

func TestSolveSparseTable(t *testing.T) {
	tests := []struct {
		name       string
		rows, cols int
		edges      []Edge
		want       []int
	}{
		{"empty", 0, 0, nil, []int{}},
		{"no edges", 2, 3, nil, []int{-1, -1}},
		{"no columns", 2, 0, nil, []int{-1, -1}},
		{"duplicate keeps cheapest", 2, 1, []Edge{{0, 0, 5}, {0, 0, 1}, {1, 0, 2}}, []int{0, -1}},
		{"duplicate keeps cheapest dense", 2, 2,
			[]Edge{{0, 0, 9}, {0, 1, 1}, {1, 1, 5}, {1, 1, 3}, {1, 0, 9}, {1, 0, 0.5}}, []int{1, 0}},
		{"infeasible edge ignored", 2, 2, []Edge{{0, 0, inf}, {0, 1, 4}, {1, 1, 1}}, []int{-1, 1}},
		{"two components", 4, 4,
			[]Edge{{0, 0, 1}, {0, 1, 2}, {1, 0, 1}, {2, 3, 7}, {3, 3, 6}, {3, 2, 8}}, []int{1, 0, 3, 2}},
		{"cardinality beats cost", 2, 2, []Edge{{0, 0, 1}, {0, 1, 1000}, {1, 0, 2}}, []int{1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range sparsePaths {
				got := p.solve(tt.rows, tt.cols, tt.edges)
				if !slices.Equal(got, tt.want) {
					t.Fatalf("%s = %v, want %v", p.name, got, tt.want)
				}
			}
		})
	}
}

func TestSolveSparsePanics(t *testing.T) {
	expectPanic(t, "invalid dimensions", func() { SolveSparse(-1, 2, nil) })
	expectPanic(t, "outside", func() { SolveSparse(2, 2, []Edge{{0, 2, 1}}) })
	expectPanic(t, "outside", func() { SolveSparse(2, 2, []Edge{{-1, 0, 1}}) })
	expectPanic(t, "invalid cost", func() { SolveSparse(2, 2, []Edge{{0, 0, -1}}) })
	expectPanic(t, "invalid cost", func() { SolveSparse(2, 2, []Edge{{0, 0, math.NaN()}}) })
}

// sparsePaths are the ways to run the sparse front-end: the public default
// and the two internal solvers forced for every component that is not a star.
var sparsePaths = []struct {
	name  string
	solve func(rows, cols int, edges []Edge) []int
}{
	{"SolveSparse", SolveSparse},
	{"solveSparse/SAP", func(r, c int, e []Edge) []int { return solveSparse(r, c, e, 0) }},
	{"solveSparse/dense", func(r, c int, e []Edge) []int { return solveSparse(r, c, e, math.MaxInt) }},
}

// TestSolveBruteForce compares Solve, and both sparse solvers on the same
// instance given as edges, with exhaustive enumeration on thousands of small
// random matrices.
func TestSolveBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := range 4000 {
		rows, cols := 1+r.IntN(6), 1+r.IntN(6)
		pInf := []float64{0, 0.2, 0.5, 0.8}[iter%4]
		integer := iter%2 == 0 // integer costs provoke many ties
		cost := randomMatrix(r, rows, cols, pInf, integer)
		wantN, wantC := bruteForce(cost)
		got := Solve(cost)
		n, c := checkAssignment(t, cost, got)
		if n != wantN || !closeTo(c, wantC) {
			t.Fatalf("iter %d: cost %v\nSolve = %v (count %d, total %v), brute force: count %d, total %v",
				iter, cost, got, n, c, wantN, wantC)
		}
		var edges []Edge
		for i, row := range cost {
			for j, x := range row {
				if x != Infeasible {
					edges = append(edges, Edge{i, j, x})
				}
			}
		}
		for _, p := range sparsePaths {
			got := p.solve(rows, cols, edges)
			n, c := checkAssignment(t, cost, got)
			if n != wantN || !closeTo(c, wantC) {
				t.Fatalf("iter %d: cost %v\n%s = %v (count %d, total %v), brute force: count %d, total %v",
					iter, cost, p.name, got, n, c, wantN, wantC)
			}
		}
	}
}

// TestSolveSparseMatchesDense checks SolveSparse against Solve on the dense
// matrix built from the same edges (cheapest duplicate wins).
func TestSolveSparseMatchesDense(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for iter := range 2000 {
		rows, cols := r.IntN(12), r.IntN(12)
		if iter%10 == 0 {
			rows, cols = 20+r.IntN(40), 20+r.IntN(40)
		}
		var edges []Edge
		if rows > 0 && cols > 0 {
			ne := r.IntN(3 * (rows + cols))
			for range ne {
				c := float64(r.IntN(20))
				if iter%2 == 1 {
					c = r.Float64() * 10
				}
				if r.IntN(30) == 0 {
					c = inf
				}
				edges = append(edges, Edge{r.IntN(rows), r.IntN(cols), c})
			}
		}
		compareSparseDense(t, rows, cols, edges)
	}
}

// TestSolveSparseGeo compares both solvers on a geographic instance with
// large components, the shape the dispatcher produces.
func TestSolveSparseGeo(t *testing.T) {
	for seed := range uint64(3) {
		rows, cols, edges := geoInstance(200, 600, 8, seed)
		compareSparseDense(t, rows, cols, edges)
	}
	rows, cols, edges := geoInstance(300, 200, 6, 9) // more orders than couriers
	compareSparseDense(t, rows, cols, edges)
	if !testing.Short() {
		// The benchmark instance: one component spans every order.
		rows, cols, edges = geoInstance(1000, 5000, 15, 1)
		compareSparseDense(t, rows, cols, edges)
	}
}

func TestSolveConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	cost := randomMatrix(r, 30, 40, 0.3, false)
	want := Solve(cost)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if got := Solve(cost); !slices.Equal(got, want) {
					t.Errorf("concurrent Solve = %v, want %v", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func compareSparseDense(t *testing.T, rows, cols int, edges []Edge) {
	t.Helper()
	dense := make([][]float64, rows)
	for i := range dense {
		dense[i] = make([]float64, cols)
		for j := range dense[i] {
			dense[i][j] = inf
		}
	}
	for _, e := range edges {
		dense[e.Row][e.Col] = min(dense[e.Row][e.Col], e.Cost)
	}
	wantN, wantC := checkAssignment(t, dense, Solve(dense))
	for _, p := range sparsePaths {
		got := p.solve(rows, cols, edges)
		n, c := checkAssignment(t, dense, got)
		if n != wantN || !closeTo(c, wantC) {
			t.Fatalf("%d×%d with %d edges: %s count %d total %v; Solve count %d total %v",
				rows, cols, len(edges), p.name, n, c, wantN, wantC)
		}
	}
}

// checkAssignment verifies that a is an injective row→col map using no
// Infeasible pair, and returns its size and total cost.
func checkAssignment(t *testing.T, cost [][]float64, a []int) (int, float64) {
	t.Helper()
	if len(a) != len(cost) {
		t.Fatalf("got %d entries for %d rows", len(a), len(cost))
	}
	seen := map[int]bool{}
	n, total := 0, 0.0
	for i, j := range a {
		if j == -1 {
			continue
		}
		if j < 0 || j >= len(cost[i]) {
			t.Fatalf("row %d assigned to out-of-range column %d", i, j)
		}
		if seen[j] {
			t.Fatalf("column %d assigned twice in %v", j, a)
		}
		seen[j] = true
		if cost[i][j] == Infeasible {
			t.Fatalf("row %d assigned to infeasible column %d", i, j)
		}
		n++
		total += cost[i][j]
	}
	return n, total
}

// bruteForce enumerates every partial injective assignment of feasible pairs
// and returns the maximum count and, for that count, the minimum total cost.
func bruteForce(cost [][]float64) (bestN int, bestC float64) {
	bestN, bestC = -1, 0
	cols := len(cost[0])
	used := make([]bool, cols)
	var rec func(i, n int, c float64)
	rec = func(i, n int, c float64) {
		if i == len(cost) {
			if n > bestN || (n == bestN && c < bestC) {
				bestN, bestC = n, c
			}
			return
		}
		rec(i+1, n, c) // row i unassigned
		for j := range cols {
			if !used[j] && cost[i][j] != Infeasible {
				used[j] = true
				rec(i+1, n+1, c+cost[i][j])
				used[j] = false
			}
		}
	}
	rec(0, 0, 0)
	return bestN, bestC
}

func randomMatrix(r *rand.Rand, rows, cols int, pInf float64, integer bool) [][]float64 {
	m := make([][]float64, rows)
	for i := range m {
		m[i] = make([]float64, cols)
		for j := range m[i] {
			switch {
			case r.Float64() < pInf:
				m[i][j] = inf
			case integer:
				m[i][j] = float64(r.IntN(10))
			default:
				m[i][j] = r.Float64() * 100
			}
		}
	}
	return m
}

// geoInstance scatters rows and cols uniformly on the unit square and links
// every row to its k nearest columns with cost = Euclidean distance.
func geoInstance(rows, cols, k int, seed uint64) (int, int, []Edge) {
	r := rand.New(rand.NewPCG(seed, 42))
	type pt struct{ x, y float64 }
	rp, cp := make([]pt, rows), make([]pt, cols)
	for i := range rp {
		rp[i] = pt{r.Float64(), r.Float64()}
	}
	for j := range cp {
		cp[j] = pt{r.Float64(), r.Float64()}
	}
	edges := make([]Edge, 0, rows*k)
	cand := make([]Edge, cols)
	for i, p := range rp {
		for j, q := range cp {
			cand[j] = Edge{i, j, math.Hypot(p.x-q.x, p.y-q.y)}
		}
		slices.SortFunc(cand, func(a, b Edge) int { return cmp.Compare(a.Cost, b.Cost) })
		edges = append(edges, cand[:min(k, cols)]...)
	}
	return rows, cols, edges
}

func closeTo(a, b float64) bool { return math.Abs(a-b) <= 1e-9*(1+math.Abs(b)) }

func expectPanic(t *testing.T, substr string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		v := recover()
		if v == nil {
			t.Fatalf("expected a panic containing %q", substr)
		}
		if s, ok := v.(string); !ok || !strings.Contains(s, substr) {
			t.Fatalf("panic %v does not contain %q", v, substr)
		}
	}()
	f()
}

func cloneMatrix(m [][]float64) [][]float64 {
	out := make([][]float64, len(m))
	for i := range m {
		out[i] = slices.Clone(m[i])
	}
	return out
}

func equalMatrix(a, b [][]float64) bool {
	return slices.EqualFunc(a, b, func(x, y []float64) bool { return slices.Equal(x, y) })
}

func BenchmarkSolveDense100x500(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	cost := randomMatrix(r, 100, 500, 0, false)
	b.ReportAllocs()
	for b.Loop() {
		Solve(cost)
	}
}

// BenchmarkSolveSparse1000x5000 is the dispatcher's hot path: 1,000 orders and
// 5,000 couriers on a plane, each order linked to its 15 nearest couriers.
func BenchmarkSolveSparse1000x5000(b *testing.B) {
	rows, cols, edges := geoInstance(1000, 5000, 15, 1)
	b.ReportAllocs()
	for b.Loop() {
		SolveSparse(rows, cols, edges)
	}
}

// BenchmarkSolveSparse1000x5000DensePath forces the dense core on every
// component of the same instance, for comparison with the default.
func BenchmarkSolveSparse1000x5000DensePath(b *testing.B) {
	rows, cols, edges := geoInstance(1000, 5000, 15, 1)
	b.ReportAllocs()
	for b.Loop() {
		solveSparse(rows, cols, edges, math.MaxInt)
	}
}
