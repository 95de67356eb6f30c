package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/internal/presence"
	"github.com/hummingbird-dispatch/hummingbird/internal/testenv"
)

// presenceCase is one subtest of the presence.Store suite.
type presenceCase struct {
	name string
	run  func(t *testing.T, s presence.Store, clock *fakeClock)
}

// fakeClock is the clock a presence store under test runs its TTLs on.
type fakeClock = testenv.Clock

// Presence runs the presence.Store conformance suite against stores made by newStore:
// each call returns a fresh, empty store whose TTLs run on now, a fake clock the suite
// advances. The clock starts at the current time and only moves forward, so a backend
// that also lets its storage expire entries in real time (Redis PX) agrees with it.
func Presence(t *testing.T, newStore func(t *testing.T, now func() time.Time) presence.Store) {
	t.Helper()
	for _, c := range presenceCases() {
		t.Run(c.name, func(t *testing.T) {
			clock := testenv.NewClock(baseTime())
			c.run(t, newStore(t, clock.Now), clock)
		})
	}
}

// fix returns a courier's entry with every field set, so a backend dropping one fails.
func fix(id string, at time.Time) presence.Entry {
	return presence.Entry{
		CourierID: id, Lat: 52.520008123456789, Lng: -13.404954987654321,
		At: at.Add(-1500 * time.Millisecond), Instance: "hb-7f9c", State: "idle",
	}
}

