package faults

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// scratchDB is a database made for one run and dropped at its end.
type scratchDB struct {
	admin string // the URL we were given, used to create and drop
	name  string
	url   string // the scratch database's URL
	pool  *pgxpool.Pool
}

// createScratch creates hb_faults_<random> next to the database adminURL points at.
func createScratch(ctx context.Context, adminURL string) (*scratchDB, error) {
	u, err := url.Parse(adminURL)
	if err != nil {
		return nil, fmt.Errorf("postgres URL: %w", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "hb_faults_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create scratch database: %w", err)
	}
	u.Path = "/" + name
	s := &scratchDB{admin: adminURL, name: name, url: u.String()}
	if s.pool, err = pgxpool.New(ctx, s.url); err != nil {
		_ = s.drop(context.WithoutCancel(ctx))
		return nil, err
	}
	return s, nil
}

// drop closes our pool and drops the database, whoever is still connected.
func (s *scratchDB) drop(ctx context.Context) error {
	if s.pool != nil {
		s.pool.Close()
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{s.name}.Sanitize()+" WITH (FORCE)")
	return err
}

// leader is the live holder of the dispatch lease.
type leader struct {
	holder string
	epoch  int64
}

// leader returns the dispatch lease's live holder; ok is false when none holds it (no
// row yet, released, expired) or the schema is not there yet.
func (s *scratchDB) leader(ctx context.Context) (leader, bool, error) {
	var l leader
	err := s.pool.QueryRow(ctx, `SELECT holder, epoch FROM leases
		WHERE name = 'dispatch' AND holder <> '' AND expires_at > now()`).Scan(&l.holder, &l.epoch)
	if errors.Is(err, pgx.ErrNoRows) {
		return l, false, nil
	}
	if err != nil {
		return l, false, err
	}
	return l, true, nil
}

// orderRow is one order as the database has it at the end.
type orderRow struct {
	state              string
	paid               bool      // paid_at is set
	paidAt, assignedAt time.Time // first order.paid and order.assigned events
	pickedAt, doneAt   time.Time // first order.picked_up and order.delivered events
	couriers           []string  // couriers of every assignment row, oldest first
}

// orders reads every order with its first paid and assigned events and its assignments.
func (s *scratchDB) orders(ctx context.Context) (map[string]*orderRow, error) {
	out := map[string]*orderRow{}
	rows, err := s.pool.Query(ctx, `SELECT o.id, o.state, o.paid_at IS NOT NULL,
			(SELECT min(e.at) FROM order_events e WHERE e.order_id = o.id AND e.type = 'order.paid'),
			(SELECT min(e.at) FROM order_events e WHERE e.order_id = o.id AND e.type = 'order.assigned'),
			(SELECT min(e.at) FROM order_events e WHERE e.order_id = o.id AND e.type = 'order.picked_up'),
			(SELECT min(e.at) FROM order_events e WHERE e.order_id = o.id AND e.type = 'order.delivered')
		FROM orders o`)
	if err != nil {
		return nil, fmt.Errorf("read orders: %w", err)
	}
	for rows.Next() {
		var id string
		var r orderRow
		var at [4]*time.Time
		if err := rows.Scan(&id, &r.state, &r.paid, &at[0], &at[1], &at[2], &at[3]); err != nil {
			rows.Close()
			return nil, err
		}
		for i, dst := range []*time.Time{&r.paidAt, &r.assignedAt, &r.pickedAt, &r.doneAt} {
			if at[i] != nil {
				*dst = *at[i]
			}
		}
		out[id] = &r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read orders: %w", err)
	}
	rows, err = s.pool.Query(ctx, `SELECT order_id, courier_id FROM assignments ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read assignments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, c string
		if err := rows.Scan(&id, &c); err != nil {
			return nil, err
		}
		if r := out[id]; r != nil {
			r.couriers = append(r.couriers, c)
		}
	}
	return out, rows.Err()
}

// undelivered counts, among ids, the orders not delivered yet (missing ones included).
func (s *scratchDB) undelivered(ctx context.Context, ids []string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT $2::int - count(*) FROM orders WHERE id = ANY($1) AND state = 'delivered'`,
		ids, len(ids)).Scan(&n)
	return n, err
}

// delivered counts the orders delivered so far.
func (s *scratchDB) delivered(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM orders WHERE state = 'delivered'`).Scan(&n)
	return n, err
}
