package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// orderColumns lists the orders table's columns in the order orderArgs and scanOrder use.
var orderColumns = []string{"id", "merchant_id", "shop_id", "external_ref", "state", "version", "seq",
	"pickup", "dropoff", "units", "value_cents", "fee_cents", "currency", "station_id", "courier_id",
	"escalation", "created_at", "expires_at", "ready_at", "promised_at", "paid_at", "assigned_at",
	"picked_up_at", "delivered_at", "closed_at", "payment_intent", "refund_requested", "refunded",
	"handoff_code", "handoff_failures", "track_token"}

// Statements built once from orderColumns. updateOrderSQL is the compare-and-swap: it
// writes only if the stored version and state are still the ones the writer read.
var (
	selectOrderSQL = "SELECT " + strings.Join(orderColumns, ", ") + " FROM orders"
	insertOrderSQL = "INSERT INTO orders (" + strings.Join(orderColumns, ", ") + ") VALUES (" + placeholders(1, len(orderColumns)) + ")"
	updateOrderSQL = func() string {
		sets := make([]string, 0, len(orderColumns)-1)
		for i, c := range orderColumns[1:] {
			sets = append(sets, fmt.Sprintf("%s = $%d", c, i+2))
		}
		n := len(orderColumns)
		return fmt.Sprintf("UPDATE orders SET %s WHERE id = $1 AND version = $%d AND state = $%d",
			strings.Join(sets, ", "), n+1, n+2)
	}()
)

// terminalStates is the SQL list of terminal states (matching the orders_open index).
const terminalStates = "('delivered', 'canceled', 'expired', 'failed')"

func placeholders(from, n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = fmt.Sprintf("$%d", from+i)
	}
	return strings.Join(p, ", ")
}

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// nullString stores the empty string as NULL (for unique lookup columns).
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func orderArgs(o dispatch.Order) []any {
	return []any{o.ID, o.MerchantID, o.ShopID, o.ExternalRef, string(o.State), o.Version, o.Seq,
		o.Pickup, o.Dropoff, o.Units, o.ValueCents, o.FeeCents, o.Currency, o.StationID, o.CourierID,
		o.Escalation, o.CreatedAt, nullTime(o.ExpiresAt), nullTime(o.ReadyAt), nullTime(o.PromisedAt),
		nullTime(o.PaidAt), nullTime(o.AssignedAt), nullTime(o.PickedUpAt), nullTime(o.DeliveredAt),
		nullTime(o.ClosedAt), o.PaymentIntent, o.RefundRequested, o.Refunded, o.HandoffCode,
		o.HandoffFailures, nullString(o.TrackToken)}
}

// scanner is a row to scan: pgx.Row or pgx.CollectableRow.
type scanner interface{ Scan(dest ...any) error }

func scanOrder(row scanner) (dispatch.Order, error) {
	var o dispatch.Order
	var times [8]*time.Time
	var token *string
	err := row.Scan(&o.ID, &o.MerchantID, &o.ShopID, &o.ExternalRef, &o.State, &o.Version, &o.Seq,
		&o.Pickup, &o.Dropoff, &o.Units, &o.ValueCents, &o.FeeCents, &o.Currency, &o.StationID, &o.CourierID,
		&o.Escalation, &o.CreatedAt, &times[0], &times[1], &times[2], &times[3], &times[4], &times[5],
		&times[6], &times[7], &o.PaymentIntent, &o.RefundRequested, &o.Refunded, &o.HandoffCode,
		&o.HandoffFailures, &token)
	if err != nil {
		return dispatch.Order{}, err
	}
	o.CreatedAt = o.CreatedAt.UTC()
	for i, dst := range []*time.Time{&o.ExpiresAt, &o.ReadyAt, &o.PromisedAt, &o.PaidAt, &o.AssignedAt,
		&o.PickedUpAt, &o.DeliveredAt, &o.ClosedAt} {
		if times[i] != nil {
			*dst = times[i].UTC()
		}
	}
	if token != nil {
		o.TrackToken = *token
	}
	return o, nil
}

