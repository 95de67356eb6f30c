package geo

import "iter"

// MaxRings bounds every ring search: 20 rings at IndexRes is about 7 km from the centre,
// the furthest a local delivery ever looks for a courier.
const MaxRings = 20

// Rings yields the cells of c ring by ring outward, from ring 0 (c itself) to ring maxK,
// with the ring number. Stop early by breaking out of the loop. A ring H3 cannot build
// (pentagon distortion) is yielded empty rather than ending the search.
func (c Cell) Rings(maxK int) iter.Seq2[int, []Cell] {
	return func(yield func(int, []Cell) bool) {
		for k := 0; k <= maxK; k++ {
			cells, err := c.Ring(k)
			if err != nil {
				cells = nil
			}
			if !yield(k, cells) {
				return
			}
		}
	}
}
