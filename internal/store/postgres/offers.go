package postgres

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

var _ dispatch.Notifier = (*OfferJournal)(nil)

// Journal sizing and shutdown.
const (
	// journalQueue is how many records wait for Run before the notifier drops new ones.
	journalQueue = 4096
	// journalBatch bounds the records Run writes in one transaction.
	journalBatch = 256
	// journalFlushTimeout bounds the final write of what is still queued when Run's
	// context ends.
	journalFlushTimeout = 5 * time.Second
)

// OfferOutcome says how an offer ended, as Offers reads it.
type OfferOutcome string

// Offer outcomes.
const (
	// OutcomeOpen: the offer may still be answered.
	OutcomeOpen OfferOutcome = ""
	// OutcomeAccepted: the courier accepted and the orders were assigned to them.
	OutcomeAccepted OfferOutcome = "accepted"
	// OutcomeDeclined: the courier declined.
	OutcomeDeclined OfferOutcome = "declined"
	// OutcomeWithdrawn: the engine withdrew the offer (another courier took the order,
	// the order was canceled or changed elsewhere); Reason says why.
	OutcomeWithdrawn OfferOutcome = "withdrawn"
	// OutcomeExpired: nobody answered in time. Read for an offer still open past its
	// expiry by the database's clock, and for one the engine withdrew with reason
	// "expired" (its lapse).
	OutcomeExpired OfferOutcome = "expired"
)

// OfferRecord is one journaled offer.
type OfferRecord struct {
	ID        string
	Kind      dispatch.OfferKind
	CourierID string
	OrderIDs  []string
	PayCents  int64
	DistanceM float64
	CreatedAt time.Time
	ExpiresAt time.Time
	// ClosedAt is when the offer was accepted, declined or withdrawn; zero while open and
	// for an offer that expired unanswered (see ExpiresAt).
	ClosedAt time.Time
	Outcome  OfferOutcome
	// Reason is the engine's reason for a withdrawal; empty otherwise.
	Reason string
}

// offersSQL reads an order's offers oldest first, with the outcome as of the database's
// clock.
const offersSQL = `
SELECT id, kind, courier_id, order_ids, pay_cents, distance_m, created_at, expires_at, closed_at,
	CASE
		WHEN outcome IS NULL AND expires_at <= now() THEN 'expired'
		WHEN outcome = 'withdrawn' AND reason = 'expired' THEN 'expired'
		ELSE coalesce(outcome, '')
	END,
	reason
FROM offers
WHERE order_ids @> ARRAY[$1]::text[]
ORDER BY created_at, id`

