package dispatch

import (
	"slices"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
)

// Trace limits: the last rounds of an order and the best candidates of each round.
const (
	traceRounds        = 12
	traceMaxCandidates = 5
)

// TraceCandidate is one courier considered in a round.
type TraceCandidate struct {
	CourierID string       `json:"courier_id"`
	Kind      courier.Kind `json:"kind"`
	DistanceM float64      `json:"distance_m"`
	Ring      int          `json:"ring"`
	Load      int          `json:"load"`
	// Cost is the matching cost in seconds (franchise rounds only; -1 when infeasible).
	Cost float64 `json:"cost,omitempty"`
}

// TraceRound is one round's decision about an order.
type TraceRound struct {
	At         time.Time        `json:"at"`
	Phase      Phase            `json:"phase"`
	Ring       int              `json:"ring,omitempty"`
	Bundle     int              `json:"bundle,omitempty"`
	Candidates []TraceCandidate `json:"candidates"`
	Winner     string           `json:"winner,omitempty"`
	Outcome    string           `json:"outcome"`
}

// Trace is an order's short dispatch history.
type Trace struct {
	OrderID string       `json:"order_id"`
	Rounds  []TraceRound `json:"rounds"`
	// Winner and Reason say who got the order and why.
	Winner string `json:"winner,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// traceBook keeps traces of the most recent orders, evicting the oldest.
type traceBook struct {
	max   int
	order []string
	by    map[string]*Trace
}

func newTraceBook(max int) traceBook { return traceBook{max: max, by: map[string]*Trace{}} }

func (b *traceBook) get(id string) *Trace {
	t := b.by[id]
	if t == nil {
		if len(b.order) >= b.max {
			delete(b.by, b.order[0])
			b.order = b.order[1:]
		}
		t = &Trace{OrderID: id}
		b.by[id] = t
		b.order = append(b.order, id)
	}
	return t
}

func (b *traceBook) add(id string, r TraceRound) {
	t := b.get(id)
	if n := len(t.Rounds); n > 0 && t.Rounds[n-1].Outcome == r.Outcome && r.Winner == "" &&
		slices.Equal(t.Rounds[n-1].Candidates, r.Candidates) {
		t.Rounds[n-1].At = r.At // the same empty round again: keep the log short
		return
	}
	if len(t.Rounds) >= traceRounds {
		t.Rounds = slices.Delete(t.Rounds, 0, 1)
	}
	t.Rounds = append(t.Rounds, r)
}

func (b *traceBook) won(id string, at time.Time, courierID, reason string) {
	t := b.get(id)
	t.Winner, t.Reason = courierID, reason
}

func traceCandidates(cs []courier.Candidate, costs []float64) []TraceCandidate {
	out := make([]TraceCandidate, 0, min(len(cs), traceMaxCandidates))
	for i, c := range cs {
		if i == traceMaxCandidates {
			break
		}
		tc := TraceCandidate{CourierID: c.ID, Kind: c.Kind, DistanceM: c.Distance, Ring: c.Ring, Load: c.Load}
		if costs != nil {
			tc.Cost = costs[i]
		}
		out = append(out, tc)
	}
	return out
}

// Trace returns an order's dispatch trace.
func (e *Engine) Trace(orderID string) (Trace, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.traces.by[orderID]
	if t == nil {
		return Trace{}, ErrNotFound
	}
	c := *t
	c.Rounds = slices.Clone(t.Rounds)
	return c, nil
}
