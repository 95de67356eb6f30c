package mdrp

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// Assignment is one bundle given to a courier: a row of solution_info_assignments.txt.
type Assignment struct {
	Time    int // minute the dispatcher made the assignment
	Pickup  int // minute the courier picks the bundle up
	Courier string
	Orders  []string // in delivery sequence
}

// OrderResult is one delivered order: a row of solution_info_orders.txt.
type OrderResult struct {
	Order     string
	Placement int // copied from the instance
	Ready     int // copied from the instance
	Pickup    int
	Dropoff   int
	Courier   string
}

// Move is one movement of a courier: a row of solution_info_couriers.txt.
type Move struct {
	Courier     string
	Departure   int
	Origin      string // StartPlace ("0") for the courier's start point, else an order or restaurant id
	Destination string // an order id (its customer) or a restaurant id
}

// Solution is a run's result as the three solution files hold it. A courier's moves are
// in the order it makes them; moves of different couriers may interleave.
type Solution struct {
	Assignments []Assignment
	Orders      []OrderResult
	Moves       []Move
}

// The solution file names.
const (
	AssignmentsFile = "solution_info_assignments.txt"
	OrdersFile      = "solution_info_orders.txt"
	CouriersFile    = "solution_info_couriers.txt"
)

var (
	assignmentsSpec = tableSpec{header: []string{"assignment_time", "pickup_time", "courier", "order"}, minCols: 4, maxCols: -1}
	orderResultSpec = tableSpec{
		header:  []string{"order", "placement_time", "ready_time", "pickup_time", "dropoff_time", "courier"},
		minCols: 6, maxCols: 6,
	}
	movesSpec = tableSpec{header: []string{"courier", "departure_time", "origin", "destination"}, minCols: 4, maxCols: 4}
)

// idLess orders ids so that ids sharing a prefix come in numeric order ("o2" before
// "o10"): shorter first, then lexically.
func idLess(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b))
}

// Canonical returns a copy of s in the order WriteSolution writes it: assignments by
// time, then courier, then first order; orders by id; moves grouped by courier (each
// courier's moves keep their relative order), couriers by id.
func (s *Solution) Canonical() *Solution {
	c := &Solution{
		Assignments: make([]Assignment, len(s.Assignments)),
		Orders:      slices.Clone(s.Orders),
		Moves:       slices.Clone(s.Moves),
	}
	for i, a := range s.Assignments {
		a.Orders = slices.Clone(a.Orders)
		c.Assignments[i] = a
	}
	slices.SortStableFunc(c.Assignments, func(a, b Assignment) int {
		return cmp.Or(cmp.Compare(a.Time, b.Time), idLess(a.Courier, b.Courier),
			idLess(first(a.Orders), first(b.Orders)), cmp.Compare(a.Pickup, b.Pickup))
	})
	slices.SortStableFunc(c.Orders, func(a, b OrderResult) int { return idLess(a.Order, b.Order) })
	slices.SortStableFunc(c.Moves, func(a, b Move) int { return idLess(a.Courier, b.Courier) })
	return c
}

func first(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// WriteSolution writes s to dir (created if missing) as the three solution files, in
// the canonical order of [Solution.Canonical], fields separated by one space.
func WriteSolution(dir string, s *Solution) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("mdrp: %w", err)
	}
	c := s.Canonical()
	itoa := strconv.Itoa
	rows := make([][]string, 0, len(c.Assignments))
	for _, a := range c.Assignments {
		rows = append(rows, append([]string{itoa(a.Time), itoa(a.Pickup), a.Courier}, a.Orders...))
	}
	if err := writeTable(dir, AssignmentsFile, assignmentsSpec.header, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for _, o := range c.Orders {
		rows = append(rows, []string{o.Order, itoa(o.Placement), itoa(o.Ready), itoa(o.Pickup), itoa(o.Dropoff), o.Courier})
	}
	if err := writeTable(dir, OrdersFile, orderResultSpec.header, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for _, m := range c.Moves {
		rows = append(rows, []string{m.Courier, itoa(m.Departure), m.Origin, m.Destination})
	}
	return writeTable(dir, CouriersFile, movesSpec.header, rows)
}

// ReadSolution reads the three solution files in dir, in file order. It checks the
// files' form only (headers, column counts, whole-number times); [Check] judges the
// content. Errors are *FileError values naming the file and line.
func ReadSolution(dir string) (*Solution, error) {
	s := &Solution{}
	err := eachCells(filepath.Join(dir, AssignmentsFile), assignmentsSpec, func(c *cells) error {
		s.Assignments = append(s.Assignments, Assignment{Time: c.int(0, "assignment_time"), Pickup: c.int(1, "pickup_time"),
			Courier: c.r.fields[2], Orders: slices.Clone(c.r.fields[3:])})
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = eachCells(filepath.Join(dir, OrdersFile), orderResultSpec, func(c *cells) error {
		s.Orders = append(s.Orders, OrderResult{Order: c.r.fields[0], Placement: c.int(1, "placement_time"), Ready: c.int(2, "ready_time"),
			Pickup: c.int(3, "pickup_time"), Dropoff: c.int(4, "dropoff_time"), Courier: c.r.fields[5]})
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = eachCells(filepath.Join(dir, CouriersFile), movesSpec, func(c *cells) error {
		s.Moves = append(s.Moves, Move{Courier: c.r.fields[0], Departure: c.int(1, "departure_time"), Origin: c.r.fields[2], Destination: c.r.fields[3]})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}
