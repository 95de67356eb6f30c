package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/postgres"
)

// dispatchingOrder saves an order waiting for a courier and returns it.
func dispatchingOrder(t *testing.T, s *postgres.Store) dispatch.Order {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	o := dispatch.Order{
		ID: dispatch.NewID("ord", now), MerchantID: "mer_a", ShopID: "shop", State: dispatch.Dispatching,
		Version: 2, Seq: 1, Pickup: dispatch.Stop{Pos: geo.LatLng{Lat: 48.85, Lng: 2.35}},
		Dropoff: dispatch.Stop{Pos: geo.LatLng{Lat: 48.86, Lng: 2.36}}, Units: 1, Currency: "EUR",
		Escalation: dispatch.Escalation{Phase: dispatch.PhaseFranchise}, CreatedAt: now,
		HandoffCode: "1234", TrackToken: dispatch.NewTrackToken(),
	}
	ev := dispatch.Event{OrderID: o.ID, Seq: 1, Type: dispatch.StateEvent(o.State), State: o.State, At: now}
	if err := s.CreateOrder(context.Background(), o, []dispatch.Event{ev}); err != nil {
		t.Fatal(err)
	}
	return o
}

// assignTo returns o moved to assigned for courier c, with its event.
func assignTo(o dispatch.Order, c string) (dispatch.Order, []dispatch.Event) {
	o.Version++
	o.Seq++
	o.State, o.CourierID = dispatch.Assigned, c
	return o, []dispatch.Event{{OrderID: o.ID, Seq: o.Seq, Type: dispatch.StateEvent(o.State), State: o.State,
		At: time.Now().UTC(), CourierID: c}}
}

// pgCode returns err's SQLSTATE, or "" if it is not a Postgres error.
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// activeAssignments returns the couriers of the order's active assignments.
func activeAssignments(t *testing.T, s *postgres.Store, orderID string) []string {
	t.Helper()
	rows, err := s.Pool().Query(context.Background(),
		"SELECT courier_id FROM assignments WHERE order_id = $1 AND active ORDER BY id", orderID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The database itself refuses a second active assignment of an order, whatever code
// sends it.
func TestDatabaseRefusesSecondActiveAssignment(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	o := dispatchingOrder(t, s)
	next, evs := assignTo(o, "cou_1")
	if err := s.UpdateOrder(ctx, next, o.Version, evs); err != nil {
		t.Fatal(err)
	}
	if got := activeAssignments(t, s, o.ID); len(got) != 1 || got[0] != "cou_1" {
		t.Fatalf("active assignments after assign: %v, want [cou_1]", got)
	}
	_, err := s.Pool().Exec(ctx, "INSERT INTO assignments (order_id, courier_id) VALUES ($1, 'cou_2')", o.ID)
	if code := pgCode(err); code != "23505" {
		t.Fatalf("raw second active assignment: %v (SQLSTATE %q), want a unique violation", err, code)
	}
	// An inactive (historical) row is allowed.
	exec(t, s, "INSERT INTO assignments (order_id, courier_id, active, ended_at) VALUES ($1, 'cou_0', false, now())", o.ID)
	if got := activeAssignments(t, s, o.ID); len(got) != 1 || got[0] != "cou_1" {
		t.Fatalf("active assignments: %v, want [cou_1]", got)
	}
}

// A writer that read an old version cannot overwrite a newer order, even with raw SQL:
// the conditional UPDATE matches nothing, and an UPDATE that skips the condition is
// refused by the version trigger.
func TestDatabaseRefusesStaleVersionWrite(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	o := dispatchingOrder(t, s)
	next, evs := assignTo(o, "cou_1")
	if err := s.UpdateOrder(ctx, next, o.Version, evs); err != nil {
		t.Fatal(err)
	}
	// The stale writer's compare-and-swap, as UpdateOrder sends it.
	tag, err := s.Pool().Exec(ctx, `UPDATE orders SET version = $2 + 1, courier_id = 'cou_2'
		WHERE id = $1 AND version = $2 AND state = 'dispatching'`, o.ID, o.Version)
	if err != nil || tag.RowsAffected() != 0 {
		t.Fatalf("stale conditional update: %d rows, err %v; want 0 rows", tag.RowsAffected(), err)
	}
	// A careless writer without the condition, re-using its stale version number.
	_, err = s.Pool().Exec(ctx, "UPDATE orders SET version = $2, courier_id = 'cou_2' WHERE id = $1", o.ID, o.Version+1)
	if code := pgCode(err); code != "HB001" {
		t.Fatalf("unconditional update with a stale version: %v (SQLSTATE %q), want HB001", err, code)
	}
	got, err := s.Order(ctx, o.ID)
	if err != nil || got.CourierID != "cou_1" || got.Version != next.Version {
		t.Fatalf("order after refused writes: courier %s version %d (err %v), want cou_1 at %d", got.CourierID, got.Version, err, next.Version)
	}
}

// An order cannot be marked assigned without its assignment row, nor closed with one
// still active: the deferred check runs at commit.
func TestDatabaseKeepsOrderAndAssignmentInStep(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	o := dispatchingOrder(t, s)
	_, err := s.Pool().Exec(ctx, "UPDATE orders SET version = version + 1, state = 'assigned', courier_id = 'cou_1' WHERE id = $1", o.ID)
	if code := pgCode(err); code != "HB002" {
		t.Fatalf("assigned without an assignment row: %v (SQLSTATE %q), want HB002", err, code)
	}
	next, evs := assignTo(o, "cou_1")
	if err := s.UpdateOrder(ctx, next, o.Version, evs); err != nil {
		t.Fatal(err)
	}
	_, err = s.Pool().Exec(ctx, "UPDATE orders SET version = version + 1, state = 'canceled' WHERE id = $1", o.ID)
	if code := pgCode(err); code != "HB002" {
		t.Fatalf("canceled with an active assignment: %v (SQLSTATE %q), want HB002", err, code)
	}
	// Through the store, delivery ends the assignment and records how.
	done := next
	done.Version++
	done.Seq++
	done.State = dispatch.Delivered
	ev := dispatch.Event{OrderID: o.ID, Seq: done.Seq, Type: dispatch.StateEvent(done.State), State: done.State, At: time.Now()}
	if err := s.UpdateOrder(ctx, done, next.Version, []dispatch.Event{ev}); err != nil {
		t.Fatal(err)
	}
	if got := activeAssignments(t, s, o.ID); len(got) != 0 {
		t.Fatalf("active assignments after delivery: %v", got)
	}
	var endState string
	if err := s.Pool().QueryRow(ctx, "SELECT end_state FROM assignments WHERE order_id = $1", o.ID).Scan(&endState); err != nil || endState != "delivered" {
		t.Fatalf("ended assignment: end_state %q (err %v), want delivered", endState, err)
	}
}
