package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/postgres"
)

const leaseName = "dispatcher"

func acquire(t *testing.T, s *postgres.Store, holder string, ttl time.Duration, wantOK bool, wantEpoch int64) postgres.Lease {
	t.Helper()
	l, ok, err := s.AcquireLease(context.Background(), leaseName, holder, "addr-"+holder, ttl)
	if err != nil {
		t.Fatalf("AcquireLease(%s): %v", holder, err)
	}
	if ok != wantOK || l.Epoch != wantEpoch {
		t.Fatalf("AcquireLease(%s): ok %v epoch %d (lease %+v), want ok %v epoch %d", holder, ok, l.Epoch, l, wantOK, wantEpoch)
	}
	return l
}

// expire moves the lease's expiry into the past by the database's clock.
func expire(t *testing.T, s *postgres.Store) {
	t.Helper()
	exec(t, s, "UPDATE leases SET expires_at = now() - interval '1 second' WHERE name = $1", leaseName)
}

func TestLeaseCompetingHolders(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, err := s.CurrentLease(ctx, leaseName); !errors.Is(err, dispatch.ErrNotFound) {
		t.Fatalf("CurrentLease before anyone took it: %v, want ErrNotFound", err)
	}
	a := acquire(t, s, "a", time.Minute, true, 1)
	if a.Holder != "a" || a.Addr != "addr-a" || !a.ExpiresAt.After(time.Now().Add(50*time.Second)) {
		t.Fatalf("a's lease %+v", a)
	}
	// b is refused while a's lease runs, and told who holds it.
	if l := acquire(t, s, "b", time.Minute, false, 1); l.Holder != "a" || l.Addr != "addr-a" {
		t.Fatalf("b was told %+v, want a's lease", l)
	}
	// a renews: same epoch, later expiry.
	if l := acquire(t, s, "a", 2*time.Minute, true, 1); !l.ExpiresAt.After(a.ExpiresAt) {
		t.Fatalf("renewal expires %v, not after %v", l.ExpiresAt, a.ExpiresAt)
	}
	// a's lease lapses: b takes over with the next epoch, and a is refused.
	expire(t, s)
	if _, err := s.CurrentLease(ctx, leaseName); !errors.Is(err, dispatch.ErrNotFound) {
		t.Fatalf("CurrentLease of an expired lease: %v, want ErrNotFound", err)
	}
	acquire(t, s, "b", time.Minute, true, 2)
	acquire(t, s, "a", time.Minute, false, 2)
	cur, err := s.CurrentLease(ctx, leaseName)
	if err != nil || cur.Holder != "b" || cur.Epoch != 2 {
		t.Fatalf("CurrentLease: %+v, %v; want b at epoch 2", cur, err)
	}
	// Releasing someone else's lease does nothing; b's own release frees it at once, and
	// whoever comes next, b included, gets a new epoch.
	if err := s.ReleaseLease(ctx, leaseName, "a"); err != nil {
		t.Fatal(err)
	}
	acquire(t, s, "a", time.Minute, false, 2)
	if err := s.ReleaseLease(ctx, leaseName, "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CurrentLease(ctx, leaseName); !errors.Is(err, dispatch.ErrNotFound) {
		t.Fatalf("CurrentLease after release: %v, want ErrNotFound", err)
	}
	acquire(t, s, "b", time.Minute, true, 3)
}

// A short lease lapses by the database's clock: b keeps trying, and when it gets the
// lease, the database's own clock (the new lease's start, its expiry minus its TTL) says
// the old one had lapsed by then. No sleep guesses how long that takes.
func TestLeaseShortTTLExpires(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	old := acquire(t, s, "a", 20*time.Millisecond, true, 1)
	deadline := time.Now().Add(10 * time.Second)
	for {
		l, ok, err := s.AcquireLease(ctx, leaseName, "b", "addr-b", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			if taken := l.ExpiresAt.Add(-time.Minute); taken.Before(old.ExpiresAt) {
				t.Fatalf("b took the lease at %v, before a's expired at %v", taken, old.ExpiresAt)
			}
			if l.Epoch != 2 || l.Holder != "b" {
				t.Fatalf("lease after expiry %+v, want b at epoch 2", l)
			}
			return
		}
		if l.Holder != "a" {
			t.Fatalf("refused while held by %q, want a", l.Holder)
		}
		if time.Now().After(deadline) {
			t.Fatal("a's 20 ms lease never lapsed")
		}
	}
}

