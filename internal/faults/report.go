package faults

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/internal/sim"
)

// Report is what a fault run measured. docs/faults.md defines each figure.
type Report struct {
	// Orders is how many orders the merchants created (the API answered with an id).
	Orders int
	// Paid is how many of them had their payment webhook answered applied or duplicate.
	Paid int
	// Delivered is how many of them the database has as delivered at the end.
	Delivered int
	// Faults is how many faults were injected; FaultLog says what each was.
	Faults   int
	FaultLog []string
	// Lost lists the orders paid (webhook acknowledged, or paid_at set in the database)
	// that are not delivered at the end, as "id (state, courier …)".
	Lost []string
	// Doubled lists the orders that more than one courier was given: two couriers told
	// ok to an accept, more than one assignment row, or a courier told ok that is not
	// the one the database assigned; as "id: couriers".
	Doubled []string
	// PaidToAssigned are the p50 and p99 from each order's first order.paid event to its
	// first order.assigned event (database timestamps); Assigned counts the orders used.
	P50, P99 time.Duration
	Assigned int
	// ToPickup (first order.assigned → first order.picked_up) and ToDoor (first
	// order.picked_up → first order.delivered) are p50 and p99 of the rides, for reading
	// where the time goes.
	ToPickup, ToDoor [2]time.Duration
	// Unanswered counts orders whose payment webhook never got an answer.
	Unanswered int
	// Silences counts courier connections the bots gave up on because three steps in a
	// row went unanswered for 10 s each.
	Silences int64
	// Dumped is set when the drain timed out and the instances were sent SIGQUIT, so that
	// their logs end with every goroutine's stack.
	Dumped bool
	// Retries counts HTTP attempts the simulated users repeated after a failure.
	Retries int64
	// Crashed lists instances that exited without being killed by the run.
	Crashed []string
	// Elapsed is the run's wall time; LogDir holds the instances' and Redis's logs.
	Elapsed time.Duration
	LogDir  string
}

