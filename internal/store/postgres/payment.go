package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// PaymentEventSeen reports whether a payment-provider event id was already recorded.
func (s *Store) PaymentEventSeen(ctx context.Context, id string) (bool, error) {
	var seen bool
	err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM payment_events WHERE id = $1)", id).Scan(&seen)
	return seen, mapErr("payment event "+id, err)
}

// ApplyPayment records a payment-provider event id and, in the same transaction, writes
// o with events as UpdateOrder does (only the id when events is empty). Concurrent calls
// with one id queue on its primary key: the first commits, the others then find it and
// return fresh = false having written nothing. A refused order write rolls the id back
// with it.
func (s *Store) ApplyPayment(ctx context.Context, id string, o dispatch.Order, prev int64, events []dispatch.Event) (bool, error) {
	errSeen := errors.New("seen")
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var recorded string
		err := tx.QueryRow(ctx, `INSERT INTO payment_events (id, order_id) VALUES ($1, $2)
			ON CONFLICT (id) DO NOTHING RETURNING id`, id, nullString(o.ID)).Scan(&recorded)
		if errors.Is(err, pgx.ErrNoRows) {
			return errSeen
		}
		if err != nil {
			return mapErr("payment event "+id, err)
		}
		if len(events) == 0 {
			return nil
		}
		return s.updateOrder(ctx, tx, o, prev, events)
	})
	switch {
	case errors.Is(err, errSeen):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}
