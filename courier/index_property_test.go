package courier

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// brute answers Nearest from a plain list: the rings searched are 0..min(k+1, maxRings)
// where k is the ring of the n-th accepted courier by ring, or 0..maxRings.
func brute(t *testing.T, all []Entry, p geo.LatLng, n, maxRings int, keep func(*Entry) bool) []Candidate {
	t.Helper()
	if maxRings == 0 {
		maxRings = geo.MaxRings
	}
	origin := mustCell(t, p)
	var cands []Candidate
	for _, e := range all {
		if keep != nil && !keep(&e) {
			continue
		}
		ring, err := geo.GridDistance(origin, mustCell(t, e.Pos))
		if err != nil {
			t.Fatal(err)
		}
		if ring <= maxRings {
			cands = append(cands, Candidate{Entry: e, Distance: geo.FastDistance(p, e.Pos), Ring: ring})
		}
	}
	limit := maxRings
	if len(cands) >= n {
		slices.SortFunc(cands, func(a, b Candidate) int { return a.Ring - b.Ring })
		limit = min(cands[n-1].Ring+1, maxRings)
	}
	cands = slices.DeleteFunc(cands, func(c Candidate) bool { return c.Ring > limit })
	sortByDistance(cands)
	return cands[:min(n, len(cands))]
}

