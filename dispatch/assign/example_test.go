package assign_test

import (
	"fmt"

	"github.com/hummingbird-dispatch/hummingbird/dispatch/assign"
)

func ExampleSolve() {
	// Three orders (rows) and two couriers (columns). Courier 1 cannot
	// reach order 1.
	cost := [][]float64{
		{4, 1},
		{2, assign.Infeasible},
		{3, 5},
	}
	for order, courier := range assign.Solve(cost) {
		if courier < 0 {
			fmt.Printf("order %d: unassigned\n", order)
			continue
		}
		fmt.Printf("order %d: courier %d (cost %g)\n", order, courier, cost[order][courier])
	}
	// Output:
	// order 0: courier 1 (cost 1)
	// order 1: courier 0 (cost 2)
	// order 2: unassigned
}
