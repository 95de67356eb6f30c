package sim

import (
	"slices"
	"sync"
)

// Ledger is what the simulated users saw, order by order: the payment webhook's answer
// and which couriers were told "ok" to an accept. It is the client-side half of a fault
// run's accounting; the database is the other.
//
// Concurrency: safe for concurrent use; bots and merchants write, anyone reads.
type Ledger struct {
	mu     sync.Mutex
	orders map[string]*OrderRecord
	order  []string // ids in creation order
}

// OrderRecord is one order as the simulated users saw it.
type OrderRecord struct {
	ID string
	// Payment is the webhook's last answer ("applied", "duplicate", "ignored"), or "" if
	// no attempt got an answer (PayErr then says why).
	Payment string
	PayErr  string
	// PayTries counts the webhook's attempts that ended (answered or given up on).
	PayTries int
	// Accepted lists the couriers whose accept of an offer holding this order was
	// answered ok, in the order the answers came.
	Accepted []string
	// Delivered is set when the courier's delivered step was answered ok.
	Delivered bool
}

// Paid reports whether the server acknowledged the payment.
func (r OrderRecord) Paid() bool { return r.Payment == "applied" || r.Payment == "duplicate" }

// Settled reports whether the payment needs no more attempts: answered, or given up
// after PayAttempts.
func (r OrderRecord) Settled() bool { return r.Payment != "" || r.PayTries >= PayAttempts }

// Doubled reports whether more than one courier was told it won the order.
func (r OrderRecord) Doubled() bool { return len(r.Accepted) > 1 }

func newLedger() *Ledger { return &Ledger{orders: map[string]*OrderRecord{}} }

func (l *Ledger) rec(id string) *OrderRecord {
	r, ok := l.orders[id]
	if !ok {
		r = &OrderRecord{ID: id}
		l.orders[id] = r
		l.order = append(l.order, id)
	}
	return r
}

func (l *Ledger) created(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rec(id)
}

func (l *Ledger) paid(id, result string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.rec(id)
	r.PayTries++
	if err != nil {
		r.PayErr = err.Error()
		return
	}
	r.Payment, r.PayErr = result, ""
}

func (l *Ledger) accepted(id, courierID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.rec(id)
	if !slices.Contains(r.Accepted, courierID) {
		r.Accepted = append(r.Accepted, courierID)
	}
}

func (l *Ledger) delivered(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rec(id).Delivered = true
}

// Orders returns a copy of every record, in creation order.
func (l *Ledger) Orders() []OrderRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]OrderRecord, 0, len(l.order))
	for _, id := range l.order {
		r := *l.orders[id]
		r.Accepted = slices.Clone(r.Accepted)
		out = append(out, r)
	}
	return out
}

// Counts returns how many orders were created, acknowledged as paid, and reported
// delivered by their courier.
func (l *Ledger) Counts() (created, paid, delivered int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.orders {
		created++
		if r.Paid() {
			paid++
		}
		if r.Delivered {
			delivered++
		}
	}
	return created, paid, delivered
}
