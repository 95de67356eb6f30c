package courier

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// The benchmarks model one city: couriers scattered over 15 km × 15 km centred on Paris,
// each streaming a GPS fix a second while riding at 2-7 m/s.

var benchSizes = []int{10_000, 100_000}

// benchMoves is how many prebuilt moves a benchmark cycles through.
const benchMoves = 1 << 20

// move is one prebuilt GPS fix.
type move struct {
	who   int32 // courier number
	round int32 // second of the stream
	to    geo.LatLng
}

var benchEpoch = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// moveFixture fills an index with n couriers and builds a stream of 1 Hz fixes: each
// round every courier reports once, in a shuffled order. Each courier rides out on a
// wobbling heading for half the rounds and back the same way, so the stream can be
// replayed in a loop without teleporting anyone.
func moveFixture(tb testing.TB, n int) (*Index, []string, []move) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	x, ids := cityIndex(tb, rng, n)
	rounds := max(2, benchMoves/n)
	half := rounds / 2
	paths := make([][]geo.LatLng, n)
	for i := range paths {
		e, _ := x.Get(ids[i])
		path := make([]geo.LatLng, half)
		path[0] = e.Pos
		heading := rng.Float64() * 2 * math.Pi
		speed := 2 + 5*rng.Float64()
		for r := 1; r < half; r++ {
			heading += rng.NormFloat64() * 0.2
			path[r] = geo.Offset(path[r-1], speed*math.Cos(heading), speed*math.Sin(heading))
		}
		paths[i] = path
	}
	moves := make([]move, 0, rounds*n)
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	for r := range rounds {
		step := r
		if r >= half {
			step = rounds - 1 - r
		}
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, c := range order {
			moves = append(moves, move{who: c, round: int32(r), to: paths[c][step]})
		}
	}
	return x, ids, moves
}

// cpuClock measures the CPU time of the benchmark's own thread, so that a rate "per
// core" can be read even when other processes share the machine.
type cpuClock struct{ start int64 }

// startCPU locks the benchmark goroutine to its thread and starts the clock; call it
// right before b.ResetTimer.
func startCPU(b *testing.B) *cpuClock {
	runtime.LockOSThread()
	b.Cleanup(runtime.UnlockOSThread)
	return &cpuClock{start: threadCPU()}
}

// report records ops/s (wall clock, as the targets are stated) and ops/cpu-s (this
// thread's CPU time: excludes time the thread waited for a core, includes GC assists
// and cgo).
func (c *cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	if c == nil {
		return
	}
	if used := threadCPU() - c.start; c.start > 0 && used > 0 {
		b.ReportMetric(float64(b.N)/(float64(used)/1e9), "ops/cpu-s")
	}
}

func BenchmarkMove(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			x, ids, moves := moveFixture(b, n)
			b.ReportAllocs()
			clock := startCPU(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m := &moves[i%len(moves)]
				at := benchEpoch.Add(time.Duration(m.round) * time.Second)
				if err := x.Move(ids[m.who], m.to, at); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			clock.report(b)
		})
	}
}

// BenchmarkMoveParallel runs the stream on every core, each goroutine feeding its own
// couriers as one WebSocket reader per connection would.
func BenchmarkMoveParallel(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			x, ids, moves := moveFixture(b, n)
			workers := runtime.GOMAXPROCS(0)
			var next atomic.Int32
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				w := int32(next.Add(1)-1) % int32(workers)
				i := 0
				for pb.Next() {
					// Skip to this worker's next courier; the stream is shuffled, so
					// about one move in workers is ours.
					for moves[i%len(moves)].who%int32(workers) != w {
						i++
					}
					m := &moves[i%len(moves)]
					i++
					at := benchEpoch.Add(time.Duration(m.round) * time.Second)
					if err := x.Move(ids[m.who], m.to, at); err != nil {
						b.Error(err)
						return
					}
				}
			})
			var wall *cpuClock // CPU time of one thread says nothing about all of them
			wall.report(b)
		})
	}
}

func BenchmarkNearest10(b *testing.B) { benchNearest10(b, 2, nil, nil) }

// BenchmarkNearest10Keep filters as dispatch does: available couriers with spare room,
// about half of them.
func BenchmarkNearest10Keep(b *testing.B) {
	busyHalf := func(x *Index, ids []string) {
		for i, id := range ids {
			if i%2 == 0 {
				_ = x.Update(id, func(e *Entry) { e.State = Busy; e.Load = e.Capacity })
			}
		}
	}
	benchNearest10(b, 3, busyHalf, func(e *Entry) bool { return e.State == Available && e.Spare() > 0 })
}

// benchNearest10 times 10-nearest queries from random city points; prepare, if set,
// changes the index before timing.
func benchNearest10(b *testing.B, seed uint64, prepare func(*Index, []string), keep func(*Entry) bool) {
	for _, n := range benchSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(seed, uint64(n)))
			x, ids := cityIndex(b, rng, n)
			if prepare != nil {
				prepare(x, ids)
			}
			queries := make([]geo.LatLng, 1<<14)
			for i := range queries {
				queries[i] = cityPoint(rng)
			}
			b.ReportAllocs()
			clock := startCPU(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if got := x.Nearest(queries[i%len(queries)], 10, 0, keep); len(got) != 10 {
					b.Fatalf("found %d couriers, want 10", len(got))
				}
			}
			b.StopTimer()
			clock.report(b)
		})
	}
}

func sizeName(n int) string { return fmt.Sprintf("%dk", n/1000) }
