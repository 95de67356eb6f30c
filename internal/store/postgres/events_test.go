package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// Event ids become visible in the order they were drawn: a reader paging order_events
// by id (the webhook outbox) only ever sees a gap-free prefix, so it never moves its
// cursor past an event that commits later with a smaller id.
func TestEventIDsCommitInOrder(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	const writers, writes = 8, 30
	orders := make([]dispatch.Order, writers)
	for i := range orders {
		orders[i] = dispatchingOrder(t, s)
	}
	var first int64
	if err := s.Pool().QueryRow(ctx, "SELECT min(id) FROM order_events").Scan(&first); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			o := orders[i]
			for w := range writes {
				next := o
				next.Version++
				next.Seq++
				next.Escalation.Ring = w
				ev := dispatch.Event{OrderID: o.ID, Seq: next.Seq, Type: dispatch.EventEscalated, State: o.State,
					At: time.Now(), Cause: fmt.Sprint("write ", w)}
				if errs[i] = s.UpdateOrder(ctx, next, o.Version, []dispatch.Event{ev}); errs[i] != nil {
					return
				}
				o = next
			}
		})
	}
	go func() { wg.Wait(); close(done) }()

	want := int64(writers + writers*writes) // the creation events and every write's
	polls := 0
	for finished := false; !finished; polls++ {
		select {
		case <-done:
			finished = true // one last read after every writer returned
		default:
		}
		var n, last int64
		if err := s.Pool().QueryRow(ctx, "SELECT count(*), coalesce(max(id), 0) FROM order_events").Scan(&n, &last); err != nil {
			t.Fatal(err)
		}
		// No rollbacks here, so drawn ids have no holes: what is visible must be
		// exactly first … last.
		if n != last-first+1 {
			t.Fatalf("poll %d: %d events visible with ids %d … %d: a smaller id is still uncommitted", polls, n, first, last)
		}
		if finished && n != want {
			t.Fatalf("%d events in the end, want %d", n, want)
		}
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	t.Logf("%d polls saw only gap-free prefixes", polls)
}
