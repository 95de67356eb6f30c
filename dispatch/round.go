package dispatch

import (
	"context"
	"slices"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch/assign"
)

// lapse handles an offer whose time ran out: the courier is not asked again for it.
func (e *Engine) lapse(of *Offer) {
	e.dropOffer(of, true, "expired", true)
	e.stats.OffersExpired++
}

// expireOffers lapses every offer past its expiry.
func (e *Engine) expireOffers(ctx context.Context, now time.Time) {
	for _, of := range e.offers {
		if now.Before(of.ExpiresAt) {
			continue
		}
		e.lapse(of)
		if of.Kind == OfferAssign {
			e.recordOn(ctx, of.OrderIDs, EventOfferExpired, "courier did not confirm offer "+of.ID, of.CourierID)
		}
	}
}

// escalate moves orders from the franchise phase to the crowd and widens the crowd
// broadcast step by step, alerting operators at the widest ring.
func (e *Engine) escalate(ctx context.Context, now time.Time) {
	for _, p := range e.queue {
		esc := p.order.Escalation
		if esc.NextStepAt.IsZero() || now.Before(esc.NextStepAt) {
			continue
		}
		var t EventType
		var cause string
		switch {
		case esc.Phase == PhaseFranchise:
			esc = Escalation{Phase: PhaseCrowd, Ring: e.cfg.CrowdStartRings, NextStepAt: now.Add(e.cfg.CrowdStep)}
			t, cause = EventBroadcast, "no franchise courier confirmed within the station window"
		case esc.Ring < e.cfg.CrowdMaxRings:
			esc.Ring = min(esc.Ring+e.cfg.CrowdRingStep, e.cfg.CrowdMaxRings)
			esc.BonusCents += e.cfg.BonusStepCents
			esc.NextStepAt = now.Add(e.cfg.CrowdStep)
			t, cause = EventEscalated, "no crowd courier accepted: wider rings and a bonus"
		case !esc.Alerted:
			esc.Alerted = true
			esc.NextStepAt = time.Time{}
			t, cause = EventAlert, "widest broadcast reached: operators alerted"
		default:
			continue
		}
		o := p.order
		prev := o.Version
		o.Escalation = esc
		ev := o.record(t, now, cause, "")
		if err := e.save(ctx, &o, prev, []Event{ev}); err != nil {
			e.log.Warn("escalate", "order", o.ID, "err", err)
			continue
		}
		p.order = o
	}
}

// broadcast offers every crowd-phase order to the crowd couriers within its ring that
// have not had it yet.
func (e *Engine) broadcast(ctx context.Context, now time.Time) {
	ids := make([]string, 0)
	for id, p := range e.queue {
		if p.order.Escalation.Phase == PhaseCrowd {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids) // oldest orders first
	for _, id := range ids {
		p := e.queue[id]
		o := p.order
		cands := e.index.Within(o.Pickup.Pos, o.Escalation.Ring, func(x *courier.Entry) bool {
			return x.Kind == courier.Crowd && e.canTake(x, o.Units) && !p.excluded[x.ID] && p.crowd[x.ID] == ""
		})
		if len(cands) > e.cfg.CrowdMaxOffers {
			cands = cands[:e.cfg.CrowdMaxOffers]
		}
		for _, c := range cands {
			e.newOffer(OfferBroadcast, e.sessions[c.ID], []*pending{p}, now, e.cfg.CrowdOfferTTL, c.Pos)
		}
		if len(cands) > 0 {
			e.traces.add(o.ID, TraceRound{At: now, Phase: PhaseCrowd, Ring: o.Escalation.Ring,
				Candidates: traceCandidates(cands, nil), Outcome: "broadcast to crowd couriers in range"})
		}
	}
}

// canTake reports whether an indexed courier is connected, working and has room for
// units more. It runs inside index searches, under the engine's lock.
func (e *Engine) canTake(x *courier.Entry, units int) bool {
	s := e.sessions[x.ID]
	return (x.State == courier.Available || x.State == courier.Busy) && x.Spare() >= units && s != nil && s.connected
}

// match runs the batched franchise assignment: jobs (bundles) × nearby station
// couriers, min-cost assignment, one confirm-offer per matched courier.
func (e *Engine) match(ctx context.Context, now time.Time) {
	var open []*pending
	for _, p := range e.queue {
		if p.order.Escalation.Phase == PhaseFranchise && p.assign == "" {
			open = append(open, p)
		}
	}
	if len(open) == 0 {
		return
	}
	jobs := e.bundle(open, now)
	left := e.assignJobs(ctx, jobs, now)
	// Bundles nobody could take are retried as single orders.
	var singles []*job
	for _, j := range left {
		if len(j.orders) > 1 {
			for _, p := range j.orders {
				singles = append(singles, e.single(p))
			}
		}
	}
	e.assignJobs(ctx, singles, now)
}

// assignJobs solves one assignment and sends the offers; it returns the unmatched jobs.
func (e *Engine) assignJobs(ctx context.Context, jobs []*job, now time.Time) []*job {
	if len(jobs) == 0 {
		return nil
	}
	col := map[string]int{}
	var cols []courier.Candidate
	var edges []assign.Edge
	cands := make([][]courier.Candidate, len(jobs))
	costs := make([][]float64, len(jobs))
	for i, j := range jobs {
		cands[i] = e.index.Nearest(j.pickup, e.cfg.Candidates, 0, func(x *courier.Entry) bool {
			return x.Kind == courier.Franchise && x.Station == j.station && e.canTake(x, j.units) &&
				len(e.sessions[x.ID].offers) == 0 && !j.excluded(x.ID)
		})
		costs[i] = make([]float64, len(cands[i]))
		for k, c := range cands[i] {
			cost, ok := e.cost(j, c, now)
			costs[i][k] = cost
			if !ok {
				costs[i][k] = -1
				continue
			}
			ci, seen := col[c.ID]
			if !seen {
				ci = len(cols)
				col[c.ID] = ci
				cols = append(cols, c)
			}
			edges = append(edges, assign.Edge{Row: i, Col: ci, Cost: cost})
		}
	}
	match := assign.Solve(nil)
	if len(edges) > 0 {
		match = assign.SolveSparse(len(jobs), len(cols), edges)
	}
	var left []*job
	for i, j := range jobs {
		m := -1
		if i < len(match) {
			m = match[i]
		}
		winner := ""
		outcome := "no franchise courier of the station can take it this round"
		if m >= 0 {
			c := cols[m]
			winner = c.ID
			outcome = "lowest total cost in the round's assignment; confirm-offer sent"
			of := e.newOffer(OfferAssign, e.sessions[c.ID], j.orders, now, e.cfg.OfferTTL, c.Pos)
			e.recordOn(ctx, of.OrderIDs, EventOfferSent, "offer "+of.ID+" sent for confirmation", c.ID)
		} else {
			left = append(left, j)
		}
		for _, p := range j.orders {
			e.traces.add(p.order.ID, TraceRound{At: now, Phase: PhaseFranchise, Bundle: len(j.orders),
				Candidates: traceCandidates(cands[i], costs[i]), Winner: winner, Outcome: outcome})
		}
	}
	return left
}
