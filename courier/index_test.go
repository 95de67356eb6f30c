package courier

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/geo"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestEntrySpare(t *testing.T) {
	for _, tc := range []struct{ capacity, load, want int }{
		{3, 0, 3}, {3, 2, 1}, {3, 3, 0}, {3, 5, 0}, {0, 0, 0},
	} {
		if got := (Entry{Capacity: tc.capacity, Load: tc.load}).Spare(); got != tc.want {
			t.Errorf("capacity %d load %d: Spare = %d, want %d", tc.capacity, tc.load, got, tc.want)
		}
	}
}

func mustCell(t *testing.T, p geo.LatLng) geo.Cell {
	t.Helper()
	c, err := geo.IndexCell(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestIndexPutGetRemove(t *testing.T) {
	x := NewIndex()
	e := Entry{ID: "a", Kind: Franchise, Station: "s1", Vehicle: Scooter, Capacity: 4, Load: 1,
		State: Available, Pos: paris, Cell: 12345, Seen: t0}
	if err := x.Put(e); err != nil {
		t.Fatal(err)
	}
	got, ok := x.Get("a")
	if !ok {
		t.Fatal("Get(a) after Put: not found")
	}
	want := e
	want.Cell = mustCell(t, paris) // the index computes Cell, ignoring the one given
	if got != want {
		t.Errorf("Get(a) = %+v, want %+v", got, want)
	}
	if x.Len() != 1 {
		t.Errorf("Len = %d, want 1", x.Len())
	}

	// Replacing keeps one entry and moves it.
	far := geo.Offset(paris, 2000, 0)
	e.Pos, e.Load = far, 2
	if err := x.Put(e); err != nil {
		t.Fatal(err)
	}
	if got, _ := x.Get("a"); got.Pos != far || got.Load != 2 || got.Cell != mustCell(t, far) {
		t.Errorf("after replacing Put: %+v", got)
	}
	if x.Len() != 1 {
		t.Errorf("Len after replacing Put = %d, want 1", x.Len())
	}
	if n := len(x.Within(paris, 0, nil)); n != 0 {
		t.Errorf("old cell still holds %d couriers", n)
	}

	// Refused entries leave the index alone.
	if err := x.Put(Entry{ID: "b", Pos: geo.LatLng{Lat: 91}}); !errors.Is(err, geo.ErrLatitude) {
		t.Errorf("Put with latitude 91: err = %v, want geo.ErrLatitude", err)
	}
	if err := x.Put(Entry{ID: "", Pos: paris}); err == nil {
		t.Error("Put without an id: no error")
	}
	if err := x.Put(Entry{ID: "a", Pos: geo.LatLng{Lng: math.NaN()}}); !errors.Is(err, geo.ErrNotFinite) {
		t.Errorf("Put with NaN: err = %v, want geo.ErrNotFinite", err)
	}
	if got, _ := x.Get("a"); got.Pos != far {
		t.Errorf("failed Put changed the entry: %+v", got)
	}
	if x.Len() != 1 {
		t.Errorf("Len after refused Puts = %d, want 1", x.Len())
	}

	if _, ok := x.Get("zz"); ok {
		t.Error("Get(zz) found a courier never put")
	}
	x.Remove("zz") // absent: no-op
	x.Remove("a")
	if _, ok := x.Get("a"); ok || x.Len() != 0 {
		t.Errorf("after Remove: found=%v Len=%d", ok, x.Len())
	}
	if n := len(x.Within(far, 1, nil)); n != 0 {
		t.Errorf("removed courier still found by Within (%d)", n)
	}
	checkInvariants(t, x)
}

func TestIndexMove(t *testing.T) {
	x := NewIndex()
	if err := x.Move("nobody", paris, t0); !errors.Is(err, ErrUnknown) {
		t.Errorf("Move(unknown) = %v, want ErrUnknown", err)
	}
	if err := x.Put(Entry{ID: "a", Pos: paris, Seen: t0}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []geo.LatLng{{Lat: 90.5}, {Lng: -181}, {Lat: math.Inf(1)}} {
		if err := x.Move("a", bad, t0); err == nil {
			t.Errorf("Move to %v: no error", bad)
		}
	}
	if got, _ := x.Get("a"); got.Pos != paris || got.Seen != t0 {
		t.Errorf("failed Move changed the entry: %+v", got)
	}

	near := geo.Offset(paris, 3, 4)
	if err := x.Move("a", near, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	got, _ := x.Get("a")
	if got.Pos != near || !got.Seen.Equal(t0.Add(time.Second)) || got.Cell != mustCell(t, near) {
		t.Errorf("after a short move: %+v", got)
	}

	// A long move changes cell: the courier is found at the new place, not the old.
	far := geo.Offset(paris, -1500, 2500)
	if err := x.Move("a", far, t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	got, _ = x.Get("a")
	if got.Pos != far || got.Cell != mustCell(t, far) || got.Cell == mustCell(t, near) {
		t.Errorf("after a long move: %+v", got)
	}
	if n := len(x.Within(near, 1, nil)); n != 0 {
		t.Errorf("courier still found near its old place (%d)", n)
	}
	if c := x.Within(far, 0, nil); len(c) != 1 || c[0].ID != "a" {
		t.Errorf("Within(new place, 0) = %v, want [a]", ids(c))
	}
	checkInvariants(t, x)
}

func TestIndexUpdate(t *testing.T) {
	x := NewIndex()
	if err := x.Update("nobody", func(*Entry) { t.Error("fn called for an unknown courier") }); !errors.Is(err, ErrUnknown) {
		t.Errorf("Update(unknown) = %v, want ErrUnknown", err)
	}
	if err := x.Put(Entry{ID: "a", Capacity: 3, State: Available, Pos: paris, Seen: t0}); err != nil {
		t.Fatal(err)
	}
	before, _ := x.Get("a")
	err := x.Update("a", func(e *Entry) {
		e.State, e.Load = Busy, 2
		// Forbidden changes, undone by the index:
		e.ID, e.Pos, e.Cell, e.Seen = "b", geo.LatLng{Lat: 1}, 1, t0.Add(time.Hour)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := x.Get("a")
	if got.State != Busy || got.Load != 2 {
		t.Errorf("Update did not apply: %+v", got)
	}
	if got.ID != "a" || got.Pos != before.Pos || got.Cell != before.Cell || got.Seen != before.Seen {
		t.Errorf("Update changed position fields: %+v", got)
	}
	if _, ok := x.Get("b"); ok {
		t.Error("Update renamed the courier")
	}
	checkInvariants(t, x)
}

func ids(cs []Candidate) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// edgeSetup returns the cell of paris, its centre and the midpoint of one of its edges.
func edgeSetup(t *testing.T) (geo.Cell, geo.LatLng, []geo.LatLng) {
	c := mustCell(t, paris)
	return c, c.Center(), c.Boundary()
}

// TestNearestScansNextRing: once n couriers are found in ring k, ring k+1 is scanned too,
// because a courier just across the cell edge can be nearer than one in the same cell.
func TestNearestScansNextRing(t *testing.T) {
	origin, center, vs := edgeSetup(t)
	mid := geo.Toward(vs[0], vs[1], 0.5)
	p := geo.Toward(center, mid, 0.97)        // inside, near the edge
	across := geo.Toward(center, mid, 1.05)   // just over the edge: ring 1
	opposite := geo.Toward(center, mid, -0.8) // far side of the origin cell: ring 0
	if mustCell(t, p) != origin || mustCell(t, opposite) != origin {
		t.Fatal("setup: points not in the origin cell")
	}
	if d, _ := geo.GridDistance(origin, mustCell(t, across)); d != 1 {
		t.Fatalf("setup: 'across' is %d rings away, want 1", d)
	}
	x := NewIndex()
	for id, pos := range map[string]geo.LatLng{"same-cell": opposite, "next-cell": across} {
		if err := x.Put(Entry{ID: id, Pos: pos}); err != nil {
			t.Fatal(err)
		}
	}
	got := x.Nearest(p, 1, 5, nil)
	if len(got) != 1 || got[0].ID != "next-cell" || got[0].Ring != 1 {
		t.Fatalf("Nearest(p, 1) = %+v, want next-cell in ring 1", got)
	}
	if want := geo.FastDistance(p, across); got[0].Distance != want {
		t.Errorf("Distance = %v, want geo.FastDistance = %v", got[0].Distance, want)
	}
	if got := x.Nearest(p, 2, 5, nil); !slices.Equal(ids(got), []string{"next-cell", "same-cell"}) {
		t.Errorf("Nearest(p, 2) = %v", ids(got))
	}
}

// TestNearestStopsAfterNextRing pins the documented limit: rings beyond k+1 are not
// searched even when a courier there is nearer in metres. From a corner of its cell, p is
// about one edge length from ring 2, while the far corner of its own cell is two away.
func TestNearestStopsAfterNextRing(t *testing.T) {
	origin, center, vs := edgeSetup(t)
	v := vs[0]
	p := geo.Toward(center, v, 0.97)
	sameCell := geo.Toward(center, v, -0.9)
	ring2 := geo.Toward(center, v, 2.3) // along the radial through the corner
	if d, _ := geo.GridDistance(origin, mustCell(t, ring2)); d != 2 {
		t.Fatalf("setup: ring2 point is %d rings away, want 2", d)
	}
	if geo.FastDistance(p, ring2) >= geo.FastDistance(p, sameCell) {
		t.Fatal("setup: the ring-2 courier should be the nearer one")
	}
	x := NewIndex()
	for id, pos := range map[string]geo.LatLng{"ring0": sameCell, "ring2": ring2} {
		if err := x.Put(Entry{ID: id, Pos: pos}); err != nil {
			t.Fatal(err)
		}
	}
	if got := x.Nearest(p, 1, 0, nil); len(got) != 1 || got[0].ID != "ring0" {
		t.Errorf("Nearest(p, 1) = %v, want [ring0]: rings 0-1 searched", ids(got))
	}
	if got := x.Within(p, 2, nil); !slices.Equal(ids(got), []string{"ring2", "ring0"}) {
		t.Errorf("Within(p, 2) = %v, want [ring2 ring0]", ids(got))
	}
}

func TestNearestArguments(t *testing.T) {
	x := NewIndex()
	// Five couriers due north, 100 m apart: c0 at 50 m ... c4 at 450 m; c5 at the same
	// place as c2 to exercise ties.
	for i := range 5 {
		if err := x.Put(Entry{ID: fmt.Sprintf("c%d", i), State: Available, Capacity: 2, Load: i % 3,
			Pos: geo.Offset(paris, 50+100*float64(i), 0)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.Put(Entry{ID: "c5", State: Busy, Pos: geo.Offset(paris, 250, 0)}); err != nil {
		t.Fatal(err)
	}
	spare := func(e *Entry) bool { return e.Spare() > 0 }
	tests := []struct {
		name     string
		p        geo.LatLng
		n, rings int
		keep     func(*Entry) bool
		want     []string
	}{
		{"all by distance, ties by id", paris, 10, 0, nil, []string{"c0", "c1", "c2", "c5", "c3", "c4"}},
		{"n bounds", paris, 3, 0, nil, []string{"c0", "c1", "c2"}},
		{"n cuts a tie by id", paris, 3, 0, func(e *Entry) bool { return e.ID != "c1" }, []string{"c0", "c2", "c5"}},
		{"keep filters", paris, 10, 0, spare, []string{"c0", "c1", "c3", "c4"}},
		{"keep rejects all", paris, 10, 0, func(*Entry) bool { return false }, nil},
		{"n zero", paris, 0, 0, nil, nil},
		{"n negative", paris, -1, 0, nil, nil},
		{"invalid point", geo.LatLng{Lat: math.NaN()}, 3, 0, nil, nil},
		{"maxRings bounds", geo.Offset(paris, -3000, 0), 10, 2, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := x.Nearest(tc.p, tc.n, tc.rings, tc.keep)
			if !slices.Equal(ids(got), tc.want) {
				t.Errorf("Nearest = %v, want %v", ids(got), tc.want)
			}
			for i := 1; i < len(got); i++ {
				if got[i].Distance < got[i-1].Distance {
					t.Errorf("not nearest first: %v", got)
				}
			}
		})
	}
	// The candidate carries the entry as Get sees it.
	got := x.Nearest(paris, 1, 0, nil)
	if e, _ := x.Get("c0"); len(got) != 1 || got[0].Entry != e {
		t.Errorf("candidate %+v differs from entry %+v", got, e)
	}
}

func TestWithin(t *testing.T) {
	x := NewIndex()
	origin := mustCell(t, paris)
	pts := map[string]geo.LatLng{
		"here":    paris,
		"near":    geo.Offset(paris, 400, 0),
		"far":     geo.Offset(paris, 1500, 0),
		"farther": geo.Offset(paris, 0, -2500),
	}
	for id, p := range pts {
		if err := x.Put(Entry{ID: id, Pos: p, State: Available}); err != nil {
			t.Fatal(err)
		}
	}
	ring := func(id string) int {
		d, err := geo.GridDistance(origin, mustCell(t, pts[id]))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for rings := -1; rings <= ring("farther")+1; rings++ {
		var want []string
		for _, id := range []string{"here", "near", "far", "farther"} { // by distance
			if rings >= 0 && ring(id) <= rings {
				want = append(want, id)
			}
		}
		got := x.Within(paris, rings, nil)
		if !slices.Equal(ids(got), want) {
			t.Errorf("Within(rings=%d) = %v, want %v", rings, ids(got), want)
		}
		for _, c := range got {
			if c.Ring != ring(c.ID) {
				t.Errorf("Within(rings=%d): %s in ring %d, want %d", rings, c.ID, c.Ring, ring(c.ID))
			}
		}
	}
	if got := x.Within(paris, geo.MaxRings, func(e *Entry) bool { return e.ID != "here" }); !slices.Equal(ids(got), []string{"near", "far", "farther"}) {
		t.Errorf("Within with keep = %v", ids(got))
	}
	if got := x.Within(geo.LatLng{Lat: 100}, 3, nil); got != nil {
		t.Errorf("Within(invalid point) = %v, want nil", ids(got))
	}
}
