package redis

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/internal/presence"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/storetest"
)

func newTestPresence(t *testing.T, now func() time.Time) (*Presence, string) {
	t.Helper()
	prefix := testPrefix()
	p, err := NewPresence(testClient(t, prefix, "presence"), PresenceConfig{Prefix: prefix, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return p, prefix
}

func TestPresence(t *testing.T) {
	t.Parallel()
	storetest.Presence(t, func(t *testing.T, now func() time.Time) presence.Store {
		p, _ := newTestPresence(t, now)
		return p
	})
}

// Couriers who stopped reporting leave the index on the next All and their hashes by
// PX, so the work of All follows the live couriers, not the history.
func TestPresenceTrimsExpired(t *testing.T) {
	t.Parallel()
	now := time.Now()
	p, prefix := newTestPresence(t, func() time.Time { return now })
	for i := range 200 {
		e := presence.Entry{CourierID: fmt.Sprint("cou_", i), Lat: 52.5, Lng: 13.4, At: now}
		if err := p.Put(t.Context(), e, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Put(t.Context(), presence.Entry{CourierID: "live", At: now}, time.Hour); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute)
	all, err := p.All(t.Context())
	if err != nil || len(all) != 1 || all[0].CourierID != "live" {
		t.Fatalf("All after expiry: %v, %v; want only the live courier", all, err)
	}
	if n, err := p.c.ZCard(t.Context(), p.index).Result(); err != nil || n != 1 {
		t.Fatalf("index holds %d members (%v) after All, want 1", n, err)
	}
	// The hashes carry Redis TTLs of their own.
	ttl, err := p.c.PTTL(t.Context(), p.hash+"cou_7").Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("PTTL of a courier hash: %v, %v; want (0, 1m]", ttl, err)
	}
	if n := keyCount(t, p.c, prefix); n != 202 {
		t.Fatalf("%d keys under the prefix, want 200 hashes waiting for PX, 1 live and the index", n)
	}
}

// Redis loses everything: the map is empty until couriers report again, then refills.
func TestPresenceRefillsAfterFlush(t *testing.T) {
	t.Parallel()
	p, prefix := newTestPresence(t, nil)
	put := func(id string) {
		t.Helper()
		if err := p.Put(t.Context(), presence.Entry{CourierID: id, Lat: 1, Lng: 2, At: time.Now()}, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	put("cou_a")
	put("cou_b")
	deletePrefix(t, p.c, prefix)
	if all, err := p.All(t.Context()); err != nil || len(all) != 0 {
		t.Fatalf("All after flush: %v, %v", all, err)
	}
	if _, err := p.Get(t.Context(), "cou_a"); !errors.Is(err, presence.ErrNotFound) {
		t.Fatalf("Get after flush: %v, want ErrNotFound", err)
	}
	put("cou_a")
	all, err := p.All(t.Context())
	if err != nil || len(all) != 1 || all[0].CourierID != "cou_a" {
		t.Fatalf("All after the next Put: %v, %v", all, err)
	}
}

func TestPresenceUnreachable(t *testing.T) {
	t.Parallel()
	p, err := NewPresence(unreachableClient(t), PresenceConfig{Prefix: "hbtest"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Put(t.Context(), presence.Entry{CourierID: "c"}, time.Second); err == nil {
		t.Error("Put with Redis down: no error")
	}
	if _, err := p.Get(t.Context(), "c"); err == nil || errors.Is(err, presence.ErrNotFound) {
		t.Errorf("Get with Redis down: %v, want a connection error", err)
	}
	if _, err := p.All(t.Context()); err == nil {
		t.Error("All with Redis down: no error")
	}
}

// A hash someone else wrote is reported, not read as zeros.
func TestPresenceCorruptHash(t *testing.T) {
	t.Parallel()
	p, _ := newTestPresence(t, nil)
	if err := p.c.HSet(t.Context(), p.hash+"cou_x", fieldLat, "north", fieldExpires, "99999999999999999").Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Get(t.Context(), "cou_x"); err == nil || errors.Is(err, presence.ErrNotFound) {
		t.Fatalf("Get of a corrupt hash: %v", err)
	}
}
