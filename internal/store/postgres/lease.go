package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// Lease is a named, expiring claim held by one server, such as "the dispatcher".
type Lease struct {
	Name string
	// Holder identifies the server holding the lease (empty once released).
	Holder string
	// Addr is where other servers reach the holder.
	Addr string
	// Epoch increases each time the lease passes to a different holder; writes fenced by
	// it succeed only while it is current.
	Epoch int64
	// ExpiresAt is when the lease lapses unless renewed, by the database's clock.
	ExpiresAt time.Time
}

// leaseColumns is the column list scanLease reads.
const leaseColumns = "name, holder, addr, epoch, expires_at"

func scanLease(row scanner) (Lease, error) {
	var l Lease
	err := row.Scan(&l.Name, &l.Holder, &l.Addr, &l.Epoch, &l.ExpiresAt)
	l.ExpiresAt = l.ExpiresAt.UTC()
	return l, err
}

// AcquireLease takes the lease called name for holder for ttl, judged by the database's
// clock, in one atomic statement. It succeeds if the lease is new, expired, released or
// already held by holder: renewing keeps the epoch, a different holder gets epoch+1 (a
// new lease starts at 1). It returns the lease as it now stands and whether holder
// holds it; when another holder has it, ok is false and the lease names that holder.
func (s *Store) AcquireLease(ctx context.Context, name, holder, addr string, ttl time.Duration) (Lease, bool, error) {
	if holder == "" || ttl <= 0 {
		return Lease{}, false, fmt.Errorf("%w: lease needs a holder and a positive ttl", dispatch.ErrInvalid)
	}
	l, err := scanLease(s.pool.QueryRow(ctx, `
		INSERT INTO leases AS l (name, holder, addr, epoch, expires_at)
		VALUES ($1, $2, $3, 1, now() + $4::bigint * interval '1 microsecond')
		ON CONFLICT (name) DO UPDATE
		SET holder = EXCLUDED.holder, addr = EXCLUDED.addr, expires_at = EXCLUDED.expires_at,
			epoch = CASE WHEN l.holder = EXCLUDED.holder THEN l.epoch ELSE l.epoch + 1 END
		WHERE l.holder = EXCLUDED.holder OR l.expires_at <= now()
		RETURNING `+leaseColumns, name, holder, addr, ttl.Microseconds()))
	if err == nil {
		return l, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Lease{}, false, mapErr("acquire lease "+name, err)
	}
	// Held by another: report who (it may have moved on since; the answer is advisory).
	l, err = scanLease(s.pool.QueryRow(ctx, "SELECT "+leaseColumns+" FROM leases WHERE name = $1", name))
	if err != nil {
		return Lease{}, false, mapErr("lease "+name, err)
	}
	return l, false, nil
}

// ReleaseLease gives up holder's lease called name at once, so another server need not
// wait for it to expire. The epoch stays: whoever takes it next, holder included, gets
// epoch+1. Releasing a lease one does not hold is a no-op.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := s.pool.Exec(ctx, `UPDATE leases SET holder = '', addr = '', expires_at = now()
		WHERE name = $1 AND holder = $2`, name, holder)
	return mapErr("release lease "+name, err)
}

// CurrentLease returns the live lease called name, by the database's clock, or
// ErrNotFound if nobody holds it (never taken, released or expired).
func (s *Store) CurrentLease(ctx context.Context, name string) (Lease, error) {
	l, err := scanLease(s.pool.QueryRow(ctx, "SELECT "+leaseColumns+
		" FROM leases WHERE name = $1 AND holder <> '' AND expires_at > now()", name))
	return l, mapErr("live lease "+name, err)
}

// fence is the lease a Fenced view writes under.
type fence struct {
	name  string
	epoch int64
}

// Fenced returns a view of the store whose writes that assign an order (move it into
// an active state, or to another courier) succeed only while the lease called name still
// has epoch; otherwise they write nothing and return dispatch.ErrFenced. The check runs
// inside the write's transaction and holds the lease row with FOR SHARE until commit, so
// a takeover either happens before the check (the write fails) or waits for the write
// to commit. Other writes and all reads are the store's own. The view shares the pool:
// close only the original Store.
func (s *Store) Fenced(name string, epoch int64) *Store {
	v := *s
	v.fence = &fence{name: name, epoch: epoch}
	return &v
}

// checkFence fails with ErrFenced unless the view is unfenced or its lease still has its
// epoch.
func (s *Store) checkFence(ctx context.Context, tx pgx.Tx) error {
	if s.fence == nil {
		return nil
	}
	var epoch int64
	err := tx.QueryRow(ctx, "SELECT epoch FROM leases WHERE name = $1 FOR SHARE", s.fence.name).Scan(&epoch)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%w: lease %s does not exist", dispatch.ErrFenced, s.fence.name)
	case err != nil:
		return mapErr("lease "+s.fence.name, err)
	case epoch != s.fence.epoch:
		return fmt.Errorf("%w: lease %s is at epoch %d, this writer has %d", dispatch.ErrFenced, s.fence.name, epoch, s.fence.epoch)
	}
	return nil
}
