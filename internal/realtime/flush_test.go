package realtime_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/hummingbird-dispatch/hummingbird/internal/realtime"
)

// TestCloseAfterQueuedFlushesFirst checks that every frame queued before
// CloseAfterQueued reaches the peer, in order, before the close frame.
func TestCloseAfterQueuedFlushesFirst(t *testing.T) {
	h := newHarness(t, context.Background(), realtime.Config{}, nil)
	ws := h.dial("")
	s := h.accept()
	const n = 100
	for i := range n {
		if err := s.conn.Send([]byte(fmt.Sprintf("m%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.conn.CloseAfterQueued(4001, "done"); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		readText(t, ws, fmt.Sprintf("m%d", i))
	}
	if code, reason := readCloseCode(t, ws); code != 4001 || reason != "done" {
		t.Fatalf("close %d %q, want 4001 done", code, reason)
	}
	if err := h.result(); !errors.Is(err, realtime.ErrClosed) {
		t.Fatalf("Serve returned %v", err)
	}
	if err := s.conn.Send([]byte("late")); !errors.Is(err, realtime.ErrClosed) {
		t.Fatalf("Send after close: %v", err)
	}
}