// Offers returns the journaled offers that included the order, oldest first (none: an
// empty slice and no error).
func (s *Store) Offers(ctx context.Context, orderID string) ([]OfferRecord, error) {
	rows, err := s.pool.Query(ctx, offersSQL, orderID)
	if err != nil {
		return nil, mapErr("offers of order "+orderID, err)
	}
	defer rows.Close()
	out := []OfferRecord{}
	for rows.Next() {
		var (
			r       OfferRecord
			kind    string
			closed  *time.Time
			outcome string
		)
		if err := rows.Scan(&r.ID, &kind, &r.CourierID, &r.OrderIDs, &r.PayCents, &r.DistanceM,
			&r.CreatedAt, &r.ExpiresAt, &closed, &outcome, &r.Reason); err != nil {
			return nil, mapErr("offers of order "+orderID, err)
		}
		r.Kind, r.Outcome = dispatch.OfferKind(kind), OfferOutcome(outcome)
		if closed != nil {
			r.ClosedAt = *closed
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr("offers of order "+orderID, err)
	}
	return out, nil
}

// Journal statements, one per kind of record.
const (
	journalInsertSQL = `INSERT INTO offers (id, kind, courier_id, order_ids, pay_cents, distance_m, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`
	journalWithdrawSQL = `UPDATE offers SET outcome = 'withdrawn', reason = $2, closed_at = now()
WHERE id = $1 AND outcome IS NULL`
	// The answered offer was still valid when answered: an older offer of the same
	// courier and order that was never closed (its leader crashed) stays as it was.
	journalAnswerSQL = `UPDATE offers SET outcome = $1, closed_at = $4
WHERE courier_id = $2 AND order_ids @> ARRAY[$3]::text[] AND outcome IS NULL AND expires_at >= $4`
)

// journalKind says what a queued record does.
type journalKind uint8

const (
	journalOffer journalKind = iota
	journalWithdrawn
	journalAccepted
	journalDeclined
)

// journalRecord is what a notifier call queues: a copy, sharing no memory with the engine.
type journalRecord struct {
	kind      journalKind
	id        string // offer id (offer, withdrawn)
	courierID string
	orderID   string // accepted, declined
	reason    string // withdrawn
	at        time.Time
	// offer only
	offerKind dispatch.OfferKind
	orderIDs  []string
	payCents  int64
	distanceM float64
	expiresAt time.Time
}

// queue adds the record's statement to b.
func (r *journalRecord) queue(b *pgx.Batch) {
	switch r.kind {
	case journalOffer:
		b.Queue(journalInsertSQL, r.id, string(r.offerKind), r.courierID, r.orderIDs, r.payCents,
			r.distanceM, r.at, r.expiresAt)
	case journalWithdrawn:
		b.Queue(journalWithdrawSQL, r.id, r.reason)
	case journalAccepted:
		b.Queue(journalAnswerSQL, string(OutcomeAccepted), r.courierID, r.orderID, r.at)
	case journalDeclined:
		b.Queue(journalAnswerSQL, string(OutcomeDeclined), r.courierID, r.orderID, r.at)
	}
}

// OfferJournal records every offer and how it ended in the offers table. It is a
// dispatch.Notifier: give it to the engine (alone or beside other notifiers) and run Run.
//
// Concurrency: the notifier methods are safe for concurrent use and never block: they copy
// what they need into a bounded queue and return, dropping the record (counted by
// Dropped) when the queue is full. Run, the journal's only goroutine, drains the queue and
// writes the records in the order they were queued. A record that cannot be written is
// logged and counted by Failed; nothing is retried later, and the engine never waits for
// or hears about the journal. The journal is an audit trail, not a source of truth: a
// record lost to a full queue or a failed write leaves that offer missing, or open (and so
// read as expired once past its expiry).
type OfferJournal struct {
	s       *Store
	log     *slog.Logger
	queue   chan journalRecord
	dropped atomic.Int64
	failed  atomic.Int64
}

// NewOfferJournal returns a journal writing through s; log may be nil (nothing logged).
func NewOfferJournal(s *Store, log *slog.Logger) *OfferJournal {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &OfferJournal{s: s, log: log, queue: make(chan journalRecord, journalQueue)}
}

// Dropped returns how many records were dropped because the queue was full.
func (j *OfferJournal) Dropped() int64 { return j.dropped.Load() }

// Failed returns how many records could not be written.
func (j *OfferJournal) Failed() int64 { return j.failed.Load() }

func (j *OfferJournal) put(r journalRecord) {
	select {
	case j.queue <- r:
	default:
		j.dropped.Add(1)
	}
}

// Offer implements dispatch.Notifier: it journals a new offer.
func (j *OfferJournal) Offer(o dispatch.Offer) {
	j.put(journalRecord{
		kind: journalOffer, id: o.ID, courierID: o.CourierID, at: o.CreatedAt,
		offerKind: o.Kind, orderIDs: slices.Clone(o.OrderIDs), payCents: o.PayCents,
		distanceM: o.DistanceM, expiresAt: o.ExpiresAt,
	})
}

// OfferWithdrawn implements dispatch.Notifier: it closes the offer as withdrawn, with the
// database's time, unless it was already closed.
func (j *OfferJournal) OfferWithdrawn(courierID, offerID, reason string) {
	j.put(journalRecord{kind: journalWithdrawn, id: offerID, courierID: courierID, reason: reason})
}

// OrderEvent implements dispatch.Notifier. An order's move to assigned closes the
// courier's open offers of that order as accepted; an offer.declined event closes the
// declining courier's (Event.CourierID) as declined; both at the event's time. Offers are
// matched by courier and order because the events do not carry the offer id; only
// offers not yet expired at the event's time are closed. Other events are ignored.
func (j *OfferJournal) OrderEvent(o dispatch.Order, e dispatch.Event) {
	switch {
	case e.State == dispatch.Assigned && e.Type == dispatch.StateEvent(dispatch.Assigned):
		j.put(journalRecord{kind: journalAccepted, courierID: o.CourierID, orderID: o.ID, at: e.At})
	case e.Type == dispatch.EventOfferDeclined:
		j.put(journalRecord{kind: journalDeclined, courierID: e.CourierID, orderID: o.ID, at: e.At})
	}
}

// CourierMoved implements dispatch.Notifier; the journal ignores positions.
func (j *OfferJournal) CourierMoved(string, geo.LatLng, []string) {}

// Run writes queued records until ctx ends, batching what is queued (up to journalBatch
// records per transaction). When ctx ends it writes what is still queued, including a
// batch whose write ctx interrupted, for at most journalFlushTimeout, and returns
// ctx.Err(). Stop the engine before ending ctx, so that its last decisions are in the
// queue. Call Run once.
func (j *OfferJournal) Run(ctx context.Context) error {
	var left []journalRecord // set when ctx ends: what the flush writes first
	batch := make([]journalRecord, 0, journalBatch)
	for left == nil {
		select {
		case <-ctx.Done():
			left = batch[:0]
		case r := <-j.queue:
			batch = j.fill(append(batch[:0], r))
			if !j.write(ctx, batch) {
				left = batch
			}
		}
	}
	j.flush(ctx, left)
	return ctx.Err()
}

// fill appends queued records to batch without waiting, up to journalBatch in all.
func (j *OfferJournal) fill(batch []journalRecord) []journalRecord {
	for len(batch) < journalBatch {
		select {
		case r := <-j.queue:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// flush writes batch and then what is queued, once Run's context has ended. Records it
// has no time left for count as failed.
func (j *OfferJournal) flush(ctx context.Context, batch []journalRecord) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), journalFlushTimeout)
	defer cancel()
	for len(batch) > 0 {
		if !j.write(ctx, batch) {
			n := len(batch) + len(j.queue)
			j.failed.Add(int64(n))
			j.log.Warn("offer journal: no time left to write", "records", n)
			return
		}
		batch = j.fill(batch[:0])
	}
}

// write writes batch in one transaction. If that fails it writes the records one by one,
// so that one bad record does not lose the others, counting and logging those that fail.
// It returns false, having counted nothing, when ctx ended before the batch was written.
func (j *OfferJournal) write(ctx context.Context, batch []journalRecord) bool {
	err := j.s.inTx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for i := range batch {
			batch[i].queue(b)
		}
		return mapErr("offer journal batch", tx.SendBatch(ctx, b).Close())
	})
	if err == nil {
		return true
	}
	if ctx.Err() != nil {
		return false
	}
	failed, first := 0, error(nil)
	for i := range batch {
		b := &pgx.Batch{}
		batch[i].queue(b)
		if err := j.s.pool.SendBatch(ctx, b).Close(); err != nil {
			failed++
			if first == nil {
				first = err
			}
		}
	}
	if failed > 0 {
		j.failed.Add(int64(failed))
		j.log.Warn("offer journal: write", "failed", failed, "records", len(batch), "err", first)
	}
	return true
}