// account fills the report from the database and the simulated users' ledger.
func (rep *Report) account(ctx context.Context, db *scratchDB, ledger *sim.Ledger, holding map[string][]string) error {
	rows, err := db.orders(ctx)
	if err != nil {
		return err
	}
	recs := map[string]sim.OrderRecord{}
	for _, o := range ledger.Orders() {
		recs[o.ID] = o
	}
	ids := make([]string, 0, len(rows)+len(recs))
	for id := range rows {
		ids = append(ids, id)
	}
	for id := range recs {
		if rows[id] == nil {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var toAssign, toPickup, toDoor []time.Duration
	for _, id := range ids {
		row, rec := rows[id], recs[id]
		_, known := recs[id]
		if known {
			rep.Orders++
			if rec.Paid() {
				rep.Paid++
			} else if rec.Payment == "" {
				rep.Unanswered++
			}
		}
		state := "missing from the database"
		var assigned []string
		if row != nil {
			state, assigned = row.state, row.couriers
			if state == "delivered" && known {
				rep.Delivered++
			}
			if !row.paidAt.IsZero() && !row.assignedAt.IsZero() {
				toAssign = append(toAssign, row.assignedAt.Sub(row.paidAt))
			}
			if !row.assignedAt.IsZero() && !row.pickedAt.IsZero() {
				toPickup = append(toPickup, row.pickedAt.Sub(row.assignedAt))
			}
			if !row.pickedAt.IsZero() && !row.doneAt.IsZero() {
				toDoor = append(toDoor, row.doneAt.Sub(row.pickedAt))
			}
		}
		if (rec.Paid() || (row != nil && row.paid)) && state != "delivered" {
			line := fmt.Sprintf("%s (%s", id, state)
			if len(assigned) > 0 {
				c := assigned[len(assigned)-1]
				line += fmt.Sprintf(", courier %s, whose bot holds %v", c, holding[c])
			}
			rep.Lost = append(rep.Lost, line+")")
		}
		couriers := slices.Clone(rec.Accepted)
		for _, c := range assigned {
			if !slices.Contains(couriers, c) {
				couriers = append(couriers, c)
			}
		}
		if len(assigned) > 1 || len(couriers) > 1 {
			rep.Doubled = append(rep.Doubled, fmt.Sprintf("%s: told ok %v, assignment rows %v", id, rec.Accepted, assigned))
		}
	}
	rep.Assigned = len(toAssign)
	rep.P50, rep.P99 = sim.Quantile(toAssign, 0.5), sim.Quantile(toAssign, 0.99)
	rep.ToPickup = [2]time.Duration{sim.Quantile(toPickup, 0.5), sim.Quantile(toPickup, 0.99)}
	rep.ToDoor = [2]time.Duration{sim.Quantile(toDoor, 0.5), sim.Quantile(toDoor, 0.99)}
	return nil
}

// Failed reports whether anything was lost or doubled.
func (rep Report) Failed() bool { return len(rep.Lost) > 0 || len(rep.Doubled) > 0 }

// FinalLine is the run's one-line verdict.
func (rep Report) FinalLine() string {
	return fmt.Sprintf("orders %d, faults %d, lost %d, double-assigned %d, paid→assigned p99 %.1fs",
		rep.Orders, rep.Faults, len(rep.Lost), len(rep.Doubled), rep.P99.Seconds())
}

// Print writes the faults injected, the figures as a table, the lost and doubled orders
// (at most 20 of each) and, last, FinalLine.
func (rep Report) Print(w io.Writer) {
	fmt.Fprintf(w, "\nfaults injected:\n")
	for i, f := range rep.FaultLog {
		fmt.Fprintf(w, "  %2d. %s\n", i+1, f)
	}
	logs := rep.LogDir
	if rep.Dumped {
		logs += " (instances' goroutine stacks at the end, from SIGQUIT)"
	}
	rows := [][2]string{
		{"orders created", fmt.Sprint(rep.Orders)},
		{"payments acknowledged", fmt.Sprint(rep.Paid)},
		{"payments never answered", fmt.Sprint(rep.Unanswered)},
		{"orders delivered", fmt.Sprint(rep.Delivered)},
		{"faults injected", fmt.Sprint(rep.Faults)},
		{"lost", fmt.Sprint(len(rep.Lost))},
		{"double-assigned", fmt.Sprint(len(rep.Doubled))},
		{"paid→assigned p50", fmt.Sprintf("%.1f s (%d orders)", rep.P50.Seconds(), rep.Assigned)},
		{"paid→assigned p99", fmt.Sprintf("%.1f s", rep.P99.Seconds())},
		{"assigned→picked up p50/p99", fmt.Sprintf("%.1f s / %.1f s", rep.ToPickup[0].Seconds(), rep.ToPickup[1].Seconds())},
		{"picked up→delivered p50/p99", fmt.Sprintf("%.1f s / %.1f s", rep.ToDoor[0].Seconds(), rep.ToDoor[1].Seconds())},
		{"client retries", fmt.Sprint(rep.Retries)},
		{"courier sockets gone silent", fmt.Sprint(rep.Silences)},
		{"instances crashed", fmt.Sprint(len(rep.Crashed))},
		{"wall time", rep.Elapsed.Round(time.Second).String()},
		{"logs", logs},
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		fmt.Fprintf(w, "%-30s %s\n", r[0], r[1])
	}
	list := func(name string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s:\n", name)
		for i, it := range items {
			if i == 20 {
				fmt.Fprintf(w, "  … and %d more\n", len(items)-20)
				break
			}
			fmt.Fprintf(w, "  %s\n", it)
		}
	}
	list("lost orders", rep.Lost)
	list("double-assigned orders", rep.Doubled)
	list("instances that exited on their own", rep.Crashed)
	fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(rep.FinalLine()))
}