func collectOrders(rows pgx.Rows, err error) ([]dispatch.Order, error) {
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (dispatch.Order, error) { return scanOrder(r) })
	if out == nil {
		out = []dispatch.Order{}
	}
	return out, err
}

// CreateOrder saves a new order with its first events in one transaction; an order
// created in an active state gets its active assignment too. A duplicate id or tracking
// token is ErrExists.
func (s *Store) CreateOrder(ctx context.Context, o dispatch.Order, events []dispatch.Event) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, insertOrderSQL, orderArgs(o)...); err != nil {
			return mapErr("order "+o.ID, err)
		}
		if o.State.Active() {
			if err := s.assign(ctx, tx, o); err != nil {
				return err
			}
		}
		return s.appendEvents(ctx, tx, o.ID, events)
	})
}

// UpdateOrder replaces the order if its stored version is prev and o.Version is prev+1,
// appending events in the same transaction; otherwise it writes nothing and returns
// ErrConflict (ErrNotFound for no such order, ErrExists if o takes another order's
// tracking token, ErrFenced through a Fenced view whose lease moved on). A move into an
// active state inserts the order's active assignment, a move out of one (or to another
// courier) ends it; the database refuses a second active assignment.
func (s *Store) UpdateOrder(ctx context.Context, o dispatch.Order, prev int64, events []dispatch.Event) error {
	return s.inTx(ctx, func(tx pgx.Tx) error { return s.updateOrder(ctx, tx, o, prev, events) })
}

func (s *Store) updateOrder(ctx context.Context, tx pgx.Tx, o dispatch.Order, prev int64, events []dispatch.Event) error {
	if o.Version != prev+1 {
		return fmt.Errorf("%w: order %s new version %d is not %d+1", dispatch.ErrConflict, o.ID, o.Version, prev)
	}
	var old struct {
		state   dispatch.State
		version int64
		courier string
	}
	err := tx.QueryRow(ctx, "SELECT state, version, courier_id FROM orders WHERE id = $1 FOR UPDATE", o.ID).
		Scan(&old.state, &old.version, &old.courier)
	if err != nil {
		return mapErr("order "+o.ID, err)
	}
	if old.version != prev {
		return fmt.Errorf("%w: order %s is at version %d, not %d", dispatch.ErrConflict, o.ID, old.version, prev)
	}
	assigns := o.State.Active() && (!old.state.Active() || old.courier != o.CourierID)
	if assigns {
		if err := s.checkFence(ctx, tx); err != nil {
			return err
		}
	}
	tag, err := tx.Exec(ctx, updateOrderSQL, append(orderArgs(o), prev, string(old.state))...)
	if err != nil {
		return mapErr("order "+o.ID, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("%w: order %s changed under its row lock", dispatch.ErrConflict, o.ID)
	}
	if old.state.Active() && (!o.State.Active() || old.courier != o.CourierID) {
		_, err := tx.Exec(ctx, `UPDATE assignments SET active = false, ended_at = now(), end_state = $2
			WHERE order_id = $1 AND active`, o.ID, string(o.State))
		if err != nil {
			return mapErr("end assignment of order "+o.ID, err)
		}
	}
	if assigns {
		if err := s.assign(ctx, tx, o); err != nil {
			return err
		}
	}
	return s.appendEvents(ctx, tx, o.ID, events)
}

// assign inserts the order's active assignment. The partial unique index refuses a
// second one: that is a lost race, ErrConflict.
func (s *Store) assign(ctx context.Context, tx pgx.Tx, o dispatch.Order) error {
	_, err := tx.Exec(ctx, "INSERT INTO assignments (order_id, courier_id) VALUES ($1, $2)", o.ID, o.CourierID)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == codeUniqueViolation {
		return fmt.Errorf("%w: order %s already has an active assignment", dispatch.ErrConflict, o.ID)
	}
	return mapErr("assign order "+o.ID, err)
}

// appendEvents inserts events in one statement. It first takes the transaction-scoped
// advisory lock that all event writers share, so event ids are drawn and committed in
// the same order: a reader paging order_events by id never skips a row that commits
// later with a smaller id.
func (s *Store) appendEvents(ctx context.Context, tx pgx.Tx, orderID string, events []dispatch.Event) error {
	if len(events) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", s.eventLock); err != nil {
		return mapErr("lock order_events", err)
	}
	seqs := make([]int64, len(events))
	types := make([]string, len(events))
	states := make([]string, len(events))
	ats := make([]time.Time, len(events))
	causes := make([]string, len(events))
	couriers := make([]string, len(events))
	for i, e := range events {
		seqs[i], types[i], states[i], ats[i], causes[i], couriers[i] =
			e.Seq, string(e.Type), string(e.State), e.At, e.Cause, e.CourierID
	}
	_, err := tx.Exec(ctx, `INSERT INTO order_events (order_id, seq, type, state, at, cause, courier_id)
		SELECT $1, seq, type, state, at, cause, courier_id
		FROM unnest($2::bigint[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[])
			WITH ORDINALITY AS e(seq, type, state, at, cause, courier_id, n)
		ORDER BY n`, orderID, seqs, types, states, ats, causes, couriers)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == codeUniqueViolation {
		return fmt.Errorf("%w: order %s already has an event with one of these seqs", dispatch.ErrConflict, orderID)
	}
	return mapErr("events of order "+orderID, err)
}

