package dispatch

import (
	"slices"
	"testing"

	"github.com/hummingbird-dispatch/hummingbird/dispatch/assign"
)

// One courier (column 0) and three jobs; job 0 is also column 1, "after job 0". Job 1 is
// the courier's cheapest job and job 2 can only follow job 0. The cheapest assignment
// gives the courier job 1 and puts job 2 behind job 0, which nobody serves: a headless
// chain, which must not count as service.
func TestSolveChainsDropsHeadlessChains(t *testing.T) {
	edges := []assign.Edge{
		{Row: 0, Col: 0, Cost: 10},
		{Row: 1, Col: 0, Cost: 1},
		{Row: 2, Col: 1, Cost: 1},
	}
	match, after := solveChains(3, 1, edges, []int{0})
	if want := []int{-1, 0, -1}; !slices.Equal(match, want) {
		t.Errorf("match %v, want %v", match, want)
	}
	if want := []int{-1, -1, -1}; !slices.Equal(after, want) {
		t.Errorf("after %v, want %v", after, want)
	}
	// Made cheaper to give the courier job 0, the chain is headed and job 2 is served
	// second.
	edges[0].Cost = 0.5
	match, after = solveChains(3, 1, edges, []int{0})
	if want := []int{0, -1, 1}; !slices.Equal(match, want) {
		t.Errorf("match %v, want %v", match, want)
	}
	if want := []int{-1, -1, 0}; !slices.Equal(after, want) {
		t.Errorf("after %v, want %v", after, want)
	}
}
