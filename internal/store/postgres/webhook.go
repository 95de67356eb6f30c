package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/webhook"
)

var (
	_ webhook.Store    = (*Store)(nil)
	_ webhook.Settings = (*Store)(nil)
)

// enqueueBatch bounds the events one Enqueue transaction reads; Enqueue loops until the
// cursor has caught up, so a long outage is worked off in several short transactions.
const enqueueBatch = 5000

// enqueueSQL turns up to $2 events past the cursor ($1, read under its row lock) into
// deliveries due at $3 for merchants with a URL, and moves the cursor past every event
// it read, wanted or not. It returns how many deliveries it made and events it read.
const enqueueSQL = `
WITH ev AS (
	SELECT e.id, e.order_id, o.merchant_id, coalesce(m.webhook_url, '') <> '' AS wanted
	FROM order_events e
	JOIN orders o ON o.id = e.order_id
	LEFT JOIN merchants m ON m.id = o.merchant_id
	WHERE e.id > $1
	ORDER BY e.id
	LIMIT $2
), ins AS (
	INSERT INTO webhook_deliveries (event_id, merchant_id, order_id, created_at, next_at)
	SELECT id, merchant_id, order_id, $3, $3 FROM ev WHERE wanted ORDER BY id
	ON CONFLICT (event_id) WHERE NOT replay DO NOTHING
	RETURNING 1
), moved AS (
	UPDATE webhook_cursor SET last_event_id = (SELECT max(id) FROM ev) WHERE EXISTS (SELECT 1 FROM ev)
)
SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM ev)`

// Enqueue turns every event past the cursor into deliveries for merchants that have a
// webhook URL now, in event id (commit) order, and advances the cursor in the same
// transaction. The cursor's row lock makes concurrent Enqueues take turns, and the
// partial unique index on event_id would refuse a duplicate anyway.
func (s *Store) Enqueue(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		var made, read int
		err := s.inTx(ctx, func(tx pgx.Tx) error {
			var cursor int64
			if err := tx.QueryRow(ctx, "SELECT last_event_id FROM webhook_cursor FOR UPDATE").Scan(&cursor); err != nil {
				return mapErr("webhook cursor", err)
			}
			// A new statement, so a new snapshot: it sees every event committed before
			// the lock was granted, including those of the Enqueue that held it.
			return mapErr("enqueue webhooks", tx.QueryRow(ctx, enqueueSQL, cursor, enqueueBatch, now).Scan(&made, &read))
		})
		if err != nil {
			return total, err
		}
		total += made
		if read < enqueueBatch {
			return total, nil
		}
	}
}

// deliveryColumns are read by scanDelivery, from webhook_deliveries d joined with
// order_events e and orders o.
const deliveryColumns = `d.id, d.event_id, d.merchant_id, d.order_id, d.replay, d.status, d.tries,
	d.created_at, d.next_at, e.seq, e.type, e.state, e.at, e.cause, e.courier_id, o.external_ref`

func scanDelivery(row scanner, extra ...any) (webhook.Delivery, error) {
	var d webhook.Delivery
	var eventRow int64
	e := &d.Event
	err := row.Scan(append([]any{&d.ID, &eventRow, &d.MerchantID, &d.OrderID, &d.Replay, &d.Status, &d.Tries,
		&d.CreatedAt, &d.NextAt, &e.Seq, &e.Type, &e.State, &e.At, &e.Cause, &e.CourierID, &d.OrderRef}, extra...)...)
	e.OrderID = d.OrderID
	d.EventID = webhook.EventID(d.OrderID, e.Seq)
	d.CreatedAt, d.NextAt, e.At = d.CreatedAt.UTC(), d.NextAt.UTC(), e.At.UTC()
	return d, err
}

