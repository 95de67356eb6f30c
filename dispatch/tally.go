package dispatch

import (
	"slices"
	"sync"
	"time"
)

// tallySamples caps the paid→assigned durations a Tally keeps for one day's median.
const tallySamples = 100_000

// DayKPIs are the operators' counters for one calendar day.
type DayKPIs struct {
	// Day is the date in the Tally's time zone (YYYY-MM-DD).
	Day string `json:"day"`
	// Delivered counts orders delivered that day; OnTime those delivered by their
	// promised time.
	Delivered int `json:"delivered"`
	OnTime    int `json:"on_time"`
	// OnTimePct is 100·OnTime/Delivered, or nil before the first delivery.
	OnTimePct *float64 `json:"on_time_pct"`
	// Assigned counts orders assigned that day; MedianPaidToAssigned is the median time
	// from payment to assignment among them (zero before the first).
	Assigned             int           `json:"assigned"`
	MedianPaidToAssigned time.Duration `json:"-"`
}

// Tally counts the day's deliveries and assignments from the engine's order events. Feed
// it every event (it is meant to sit behind the engine's Notifier). A day ends at
// midnight in the Tally's location; the counters then start again from zero. It holds
// only what this process saw: a restart starts the day again.
//
// Concurrency: safe for concurrent use; methods never block on anything but its own lock.
type Tally struct {
	loc *time.Location

	mu        sync.Mutex
	day       time.Time // midnight starting the counted day
	delivered int
	onTime    int
	assigned  []time.Duration
	seen      int // assignments counted, including those past tallySamples
}

// NewTally returns a tally whose days start at midnight in loc (UTC when nil).
func NewTally(loc *time.Location) *Tally {
	if loc == nil {
		loc = time.UTC
	}
	return &Tally{loc: loc}
}

// Observe counts e: an order entering delivered or assigned. Other events are ignored,
// and so are events of a day before the one being counted.
func (t *Tally) Observe(o Order, e Event) {
	if e.Type != StateEvent(e.State) || (e.State != Delivered && e.State != Assigned) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.rollLocked(e.At) {
		return
	}
	switch e.State {
	case Delivered:
		t.delivered++
		if !o.DeliveredAt.After(o.PromisedAt) {
			t.onTime++
		}
	case Assigned:
		t.seen++
		if !o.PaidAt.IsZero() && len(t.assigned) < tallySamples {
			t.assigned = append(t.assigned, max(0, o.AssignedAt.Sub(o.PaidAt)))
		}
	}
}

// Today returns the counters of the day containing now (zero counters if nothing was
// seen that day yet).
func (t *Tally) Today(now time.Time) DayKPIs {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rollLocked(now)
	k := DayKPIs{Day: t.day.Format(time.DateOnly), Delivered: t.delivered, OnTime: t.onTime, Assigned: t.seen}
	if t.delivered > 0 {
		pct := 100 * float64(t.onTime) / float64(t.delivered)
		k.OnTimePct = &pct
	}
	if n := len(t.assigned); n > 0 {
		s := slices.Clone(t.assigned)
		slices.Sort(s)
		k.MedianPaidToAssigned = s[(n-1)/2]
	}
	return k
}

// rollLocked starts a new day if at falls after the counted one and reports whether at
// belongs to the (possibly new) counted day.
func (t *Tally) rollLocked(at time.Time) bool {
	l := at.In(t.loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, t.loc)
	switch {
	case day.After(t.day):
		t.day, t.delivered, t.onTime, t.assigned, t.seen = day, 0, 0, nil, 0
		return true
	case day.Equal(t.day):
		return true
	default:
		return false
	}
}