// Of servers racing for a free lease exactly one gets it.
func TestLeaseConcurrentAcquire(t *testing.T) {
	s := newStore(t)
	const servers = 20
	oks := make([]bool, servers)
	errs := make([]error, servers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range servers {
		wg.Go(func() {
			<-start
			_, oks[i], errs[i] = s.AcquireLease(context.Background(), leaseName, fmt.Sprint("server-", i), "", time.Minute)
		})
	}
	close(start)
	wg.Wait()
	winners := 0
	for i := range servers {
		if errs[i] != nil {
			t.Fatalf("server %d: %v", i, errs[i])
		}
		if oks[i] {
			winners++
		}
	}
	if winners != 1 {
		t.Fatalf("%d servers hold the lease, want 1", winners)
	}
}

// A writer whose lease passed to another cannot assign; the current holder can.
func TestFencedAssignment(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	a := acquire(t, s, "a", time.Minute, true, 1)
	old := s.Fenced(leaseName, a.Epoch)
	o := dispatchingOrder(t, s)
	first := dispatchingOrder(t, s)
	next, evs := assignTo(first, "cou_1")
	if err := old.UpdateOrder(ctx, next, first.Version, evs); err != nil {
		t.Fatalf("assignment under the current epoch: %v", err)
	}
	expire(t, s)
	b := acquire(t, s, "b", time.Minute, true, 2)
	cur := s.Fenced(leaseName, b.Epoch)

	stale, staleEvs := assignTo(o, "cou_a")
	if err := old.UpdateOrder(ctx, stale, o.Version, staleEvs); !errors.Is(err, dispatch.ErrFenced) {
		t.Fatalf("assignment with a stale epoch: %v, want ErrFenced", err)
	}
	got, err := s.Order(ctx, o.ID)
	if err != nil || got.State != dispatch.Dispatching || got.Version != o.Version {
		t.Fatalf("order after the fenced write: %s v%d (err %v)", got.State, got.Version, err)
	}
	if evs, err := s.Events(ctx, o.ID, 0); err != nil || len(evs) != 1 {
		t.Fatalf("events after the fenced write: %v (err %v), want only the first", evs, err)
	}
	if as := activeAssignments(t, s, o.ID); len(as) != 0 {
		t.Fatalf("assignments after the fenced write: %v", as)
	}
	// Writes that assign nobody are not fenced.
	esc := o
	esc.Version++
	esc.Escalation.Ring = 3
	if err := old.UpdateOrder(ctx, esc, o.Version, nil); err != nil {
		t.Fatalf("escalation write by the old holder: %v", err)
	}
	now, nowEvs := assignTo(esc, "cou_b")
	if err := cur.UpdateOrder(ctx, now, esc.Version, nowEvs); err != nil {
		t.Fatalf("assignment by the current holder: %v", err)
	}
	if as := activeAssignments(t, s, o.ID); len(as) != 1 || as[0] != "cou_b" {
		t.Fatalf("assignments: %v, want [cou_b]", as)
	}
	// A fence on a lease that never existed refuses too.
	ghost := dispatchingOrder(t, s)
	g, gEvs := assignTo(ghost, "cou_c")
	if err := s.Fenced("nobody", 1).UpdateOrder(ctx, g, ghost.Version, gEvs); !errors.Is(err, dispatch.ErrFenced) {
		t.Fatalf("assignment under a missing lease: %v, want ErrFenced", err)
	}
}
