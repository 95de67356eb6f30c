package dispatch

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"
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
	if !e.crowdOnline() {
		return // no ring search can find anyone
	}
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

// crowdOnline reports whether any crowd courier is connected.
func (e *Engine) crowdOnline() bool {
	for _, s := range e.sessions {
		if s.connected && s.c.Kind == courier.Crowd {
			return true
		}
	}
	return false
}

// canTake reports whether an indexed courier is connected, working and has room for
// units more. It runs inside index searches, under the engine's lock.
func (e *Engine) canTake(x *courier.Entry, units int) bool {
	s := e.sessions[x.ID]
	return (x.State == courier.Available || x.State == courier.Busy) && x.Spare() >= units && s != nil && s.connected
}

// match runs the batched franchise assignment: every open order × the station couriers
// that are free now or soon, min-cost assignment, then bundling of orders left without a
// courier into a matched trip from the same shop, then a confirm-offer for each match
// whose courier has to set off now. Open orders stay open to their station's couriers
// after the crowd broadcast starts.
func (e *Engine) match(ctx context.Context, now time.Time) {
	var jobs []*job
	for _, p := range e.queue {
		if p.order.StationID != "" && p.assign == "" {
			jobs = append(jobs, e.single(p))
		}
	}
	if len(jobs) == 0 {
		return
	}
	soon, fl := e.soonFree(now)
	jobs = e.prebundle(jobs, fl, now)
	slices.SortFunc(jobs, func(a, b *job) int { return strings.Compare(a.orders[0].order.ID, b.orders[0].order.ID) })
	picks := e.solve(jobs, soon, fl, now)
	e.merge(picks, now)
	e.commit(ctx, picks, now)
}

// pick is the round's decision for one job.
type pick struct {
	own    *pending // the order this row was made for
	j      *job
	cands  []courier.Candidate // considered, for the trace
	costs  []float64
	ok     bool // matched to cand
	cand   courier.Candidate
	sl     slot
	pl     plan
	merged *pick // the trip this order joined
	after  *pick // look-ahead: planned as the next job of the courier that serves after
}

// solve prices every job against its candidates and solves one min-cost assignment.
func (e *Engine) solve(jobs []*job, soon *courier.Index, fl *fleet, now time.Time) []*pick {
	col := map[string]int{}
	var cols []courier.Candidate
	var colSlot []slot
	var edges []assign.Edge
	picks := make([]*pick, len(jobs))
	plans := map[[2]int]plan{}
	for i, j := range jobs {
		cands, slots := e.candidates(j, soon, fl, now)
		pk := &pick{own: j.orders[0], j: j, cands: cands, costs: make([]float64, len(cands))}
		picks[i] = pk
		for k, c := range cands {
			pl, ok := e.price(j, slots[k], now)
			pk.costs[k] = pl.cost
			if !ok {
				pk.costs[k] = -1
				continue
			}
			ci, seen := col[c.ID]
			if !seen {
				ci = len(cols)
				col[c.ID] = ci
				cols = append(cols, c)
				colSlot = append(colSlot, slots[k])
			}
			if old, dup := plans[[2]int{i, ci}]; dup && old.cost <= pl.cost {
				continue
			}
			plans[[2]int{i, ci}] = pl
			edges = append(edges, assign.Edge{Row: i, Col: ci, Cost: pl.cost})
		}
	}
	// The look-ahead's second-job columns follow the nc courier columns (chain.go).
	nc := len(cols)
	colSlot, edges, predRow := e.chainEdges(jobs, colSlot, edges, plans, now)
	// When orders outnumber couriers the assignment serves the cheapest rows; without
	// credit for time already waited, an awkward order could wait forever. Each row is
	// credited for how long its goods have been ready, and every edge is raised by the
	// largest credit so no cost is negative (a constant on every edge changes nothing).
	credit := make([]float64, len(jobs))
	top := 0.0
	for i, j := range jobs {
		for _, p := range j.orders {
			credit[i] += e.cfg.DelayWeight * max(0, now.Sub(p.order.ReadyAt).Seconds())
		}
		top = max(top, credit[i])
	}
	// Each edge is also raised by how much more central its courier is than the least
	// central one (see centrality), so that no cost is negative.
	refs := make([]edgeRef, len(edges))
	for k, ed := range edges {
		refs[k] = edgeRef{row: ed.Row, col: ed.Col, reach: plans[[2]int{ed.Row, ed.Col}].reach}
	}
	central := e.centrality(jobs, colSlot, refs)
	most := 0.0
	for _, c := range central {
		most = max(most, c)
	}
	for k := range edges {
		edges[k].Cost += top - credit[edges[k].Row] + e.cfg.CentralityWeight*(most-central[k])
	}
	if len(edges) == 0 {
		return picks
	}
	match, after := solveChains(len(jobs), nc, edges, predRow)
	for i, m := range match {
		pk := picks[i]
		switch {
		case m < 0:
		case m < nc:
			pk.ok, pk.cand, pk.sl, pk.pl = true, cols[m], colSlot[m], plans[[2]int{i, m}]
		default:
			pk.after = picks[after[i]]
		}
	}
	return picks
}