// sameEntry fails unless got equals want field by field, At as an instant.
func sameEntry(t *testing.T, what string, got, want presence.Entry) {
	t.Helper()
	g, w := got, want
	g.At, w.At = time.Time{}, time.Time{}
	if g != w || !got.At.Equal(want.At) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

// wantAll fails unless All returns exactly want, in order.
func wantAll(t *testing.T, s presence.Store, want ...presence.Entry) {
	t.Helper()
	got, err := s.All(t.Context())
	ok(t, err)
	if len(got) != len(want) {
		t.Fatalf("All returned %d entries %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range got {
		sameEntry(t, fmt.Sprintf("All()[%d]", i), got[i], want[i])
	}
}

func wantGone(t *testing.T, s presence.Store, id string) {
	t.Helper()
	_, err := s.Get(t.Context(), id)
	wantErr(t, "Get "+id, err, presence.ErrNotFound)
}

func get(t *testing.T, s presence.Store, id string) presence.Entry {
	t.Helper()
	e, err := s.Get(t.Context(), id)
	ok(t, err)
	return e
}

func presenceCases() []presenceCase {
	const ttl = 30 * time.Second
	return []presenceCase{
		{"PutGetRoundTrip", func(t *testing.T, s presence.Store, c *fakeClock) {
			e := fix("cou_1", c.Now())
			ok(t, s.Put(t.Context(), e, ttl))
			sameEntry(t, "Get", get(t, s, "cou_1"), e)
			odd := presence.Entry{CourierID: "cou:{2} *é", Lat: -90, Lng: 180, At: c.Now()}
			ok(t, s.Put(t.Context(), odd, ttl))
			sameEntry(t, "Get odd", get(t, s, odd.CourierID), odd)
			wantAll(t, s, odd, e) // ':' sorts before '_'
			wantGone(t, s, "cou_3")
		}},
		{"EmptyStore", func(t *testing.T, s presence.Store, _ *fakeClock) {
			wantAll(t, s)
			wantGone(t, s, "cou_1")
			ok(t, s.Remove(t.Context(), "cou_1"))
		}},
		{"PutReplaces", func(t *testing.T, s presence.Store, c *fakeClock) {
			e := fix("cou_1", c.Now())
			ok(t, s.Put(t.Context(), e, ttl))
			e.Lat, e.State, e.Instance, e.At = 48.1, "busy", "hb-other", c.Now()
			ok(t, s.Put(t.Context(), e, ttl))
			sameEntry(t, "Get after replace", get(t, s, "cou_1"), e)
			wantAll(t, s, e)
		}},
		{"ExpiresAfterTTL", func(t *testing.T, s presence.Store, c *fakeClock) {
			e := fix("cou_1", c.Now())
			ok(t, s.Put(t.Context(), e, ttl))
			c.Advance(ttl - time.Millisecond)
			sameEntry(t, "Get just before expiry", get(t, s, "cou_1"), e)
			wantAll(t, s, e)
			c.Advance(time.Millisecond)
			wantGone(t, s, "cou_1")
			wantAll(t, s)
		}},
		{"PutRefreshesTTL", func(t *testing.T, s presence.Store, c *fakeClock) {
			e := fix("cou_1", c.Now())
			ok(t, s.Put(t.Context(), e, ttl))
			c.Advance(ttl * 3 / 4)
			ok(t, s.Put(t.Context(), e, ttl))
			c.Advance(ttl * 3 / 4)
			sameEntry(t, "Get after refresh", get(t, s, "cou_1"), e)
			// A shorter ttl shortens it too.
			ok(t, s.Put(t.Context(), e, time.Second))
			c.Advance(time.Second)
			wantGone(t, s, "cou_1")
		}},
		{"AllOnlyLiveSortedThenRefills", func(t *testing.T, s presence.Store, c *fakeClock) {
			a, b, d := fix("cou_a", c.Now()), fix("cou_b", c.Now()), fix("cou_d", c.Now())
			b.State = "busy"
			ok(t, s.Put(t.Context(), d, 30*time.Second))
			ok(t, s.Put(t.Context(), a, 10*time.Second))
			ok(t, s.Put(t.Context(), b, 60*time.Second))
			wantAll(t, s, a, b, d)
			c.Advance(20 * time.Second)
			wantAll(t, s, b, d)
			wantGone(t, s, "cou_a")
			ok(t, s.Put(t.Context(), a, 10*time.Second)) // the courier reports again
			wantAll(t, s, a, b, d)
			c.Advance(15 * time.Second)
			wantAll(t, s, b)
		}},
		{"Remove", func(t *testing.T, s presence.Store, c *fakeClock) {
			a, b := fix("cou_a", c.Now()), fix("cou_b", c.Now())
			ok(t, s.Put(t.Context(), a, ttl))
			ok(t, s.Put(t.Context(), b, ttl))
			ok(t, s.Remove(t.Context(), "cou_a"))
			wantGone(t, s, "cou_a")
			wantAll(t, s, b)
			ok(t, s.Remove(t.Context(), "cou_a"))
			ok(t, s.Put(t.Context(), a, ttl))
			wantAll(t, s, a, b)
		}},
		{"Invalid", func(t *testing.T, s presence.Store, c *fakeClock) {
			good := fix("cou_1", c.Now())
			bad := map[string]struct {
				e   presence.Entry
				ttl time.Duration
			}{
				"empty id":  {presence.Entry{Lat: 1, Lng: 1}, ttl},
				"zero ttl":  {good, 0},
				"neg ttl":   {good, -time.Second},
				"latitude":  {presence.Entry{CourierID: "cou_1", Lat: 91}, ttl},
				"longitude": {presence.Entry{CourierID: "cou_1", Lng: -180.5}, ttl},
			}
			for name, b := range bad {
				wantErr(t, "Put "+name, s.Put(t.Context(), b.e, b.ttl), presence.ErrInvalid)
			}
			wantAll(t, s)
		}},
		{"ConcurrentPuts", func(t *testing.T, s presence.Store, c *fakeClock) {
			// Each racer writes its own courier and the shared one, many times.
			var want []presence.Entry
			for i := range racers {
				want = append(want, fix(fmt.Sprintf("cou_%02d", i), c.Now()))
			}
			race(func(i int) {
				for r := range rounds {
					shared := fix("cou_shared", c.Now())
					shared.State = fmt.Sprint(i, "/", r)
					if err := s.Put(t.Context(), shared, ttl); err != nil {
						t.Errorf("Put shared: %v", err)
					}
					if err := s.Put(t.Context(), want[i], ttl); err != nil {
						t.Errorf("Put own: %v", err)
					}
				}
			})
			got, err := s.All(t.Context())
			ok(t, err)
			i := slices.IndexFunc(got, func(e presence.Entry) bool { return e.CourierID == "cou_shared" })
			if i < 0 {
				t.Fatalf("All lost the shared courier: %v", got)
			}
			wantAll(t, s, append(want, got[i])...)
		}},
	}
}
