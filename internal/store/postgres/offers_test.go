package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/postgres"
)

// TestMain checks that no test of the package leaves a goroutine behind (the journal's
// Run, the pools' health checks, goose's database/sql handles).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// runJournal starts j.Run and returns a stop that ends it and waits for it, checking that
// it returned the context's error. Stopping twice is harmless.
func runJournal(t *testing.T, j *postgres.OfferJournal) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var (
		wg   sync.WaitGroup
		err  error
		once sync.Once
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		err = j.Run(ctx)
	}()
	stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run returned %v, want context.Canceled", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// offersOf reads the order's offers, failing the test on error.
func offersOf(t *testing.T, s *postgres.Store, orderID string) []postgres.OfferRecord {
	t.Helper()
	recs, err := s.Offers(context.Background(), orderID)
	if err != nil {
		t.Fatalf("Offers(%s): %v", orderID, err)
	}
	return recs
}

// waitOffers polls until the order has n journaled offers: Run writes asynchronously.
func waitOffers(t *testing.T, s *postgres.Store, orderID string, n int) []postgres.OfferRecord {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		recs := offersOf(t, s, orderID)
		if len(recs) >= n || time.Now().After(deadline) {
			return recs
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOfferJournalOutcomes(t *testing.T) {
	s := newStore(t)
	j := postgres.NewOfferJournal(s, nil)
	stop := runJournal(t, j)

	// Times come from the engine's clock; the database's clock judges expiry at read
	// time, so "open" offers expire an hour from now and the expired one an hour ago.
	now := time.Now().UTC().Truncate(time.Microsecond)
	base := now.Add(-2 * time.Hour)
	at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Second) }
	offer := func(i int, kind dispatch.OfferKind, courierID string, expires time.Time, orders ...string) dispatch.Offer {
		return dispatch.Offer{
			ID: fmt.Sprintf("off_%d", i), Kind: kind, CourierID: courierID, OrderIDs: orders,
			PayCents: int64(400 + i), DistanceM: float64(1000 + i), CreatedAt: at(i), ExpiresAt: expires,
		}
	}
	later := now.Add(time.Hour)
	offers := []dispatch.Offer{
		// c1 was offered o1 once by a leader that crashed: never closed, long expired.
		offer(1, dispatch.OfferAssign, "c1", at(31), "o1"),
		offer(2, dispatch.OfferAssign, "c2", later, "o1"),                    // declined
		offer(3, dispatch.OfferAssign, "c3", later, "o1"),                    // lapsed: withdrawn "expired"
		offer(4, dispatch.OfferBroadcast, "c4", later, "o1", "o2"),           // withdrawn, taken
		offer(5, dispatch.OfferBroadcast, "c1", later, "o1"),                 // accepted
		offer(6, dispatch.OfferBroadcast, "c5", now.Add(-time.Minute), "o2"), // open past its expiry
		offer(7, dispatch.OfferAssign, "c6", later, "o2"),                    // open
	}
	for _, o := range offers {
		j.Offer(o)
	}
	j.Offer(offers[1]) // a repeat changes nothing
	if got := waitOffers(t, s, "o1", 5); len(got) != 5 {
		t.Fatalf("offers of o1 after Run wrote them: %d, want 5: %+v", len(got), got)
	}

	o1 := dispatch.Order{ID: "o1", State: dispatch.Dispatching}
	j.OrderEvent(o1, dispatch.Event{OrderID: "o1", Type: dispatch.EventOfferSent, State: dispatch.Dispatching, At: at(10), CourierID: "c2"})
	j.OrderEvent(o1, dispatch.Event{OrderID: "o1", Type: dispatch.EventOfferDeclined, State: dispatch.Dispatching, At: at(11), CourierID: "c2"})
	j.OfferWithdrawn("c3", "off_3", "expired")
	j.OfferWithdrawn("c4", "off_4", "taken by another courier")
	j.CourierMoved("c1", o1.Pickup.Pos, nil)
	o1.State, o1.CourierID = dispatch.Assigned, "c1"
	j.OrderEvent(o1, dispatch.Event{OrderID: "o1", Type: dispatch.StateEvent(dispatch.Assigned), State: dispatch.Assigned, At: at(40), CourierID: "c1"})
	j.OfferWithdrawn("c4", "off_4", "order canceled") // already closed: kept as it was
	j.OfferWithdrawn("c9", "off_none", "expired")     // never journaled: nothing to do
	stop()                                            // writes what is still queued

	if j.Dropped() != 0 || j.Failed() != 0 {
		t.Fatalf("Dropped %d Failed %d, want 0 0", j.Dropped(), j.Failed())
	}
	type want struct {
		id      string
		outcome postgres.OfferOutcome
		reason  string
		closed  time.Time // zero: not closed; dbNow: by the database's clock
	}
	dbNow := time.Unix(1, 0)
	check := func(orderID string, wants []want) {
		t.Helper()
		got := offersOf(t, s, orderID)
		if len(got) != len(wants) {
			t.Fatalf("offers of %s: %d, want %d: %+v", orderID, len(got), len(wants), got)
		}
		for i, w := range wants {
			r := got[i]
			if r.ID != w.id || r.Outcome != w.outcome || r.Reason != w.reason {
				t.Errorf("offers of %s [%d]: %s %q %q, want %s %q %q", orderID, i, r.ID, r.Outcome, r.Reason, w.id, w.outcome, w.reason)
			}
			switch {
			case w.closed.Equal(dbNow):
				if r.ClosedAt.Before(now.Add(-time.Minute)) || r.ClosedAt.After(time.Now().Add(time.Minute)) {
					t.Errorf("%s closed at %v, want about now", r.ID, r.ClosedAt)
				}
			case !r.ClosedAt.Equal(w.closed):
				t.Errorf("%s closed at %v, want %v", r.ID, r.ClosedAt, w.closed)
			}
		}
	}
	check("o1", []want{
		{"off_1", postgres.OutcomeExpired, "", time.Time{}},
		{"off_2", postgres.OutcomeDeclined, "", at(11)},
		{"off_3", postgres.OutcomeExpired, "expired", dbNow},
		{"off_4", postgres.OutcomeWithdrawn, "taken by another courier", dbNow},
		{"off_5", postgres.OutcomeAccepted, "", at(40)},
	})
	check("o2", []want{
		{"off_4", postgres.OutcomeWithdrawn, "taken by another courier", dbNow},
		{"off_6", postgres.OutcomeExpired, "", time.Time{}},
		{"off_7", postgres.OutcomeOpen, "", time.Time{}},
	})
	check("o3", nil)

	r := offersOf(t, s, "o2")[0]
	w := offers[3]
	if r.Kind != w.Kind || r.CourierID != w.CourierID || !slices.Equal(r.OrderIDs, w.OrderIDs) ||
		r.PayCents != w.PayCents || r.DistanceM != w.DistanceM || !r.CreatedAt.Equal(w.CreatedAt) || !r.ExpiresAt.Equal(w.ExpiresAt) {
		t.Errorf("record %+v does not match offer %+v", r, w)
	}
}

