package mdrp_test

import (
	"fmt"
	"log"

	"github.com/hummingbird-dispatch/hummingbird/internal/mdrp"
)

// Judge a run: load the instance and the run's solution files, check every rule, then
// report the metrics.
func Example() {
	in, err := mdrp.Load("testdata/tiny")
	if err != nil {
		log.Fatal(err)
	}
	s, err := mdrp.ReadSolution("testdata/tiny/solution")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("violations:", len(mdrp.Check(in, s)))
	m := mdrp.Evaluate(in, s)
	fmt.Printf("delivered %d of %d, CtD %.2f (p90 %.2f), RtP %.2f, $%.2f per order\n",
		m.Delivered, m.Orders, m.CtDMean, m.CtDP90, m.RtPMean, m.CostPerOrder)

	s.Assignments[1].Pickup = 29 // before o3 is ready
	for _, v := range mdrp.Check(in, s) {
		fmt.Println(v)
	}
	// Output:
	// violations: 0
	// delivered 3 of 4, CtD 24.00 (p90 26.60), RtP 3.67, $20.00 per order
	// pickup_before_ready: assignment 2 (courier c1, orders o3): pickup 29, order o3 ready at 30
	// pickup_mismatch: order o3: orders file says pickup 39, assignment 2 (courier c1, orders o3) picks up at 29
	// pickup_before_arrival: assignment 2 (courier c1, orders o3): pickup at 29, but courier c1 arrives at r2 at 37 and needs half of the 4 service minutes before it
}
