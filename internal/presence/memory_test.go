package presence_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/internal/presence"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/storetest"
)

func TestMemory(t *testing.T) {
	storetest.Presence(t, func(_ *testing.T, now func() time.Time) presence.Store {
		return presence.NewMemory(now)
	})
}

// Couriers who stopped reporting are swept, so memory follows the live ones.
func TestMemorySweepsExpired(t *testing.T) {
	now := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	s := presence.NewMemory(func() time.Time { return now })
	for i := range 1000 {
		if err := s.Put(t.Context(), presence.Entry{CourierID: fmt.Sprint("cou_", i)}, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(time.Second)
	for range 24 {
		if err := s.Put(t.Context(), presence.Entry{CourierID: "live"}, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Len(); n != 1 {
		t.Fatalf("after a sweep %d entries remain, want only the live one", n)
	}
}