// TestOfferJournalOrder sends every offer's close right after the offer, more of them
// than one batch holds: written out of order, a close would find no row and leave its
// offer open.
func TestOfferJournalOrder(t *testing.T) {
	s := newStore(t)
	j := postgres.NewOfferJournal(s, nil)
	stop := runJournal(t, j)
	const n = 1500
	now := time.Now().UTC().Truncate(time.Microsecond)
	for i := range n {
		id := fmt.Sprintf("off_%04d", i)
		j.Offer(dispatch.Offer{ID: id, Kind: dispatch.OfferBroadcast, CourierID: fmt.Sprintf("c%d", i),
			OrderIDs: []string{"o1"}, CreatedAt: now.Add(time.Duration(i) * time.Millisecond), ExpiresAt: now.Add(time.Hour)})
		j.OfferWithdrawn(fmt.Sprintf("c%d", i), id, fmt.Sprintf("reason %d", i))
	}
	stop()
	if j.Dropped() != 0 || j.Failed() != 0 {
		t.Fatalf("Dropped %d Failed %d, want 0 0", j.Dropped(), j.Failed())
	}
	got := offersOf(t, s, "o1")
	if len(got) != n {
		t.Fatalf("offers: %d, want %d", len(got), n)
	}
	for i, r := range got {
		if id := fmt.Sprintf("off_%04d", i); r.ID != id || r.Outcome != postgres.OutcomeWithdrawn || r.Reason != fmt.Sprintf("reason %d", i) {
			t.Fatalf("offer %d: %s %q %q, want %s withdrawn %q", i, r.ID, r.Outcome, r.Reason, id, fmt.Sprintf("reason %d", i))
		}
	}
}

// TestOfferJournalFullQueueDrops: with Run not started nothing drains the queue; the
// notifier calls must still return at once, dropping and counting what does not fit.
func TestOfferJournalFullQueueDrops(t *testing.T) {
	j := postgres.NewOfferJournal(nil, nil) // Run is never started: no store needed
	const sent = 5000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range sent {
			j.Offer(dispatch.Offer{ID: fmt.Sprintf("off_%d", i), OrderIDs: []string{"o1"}})
			j.OfferWithdrawn("c1", fmt.Sprintf("off_%d", i), "expired")
			j.OrderEvent(dispatch.Order{ID: "o1"}, dispatch.Event{Type: dispatch.EventOfferDeclined, CourierID: "c1"})
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("notifier calls blocked on a full queue")
	}
	if d := j.Dropped(); d != 3*sent-4096 {
		t.Fatalf("Dropped() = %d, want %d", d, 3*sent-4096)
	}
}

// TestOfferJournalWriteFailure: a schema without the offers table makes every write fail;
// Run counts the failures and keeps going until its context ends.
func TestOfferJournalWriteFailure(t *testing.T) {
	s := openIn(t, newSchema(t)) // not migrated
	j := postgres.NewOfferJournal(s, nil)
	stop := runJournal(t, j)
	j.Offer(dispatch.Offer{ID: "off_1", OrderIDs: []string{"o1"}, CreatedAt: time.Now(), ExpiresAt: time.Now()})
	j.OfferWithdrawn("c1", "off_1", "expired")
	deadline := time.Now().Add(10 * time.Second)
	for j.Failed() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if j.Failed() != 2 {
		t.Fatalf("Failed() = %d, want 2", j.Failed())
	}
	j.Offer(dispatch.Offer{ID: "off_2", OrderIDs: []string{"o1"}, CreatedAt: time.Now(), ExpiresAt: time.Now()})
	stop()
	if j.Failed() != 3 || j.Dropped() != 0 {
		t.Fatalf("after stop: Failed %d Dropped %d, want 3 0", j.Failed(), j.Dropped())
	}
}