func sortByDistance(cs []Candidate) {
	slices.SortFunc(cs, func(a, b Candidate) int {
		switch {
		case a.Distance < b.Distance:
			return -1
		case a.Distance > b.Distance:
			return 1
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
}

// TestIndexRandomWalk moves 1000 couriers 100 steps each through a 3 km square, some of
// them in pairs at identical positions, and after every step checks every entry's cell
// and compares searches with brute force.
func TestIndexRandomWalk(t *testing.T) {
	const couriers, steps, side = 1000, 100, 3000
	rng := rand.New(rand.NewPCG(11, 12))
	x := NewIndex()
	pos := make([]geo.LatLng, couriers)
	for i := range pos {
		pos[i] = geo.Offset(paris, (rng.Float64()-0.5)*side, (rng.Float64()-0.5)*side)
		e := Entry{ID: fmt.Sprintf("c%04d", i), State: Available, Capacity: 3, Load: rng.IntN(4), Pos: pos[i]}
		if err := x.Put(e); err != nil {
			t.Fatal(err)
		}
	}
	odd := func(e *Entry) bool { return e.ID[len(e.ID)-1]%2 == 1 }
	spare := func(e *Entry) bool { return e.Spare() > 0 }
	queries := []struct {
		n, rings int
		keep     func(*Entry) bool
	}{{1, 0, nil}, {10, 0, nil}, {10, 0, odd}, {40, 2, spare}, {200, 3, nil}}

	for step := range steps {
		for i := range pos {
			switch {
			case i%50 == 1: // twin of the courier before it
				pos[i] = pos[i-1]
			case i%7 == 0: // stands still, jittering
				pos[i] = geo.Offset(pos[i], rng.NormFloat64(), rng.NormFloat64())
			default: // up to 150 m: crosses cells often
				pos[i] = geo.Offset(pos[i], (rng.Float64()-0.5)*300, (rng.Float64()-0.5)*300)
			}
			if err := x.Move(fmt.Sprintf("c%04d", i), pos[i], t0.Add(time.Duration(step)*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		all := x.Snapshot()
		if len(all) != couriers {
			t.Fatalf("step %d: Snapshot has %d entries", step, len(all))
		}
		for _, e := range all {
			if c := mustCell(t, e.Pos); e.Cell != c {
				t.Fatalf("step %d: %s at %v has Cell %v, H3 says %v", step, e.ID, e.Pos, e.Cell, c)
			}
		}
		checkInvariants(t, x)
		for qi, q := range queries {
			p := geo.Offset(paris, (rng.Float64()-0.5)*side, (rng.Float64()-0.5)*side)
			if qi == 0 {
				p = pos[rng.IntN(couriers)] // on top of a courier
			}
			got := x.Nearest(p, q.n, q.rings, q.keep)
			want := brute(t, all, p, q.n, q.rings, q.keep)
			if !slices.EqualFunc(got, want, func(a, b Candidate) bool { return a == b }) {
				t.Fatalf("step %d, Nearest(%v, %d, %d):\n got %v\nwant %v", step, p, q.n, q.rings, got, want)
			}
		}
		if step%10 == 0 {
			p := geo.Offset(paris, (rng.Float64()-0.5)*side, (rng.Float64()-0.5)*side)
			got := x.Within(p, 3, nil)
			want := brute(t, all, p, couriers+1, 3, nil) // never n found: all of rings 0..3
			if !slices.EqualFunc(got, want, func(a, b Candidate) bool { return a == b }) {
				t.Fatalf("step %d, Within(%v, 3): got %d, want %d candidates\n got %v\nwant %v", step, p, len(got), len(want), ids(got), ids(want))
			}
		}
	}
}

// checkInvariants checks the index's internal bookkeeping: every entry in exactly one
// bucket, at the slot it records, with the slot's copy of its position, in the bucket of
// its cell.
func checkInvariants(t *testing.T, x *Index) {
	t.Helper()
	x.mu.RLock()
	defer x.mu.RUnlock()
	inBuckets := 0
	for c, b := range x.cells {
		if len(b.slots) == 0 {
			t.Errorf("cell %v: empty bucket kept", c)
		}
		if b.geom.cell != c {
			t.Errorf("cell %v: bucket geometry is for %v", c, b.geom.cell)
		}
		for i := range b.slots {
			s := &b.slots[i]
			e := s.e
			if e.b != b || e.slot != i || e.sp != s {
				t.Errorf("%s: recorded at slot %d of %v, found at slot %d of %v", e.ID, e.slot, e.Cell, i, c)
			}
			if s.pos != e.Pos {
				t.Errorf("%s: slot position %v, entry %v", e.ID, s.pos, e.Pos)
			}
			if e.Cell != c {
				t.Errorf("%s: Cell %v but in bucket %v", e.ID, e.Cell, c)
			}
			if x.byID[e.ID] != e {
				t.Errorf("%s: bucket entry is not the one in byID", e.ID)
			}
			inBuckets++
		}
	}
	if inBuckets != len(x.byID) {
		t.Errorf("%d entries in buckets, %d by id", inBuckets, len(x.byID))
	}
}

// TestIndexConcurrent runs every method at once; run it with -race.
func TestIndexConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	x, names := cityIndex(t, rng, 2000)
	const workers, ops = 8, 2000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			own := fmt.Sprintf("w%d", w) // each worker adds and removes its own courier
			for i := range ops {
				id := names[rng.IntN(len(names))]
				p := cityPoint(rng)
				switch i % 8 {
				case 0, 1, 2:
					if err := x.Move(id, p, t0.Add(time.Duration(i)*time.Second)); err != nil {
						t.Errorf("Move(%s): %v", id, err)
						return
					}
				case 3:
					for _, c := range x.Nearest(p, 10, 0, func(e *Entry) bool { return e.State == Available }) {
						if c.State != Available {
							t.Errorf("Nearest returned %s in state %s", c.ID, c.State)
						}
					}
				case 4:
					_ = x.Within(p, 2, nil)
				case 5:
					err := x.Update(id, func(e *Entry) {
						if e.State == Available {
							e.State, e.Load = Busy, 1
						} else {
							e.State, e.Load = Available, 0
						}
					})
					if err != nil {
						t.Errorf("Update(%s): %v", id, err)
						return
					}
				case 6:
					if err := x.Put(Entry{ID: own, Pos: p, State: Available}); err != nil {
						t.Errorf("Put(%s): %v", own, err)
						return
					}
				case 7:
					x.Remove(own)
					if _, ok := x.Get(id); !ok {
						t.Errorf("Get(%s): not found", id)
					}
					_ = x.Snapshot()
				}
			}
		}()
	}
	wg.Wait()
	if x.Len() != len(names) { // every worker's last Put/Remove pair ended removed
		t.Errorf("Len = %d, want %d", x.Len(), len(names))
	}
	checkInvariants(t, x)
	for _, e := range x.Snapshot() {
		if c := mustCell(t, e.Pos); e.Cell != c {
			t.Errorf("%s: Cell %v, H3 says %v", e.ID, e.Cell, c)
		}
	}
}