// Claim leases up to limit due deliveries until now+lease, oldest due first. Rows
// another transaction is claiming are skipped (FOR UPDATE SKIP LOCKED), and a row that
// was claimed meanwhile fails the due check when it is locked and re-read.
func (s *Store) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]webhook.Delivery, error) {
	if limit <= 0 {
		return []webhook.Delivery{}, nil
	}
	rows, err := s.pool.Query(ctx, `
WITH due AS (
	SELECT n FROM webhook_deliveries
	WHERE status = 'pending' AND next_at <= $1
	ORDER BY next_at, n
	LIMIT $3
	FOR UPDATE SKIP LOCKED
), leased AS (
	UPDATE webhook_deliveries d SET next_at = $2 FROM due WHERE d.n = due.n RETURNING d.*
)
SELECT `+deliveryColumns+`, coalesce(m.webhook_url, ''), coalesce(m.webhook_secret, '')
FROM leased d
JOIN order_events e ON e.id = d.event_id
JOIN orders o ON o.id = d.order_id
LEFT JOIN merchants m ON m.id = d.merchant_id
ORDER BY d.n`, now, now.Add(lease), limit)
	if err != nil {
		return nil, mapErr("claim webhooks", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (webhook.Delivery, error) {
		var url, secret string
		d, err := scanDelivery(row, &url, &secret)
		d.URL, d.Secret = url, secret
		return d, err
	})
	if err != nil {
		return nil, mapErr("claim webhooks", err)
	}
	return out, nil
}

// Record saves an attempt and ends the delivery (done) or schedules it at next; an
// ended delivery keeps its status and only gains the attempt.
func (s *Store) Record(ctx context.Context, id string, a webhook.Attempt, next time.Time, done bool) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var status webhook.Status
		var tries int
		err := tx.QueryRow(ctx, "SELECT status, tries FROM webhook_deliveries WHERE id = $1 FOR UPDATE", id).Scan(&status, &tries)
		if err != nil {
			return mapErr("webhook delivery "+id, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_attempts (delivery_id, n, at, status_code, error, duration_ns)
			VALUES ($1, $2, $3, $4, $5, $6)`, id, tries+1, a.At, a.StatusCode, a.Error, int64(a.Duration)); err != nil {
			return mapErr("attempt of webhook delivery "+id, err)
		}
		nextAt := next
		if status == webhook.Pending && done {
			status = webhook.Dead
			if a.OK() {
				status = webhook.Delivered
			}
		} else if status != webhook.Pending {
			nextAt = time.Time{} // keep the stored one
		}
		_, err = tx.Exec(ctx, `UPDATE webhook_deliveries SET tries = tries + 1, status = $2,
			next_at = coalesce($3, next_at) WHERE id = $1`, id, status, nullTime(nextAt))
		return mapErr("webhook delivery "+id, err)
	})
}

// ownOrder returns ErrNotFound unless the order exists and is the merchant's.
func ownOrder(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, merchantID, orderID string) error {
	var owner string
	err := q.QueryRow(ctx, "SELECT merchant_id FROM orders WHERE id = $1", orderID).Scan(&owner)
	if err == nil && owner != merchantID {
		return fmt.Errorf("%w: order %s", dispatch.ErrNotFound, orderID)
	}
	return mapErr("order "+orderID, err)
}

// Replay makes a new delivery, due at now, of every event of the merchant's order.
func (s *Store) Replay(ctx context.Context, merchantID, orderID string, now time.Time) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := ownOrder(ctx, tx, merchantID, orderID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (event_id, merchant_id, order_id, replay, created_at, next_at)
			SELECT id, $2, order_id, true, $3, $3 FROM order_events WHERE order_id = $1 ORDER BY seq`, orderID, merchantID, now)
		n = int(tag.RowsAffected())
		return mapErr("replay webhooks of order "+orderID, err)
	})
	return n, err
}

// Deliveries returns the deliveries of the merchant's order with their attempts, by
// creation time, then seq.
func (s *Store) Deliveries(ctx context.Context, merchantID, orderID string) ([]webhook.Delivery, error) {
	what := "webhook deliveries of order " + orderID
	var out []webhook.Delivery
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := ownOrder(ctx, tx, merchantID, orderID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d
			JOIN order_events e ON e.id = d.event_id
			JOIN orders o ON o.id = d.order_id
			WHERE d.order_id = $1 ORDER BY d.created_at, e.seq, d.n`, orderID)
		if err != nil {
			return mapErr(what, err)
		}
		if out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (webhook.Delivery, error) { return scanDelivery(row) }); err != nil {
			return mapErr(what, err)
		}
		rows, err = tx.Query(ctx, `SELECT a.delivery_id, a.at, a.status_code, a.error, a.duration_ns
			FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
			WHERE d.order_id = $1 ORDER BY a.delivery_id, a.n`, orderID)
		if err != nil {
			return mapErr(what, err)
		}
		index := make(map[string]int, len(out))
		for i, d := range out {
			index[d.ID] = i
		}
		var id string
		var a webhook.Attempt
		var ns int64
		_, err = pgx.ForEachRow(rows, []any{&id, &a.At, &a.StatusCode, &a.Error, &ns}, func() error {
			a.At, a.Duration = a.At.UTC(), time.Duration(ns)
			out[index[id]].Attempts = append(out[index[id]].Attempts, a)
			return nil
		})
		return mapErr(what, err)
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []webhook.Delivery{}
	}
	return out, nil
}

// UpdateMerchantWebhook sets or ("") clears the merchant's webhook URL.
func (s *Store) UpdateMerchantWebhook(ctx context.Context, merchantID, url string) error {
	tag, err := s.pool.Exec(ctx, "UPDATE merchants SET webhook_url = $2 WHERE id = $1", merchantID, url)
	if err != nil {
		return mapErr("merchant "+merchantID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: merchant %s", dispatch.ErrNotFound, merchantID)
	}
	return nil
}
