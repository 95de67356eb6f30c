package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/internal/sim"
)

// Timing of the run's own loop.
const (
	pollEvery     = 200 * time.Millisecond
	progressEvery = 5 * time.Second
)

// runner injects the plan's faults while orders flow, then drains.
type runner struct {
	cfg          Config
	cl           *cluster
	rds          *redisServer
	sim          *sim.Sim
	say          func(string, ...any)
	rng          *rand.Rand
	done         []string // faults injected, as report lines
	timedOut     bool     // the drain ended with paid orders not delivered
	lastProgress time.Time
}

// progress prints a status line every progressEvery.
func (r *runner) progress(ctx context.Context) {
	if time.Since(r.lastProgress) < progressEvery {
		return
	}
	r.lastProgress = time.Now()
	created, paid, _ := r.sim.Ledger().Counts()
	delivered, _ := r.cl.db.delivered(ctx)
	who := "none"
	if l, ok, err := r.cl.db.leader(ctx); err == nil && ok {
		who = l.holder
	}
	r.say("orders %d/%d, paid %d, delivered %d, faults %d/%d, leader %s",
		created, r.cfg.Orders, paid, delivered, len(r.done), r.cfg.Faults, who)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// run injects the plan's faults while orders are created and delivered, then waits for
// the last deliveries. Progress is p = orders created + orders delivered (database),
// which runs from 0 to 2 × Orders; fault k (from 0) fires once p ≥ (k+1)·2·Orders/(F+1),
// so faults hit both the busy creation phase and the deliveries that follow. It returns
// nil once every fault is injected and every paid order delivered, or when Config.Drain
// has passed since the last order was created (what is left then counts as lost); an
// error if the orders could not be created or a fault could not be injected in time.
func (r *runner) run(ctx context.Context) error {
	// Creating the orders should take Orders/Rate minutes; twice that plus a minute
	// means the cluster stopped taking orders.
	budget := time.Duration(float64(r.cfg.Orders)/r.cfg.Rate*float64(time.Minute))*2 + time.Minute
	createBy := time.Now().Add(budget)
	var drainBy time.Time // set when the last order exists
	next := 0
	total := 2 * r.cfg.Orders
	for {
		created, _, _ := r.sim.Ledger().Counts()
		delivered, err := r.cl.db.delivered(ctx)
		if err != nil {
			return err
		}
		if created >= r.cfg.Orders && drainBy.IsZero() {
			r.sim.StopOrders()
			drainBy = time.Now().Add(r.cfg.Drain)
			r.say("all %d orders created; draining (at most %v)", created, r.cfg.Drain)
		}
		if next < r.cfg.Faults && created+delivered >= (next+1)*total/(r.cfg.Faults+1) {
			if err := r.fault(ctx, Plan[next]); err != nil {
				return fmt.Errorf("fault %d (%s): %w", next+1, Plan[next], err)
			}
			next++
			continue
		}
		switch {
		case drainBy.IsZero() && time.Now().After(createBy):
			return fmt.Errorf("only %d of %d orders created in %v", created, r.cfg.Orders, budget)
		case !drainBy.IsZero() && next == r.cfg.Faults:
			left, settled, err := r.left(ctx)
			if err != nil {
				return err
			}
			if left == 0 && settled {
				r.say("drained: every paid order delivered")
				return nil
			}
			if time.Now().After(drainBy) {
				r.say("drain timed out with %d paid orders not delivered", left)
				r.timedOut = true
				return nil
			}
		case !drainBy.IsZero() && time.Now().After(drainBy):
			return fmt.Errorf("only %d of %d faults injected: deliveries stalled at %d of %d orders", next, r.cfg.Faults, delivered, created)
		}
		r.progress(ctx)
		if err := sleep(ctx, pollEvery); err != nil {
			return err
		}
	}
}

// left returns how many acknowledged orders are not delivered and whether every payment
// is settled.
func (r *runner) left(ctx context.Context) (int, bool, error) {
	var paid []string
	settled := true
	for _, o := range r.sim.Ledger().Orders() {
		settled = settled && o.Settled()
		if o.Paid() {
			paid = append(paid, o.ID)
		}
	}
	n, err := r.cl.db.undelivered(ctx, paid)
	return n, settled, err
}

// fault injects one fault and waits until the cluster has a leader again.
func (r *runner) fault(ctx context.Context, kind string) error {
	lead, l, err := r.cl.waitLeader(ctx, r.cfg.Takeover, "")
	if err != nil {
		return err
	}
	t0 := time.Now()
	var what string
	switch kind {
	case KillLeader:
		// The slot's name changes with the replacement, which may win the lease itself.
		victim := lead.name
		what = fmt.Sprintf("SIGKILL leader %s (epoch %d), replacement started", victim, l.epoch)
		if err := r.replace(ctx, lead); err != nil {
			return err
		}
		nl, nlease, err := r.cl.waitLeader(ctx, r.cfg.Takeover, victim)
		if err != nil {
			return fmt.Errorf("takeover after killing %s never happened: %w", victim, err)
		}
		what += fmt.Sprintf("; %s took over (epoch %d) after %.1fs", nl.name, nlease.epoch, time.Since(t0).Seconds())
	case KillFollower:
		f := r.cl.follower(r.rng, lead.name)
		if f == nil {
			return fmt.Errorf("no live follower to kill")
		}
		what = fmt.Sprintf("SIGKILL follower %s, replacement started", f.name)
		if err := r.replace(ctx, f); err != nil {
			return err
		}
	case RedisRestart:
		if err := r.rds.restart(ctx); err != nil {
			return err
		}
		what = fmt.Sprintf("SIGKILL redis-server, empty one on %s up after %.1fs", r.rds.Addr(), time.Since(t0).Seconds())
	case DropSockets:
		n := r.sim.DropSockets()
		what = fmt.Sprintf("%d courier sockets cut without a close frame", n)
	default:
		return fmt.Errorf("unknown fault %q", kind)
	}
	if _, _, err := r.cl.waitLeader(ctx, r.cfg.Takeover, ""); err != nil {
		return err
	}
	line := fmt.Sprintf("%s: %s", kind, what)
	r.done = append(r.done, line)
	r.say("fault %d/%d: %s", len(r.done), r.cfg.Faults, what)
	return nil
}

// replace SIGKILLs the slot's process and starts a new instance in its place.
func (r *runner) replace(ctx context.Context, s *slot) error {
	s.p.kill()
	return r.cl.start(ctx, s)
}
