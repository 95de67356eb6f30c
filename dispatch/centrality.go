package dispatch

// centralitySample caps the shops a round measures each courier's centrality against,
// so that a round of a thousand orders costs 64, not 1,000, travel estimates per courier.
const centralitySample = 64

// centrality measures, for each edge, how central its courier is to the round's demand
// other than the edge's own job: the mean travel time in seconds from where the courier
// will be free to the pickups of the round's other jobs (at most centralitySample of
// them, spread evenly over the jobs, which are sorted by order id). An edge whose job is
// the round's only one measures 0.
//
// A courier's reach to one shop is priced against this mean: a courier near the job's
// shop but far from the round's other shops is cheap to send, while one central to all
// of them keeps more value by staying free for the next order. While couriers are short
// every one is used and the figure changes little; when they are plentiful it decides
// which stay free.
func (e *Engine) centrality(jobs []*job, slots []slot, edges []edgeRef) []float64 {
	step := max(1, len(jobs)/centralitySample)
	sampled := func(row int) bool { return row%step == 0 }
	sums := make([]float64, len(slots))
	n := 0
	for row := 0; row < len(jobs); row += step {
		n++
	}
	for ci, sl := range slots {
		speed := sl.s.c.Vehicle.Speed()
		for row := 0; row < len(jobs); row += step {
			sums[ci] += e.cfg.Travel.Travel(sl.pos, jobs[row].pickup, speed).Seconds()
		}
	}
	out := make([]float64, len(edges))
	for k, ed := range edges {
		sum, cnt := sums[ed.col], n
		if sampled(ed.row) {
			sum, cnt = sum-ed.reach, cnt-1
		}
		if cnt > 0 {
			out[k] = sum / float64(cnt)
		}
	}
	return out
}

// edgeRef is what centrality needs of one edge: its row, its column and the courier's
// travel to the row's shop, in seconds.
type edgeRef struct {
	row, col int
	reach    float64
}
