package dispatch

import (
	"cmp"
	"slices"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
)

// prebundle joins open orders from one shop into bundle jobs before the assignment when
// a station has more orders due soon than couriers able to start a trip: with k orders
// per courier, bundles of up to k (at most MaxBundle) orders, and no more units than the
// roomiest of those couriers carries, so every bundle has someone to take it. Each
// courier then leaves with more orders and the station's throughput rises, which is what
// decides how many orders are served when the couriers are short, as at the end of a
// busy evening. One trip from a shop to two customers never takes a courier longer than
// two trips from it, by the triangle inequality. Orders join in the order of when their
// goods are available (ready, or now if already ready), only while joinable. With
// couriers to spare, or none at all, nothing changes: bundling then happens after the
// assignment (merge), where it must pay for itself.
func (e *Engine) prebundle(jobs []*job, fl *fleet, now time.Time) []*job {
	supply, room := map[string]int{}, map[string]int{}
	for _, list := range [][]courier.Entry{fl.idle, fl.soon, fl.starting} {
		for _, x := range list {
			supply[x.Station]++
			room[x.Station] = max(room[x.Station], x.Capacity)
		}
	}
	demand := map[string]int{}
	for _, j := range jobs {
		if j.ready.Sub(now) <= e.cfg.ChainHorizon {
			demand[j.station]++
		}
	}
	size := map[string]int{} // bundle size per short station
	for st, d := range demand {
		if s := supply[st]; s > 0 && d > s {
			size[st] = min(e.cfg.MaxBundle, (d+s-1)/s)
		}
	}
	if len(size) == 0 {
		return jobs
	}
	byShop := map[[2]string][]*job{}
	var keys [][2]string
	out := jobs[:0:0]
	for _, j := range jobs {
		if size[j.station] < 2 || j.ready.Sub(now) > e.cfg.PrebundleLead {
			out = append(out, j)
			continue
		}
		k := [2]string{j.station, j.orders[0].order.ShopID}
		if byShop[k] == nil {
			keys = append(keys, k)
		}
		byShop[k] = append(byShop[k], j)
	}
	for _, k := range keys {
		group := byShop[k]
		slices.SortStableFunc(group, func(a, b *job) int {
			return cmp.Compare(later(a.ready, now).UnixNano(), later(b.ready, now).UnixNano())
		})
		var cur *job
		for _, j := range group {
			p := j.orders[0]
			if cur != nil && len(cur.orders) < size[k[0]] && cur.units+p.order.Units <= room[k[0]] && e.joinable(cur, p, now) {
				cur = e.with(cur, p)
				out[len(out)-1] = cur
				continue
			}
			cur = j
			out = append(out, j)
		}
	}
	return out
}