// Order returns one order or ErrNotFound.
func (s *Store) Order(ctx context.Context, id string) (dispatch.Order, error) {
	o, err := scanOrder(s.pool.QueryRow(ctx, selectOrderSQL+" WHERE id = $1", id))
	return o, mapErr("order "+id, err)
}

// OrderByTrackToken returns the order behind a tracking token or ErrNotFound.
func (s *Store) OrderByTrackToken(ctx context.Context, token string) (dispatch.Order, error) {
	o, err := scanOrder(s.pool.QueryRow(ctx, selectOrderSQL+" WHERE track_token = $1", token))
	return o, mapErr("track token", err)
}

// ListOrders returns the merchant's orders with id > after in ascending id order (byte
// order), at most limit of them; a limit of zero or less returns none.
func (s *Store) ListOrders(ctx context.Context, merchantID, after string, limit int) ([]dispatch.Order, error) {
	if limit <= 0 {
		return []dispatch.Order{}, nil
	}
	out, err := collectOrders(s.pool.Query(ctx, selectOrderSQL+
		" WHERE merchant_id = $1 AND id > $2 ORDER BY id LIMIT $3", merchantID, after, limit))
	return out, mapErr("orders of merchant "+merchantID, err)
}

// OpenOrders returns every order whose state is not terminal, ascending by id.
func (s *Store) OpenOrders(ctx context.Context) ([]dispatch.Order, error) {
	out, err := collectOrders(s.pool.Query(ctx, selectOrderSQL+" WHERE state NOT IN "+terminalStates+" ORDER BY id"))
	return out, mapErr("open orders", err)
}

// Events returns the order's events with seq > after in ascending seq order, or
// ErrNotFound if there is no such order.
func (s *Store) Events(ctx context.Context, orderID string, after int64) ([]dispatch.Event, error) {
	rows, err := s.pool.Query(ctx, `SELECT order_id, seq, type, state, at, cause, courier_id
		FROM order_events WHERE order_id = $1 AND seq > $2 ORDER BY seq`, orderID, after)
	if err != nil {
		return nil, mapErr("events of order "+orderID, err)
	}
	out, err := pgx.CollectRows(rows, scanEvent)
	if err != nil {
		return nil, mapErr("events of order "+orderID, err)
	}
	if len(out) == 0 {
		var exists bool
		if err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM orders WHERE id = $1)", orderID).Scan(&exists); err != nil {
			return nil, mapErr("order "+orderID, err)
		}
		if !exists {
			return nil, fmt.Errorf("%w: order %s", dispatch.ErrNotFound, orderID)
		}
		return []dispatch.Event{}, nil
	}
	return out, nil
}

func scanEvent(row pgx.CollectableRow) (dispatch.Event, error) {
	var e dispatch.Event
	err := row.Scan(&e.OrderID, &e.Seq, &e.Type, &e.State, &e.At, &e.Cause, &e.CourierID)
	e.At = e.At.UTC()
	return e, err
}
