package bench

import (
	"context"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/internal/mdrp"
)

// BenchmarkRoundLargestInstance replays the largest shared instance (708 orders, 194
// courier shifts) and reports the mean and the slowest dispatch round, each a real
// Engine.Tick at that instance's load, and the whole replay.
func BenchmarkRoundLargestInstance(b *testing.B) {
	dir := sharedInstance(b, "2o100t100s1p125")
	in, err := mdrp.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := Config(in)
	if err != nil {
		b.Fatal(err)
	}
	var all roundTimes
	for b.Loop() {
		r, err := newReplay(context.Background(), in, cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.run(context.Background()); err != nil {
			b.Fatal(err)
		}
		all.n += r.rounds.n
		all.total += r.rounds.total
		all.max = max(all.max, r.rounds.max)
	}
	b.ReportMetric(float64(all.total.Microseconds())/float64(all.n), "µs/round")
	b.ReportMetric(float64(all.max)/float64(time.Microsecond), "µs/slowest-round")
	b.ReportMetric(float64(all.n)/float64(b.N), "rounds/replay")
}
