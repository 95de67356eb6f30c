package assign

import (
	"sort"
	"testing"
)

func TestGeoStats(t *testing.T) {
	rows, cols, edges := geoInstance(1000, 5000, 15, 1)
	parent := make([]int, rows+cols)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(x int) int {
		if parent[x] != x {
			parent[x] = find(parent[x])
		}
		return parent[x]
	}
	for _, e := range edges {
		a, b := find(e.Row), find(rows+e.Col)
		if a != b {
			parent[a] = b
		}
	}
	type cnt struct{ r, c int }
	m := map[int]*cnt{}
	touched := map[int]bool{}
	for _, e := range edges {
		touched[e.Col] = true
	}
	for i := 0; i < rows; i++ {
		r := find(i)
		if m[r] == nil {
			m[r] = &cnt{}
		}
		m[r].r++
	}
	for j := range touched {
		m[find(rows+j)].c++
	}
	var s []cnt
	for _, v := range m {
		s = append(s, *v)
	}
	sort.Slice(s, func(i, j int) bool { return s[i].r > s[j].r })
	t.Logf("components %d, largest %v, touched cols %d", len(s), s[:min(5, len(s))], len(touched))
}