// merge bundles: an order joins the matched trip from its shop where it adds the least
// cost, if that is less than its own match costs (beyond the courier's travel, which the
// bundle saves) — always when the assignment left it without a courier.
func (e *Engine) merge(picks []*pick, now time.Time) {
	byShop := map[string][]*pick{}
	for _, pk := range picks {
		if pk.ok {
			byShop[pk.own.order.ShopID] = append(byShop[pk.own.order.ShopID], pk)
		}
	}
	order := slices.Clone(picks)
	own := func(pk *pick) float64 {
		if !pk.ok {
			return math.Inf(1)
		}
		return pk.pl.cost - pk.pl.reach
	}
	slices.SortStableFunc(order, func(a, b *pick) int { return cmp.Compare(own(b), own(a)) })
	hosts := map[*pick]bool{}
	for _, u := range order {
		if hosts[u] || len(byShop[u.own.order.ShopID]) < 2 && u.ok {
			continue
		}
		p := u.own
		var best *pick
		var bestJob *job
		var bestPlan plan
		extra := own(u)
		for _, m := range byShop[p.order.ShopID] {
			if m == u || m.merged != nil || !e.joinable(m.j, p, now) || p.excluded[m.cand.ID] || m.sl.s.c.Capacity < m.j.units+p.order.Units {
				continue
			}
			nj := e.with(m.j, p)
			pl, ok := e.price(nj, m.sl, now)
			if ok && pl.cost-m.pl.cost < extra {
				best, bestJob, bestPlan, extra = m, nj, pl, pl.cost-m.pl.cost
			}
		}
		if best != nil {
			best.j, best.pl = bestJob, bestPlan
			hosts[best] = true
			u.merged, u.ok = best, false
		}
	}
}

// commit sends a confirm-offer for each match whose courier must set off within
// CommitLead, and records every order's round in its trace.
func (e *Engine) commit(ctx context.Context, picks []*pick, now time.Time) {
	for _, pk := range picks {
		winner := ""
		outcome := "no franchise courier of the station can take it this round"
		switch {
		case pk.merged != nil:
			winner = pk.merged.cand.ID
			outcome = "no courier of its own this round: bundled into this courier's trip from the same shop"
		case !pk.ok && pk.after != nil:
			outcome = "planned as the next job after order " + pk.after.own.order.ID + ": held for a later round"
		case !pk.ok:
		case !pk.sl.s.connected:
			winner = pk.cand.ID
			outcome = "planned for this courier, whose shift has not started: held until it comes online"
		case pk.pl.leave.After(now.Add(e.cfg.CommitLead)):
			winner = pk.cand.ID
			outcome = "planned for this courier, who need not set off yet: held for the next round"
		default:
			winner = pk.cand.ID
			outcome = "lowest total cost in the round's assignment; confirm-offer sent"
			of := e.newOffer(OfferAssign, pk.sl.s, pk.j.orders, now, e.cfg.OfferTTL, pk.cand.Pos)
			e.recordOn(ctx, of.OrderIDs, EventOfferSent, "offer "+of.ID+" sent for confirmation", pk.cand.ID)
		}
		e.traces.add(pk.own.order.ID, TraceRound{At: now, Phase: PhaseFranchise, Bundle: len(pk.j.orders),
			Candidates: traceCandidates(pk.cands, pk.costs), Winner: winner, Outcome: outcome})
	}
}
