package api

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// maxCourierID bounds the courier id looked up (real ones are 30 characters).
const maxCourierID = 64

// opsKPIs are the counters at the top of the operators' page.
type opsKPIs struct {
	// Unassigned: paid orders waiting for a courier; InProgress: orders a courier works on.
	Unassigned int `json:"unassigned"`
	InProgress int `json:"in_progress"`
	// Day is the calendar day the next three count (FeedConfig.Day's time zone).
	Day            string `json:"day"`
	DeliveredToday int    `json:"delivered_today"`
	// OnTimePct is the share of today's deliveries made by their promised time; null
	// before the first.
	OnTimePct *float64 `json:"on_time_pct"`
	// MedianPaidToAssignedSeconds is over today's assignments; null before the first.
	MedianPaidToAssignedSeconds *float64 `json:"median_paid_to_assigned_seconds"`
	// Couriers counts couriers by what the map shows: available, busy, paused, late (busy
	// with a late order, not counted as busy) and offline (not connected).
	Couriers map[string]int `json:"couriers"`
}

// opsView is GET /v1/admin/ops and the data of the operators' "ops" frames.
type opsView struct {
	At       time.Time               `json:"at"`
	KPIs     opsKPIs                 `json:"kpis"`
	Couriers []dispatch.FleetCourier `json:"couriers"`
	Orders   []dispatch.OpsOrder     `json:"orders"`
	// Cells is supply (available couriers) against demand (waiting orders) per H3 cell
	// at geo.HeatRes, for cells with any of either.
	Cells []dispatch.CellCount `json:"cells"`
}

// courierClass is the class the map draws a courier in.
func courierClass(c dispatch.FleetCourier) string {
	switch {
	case !c.Connected:
		return "offline"
	case c.Late:
		return "late"
	case c.State == courier.Busy:
		return "busy"
	default:
		return string(c.State) // available, paused
	}
}

// opsView reads the operators' view: the engine's couriers and orders, its supply and
// demand cells, and the feed's tally of the day.
func (s *Server) opsView(ctx context.Context) (opsView, error) {
	v, err := s.engine.Ops(ctx)
	if err != nil {
		return opsView{}, err
	}
	snap := s.engine.Snapshot()
	day := s.feed.tally.Today(v.At)
	k := opsKPIs{Unassigned: v.Unassigned, InProgress: v.InProgress, Day: day.Day, DeliveredToday: day.Delivered,
		OnTimePct: day.OnTimePct, Couriers: map[string]int{"available": 0, "busy": 0, "paused": 0, "late": 0, "offline": 0}}
	if day.Assigned > 0 {
		sec := day.MedianPaidToAssigned.Seconds()
		k.MedianPaidToAssignedSeconds = &sec
	}
	for _, c := range v.Couriers {
		k.Couriers[courierClass(c)]++
	}
	return opsView{At: v.At, KPIs: k, Couriers: v.Couriers, Orders: v.Orders, Cells: nonNil(snap.Cells)}, nil
}

func (s *Server) handleOpsView(c echo.Context) error {
	v, err := s.opsView(c.Request().Context())
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, v)
}

// handleCourierJobs is GET /v1/admin/couriers/{id}/jobs: a courier's active orders and
// open offers. 404 for a courier that has not connected since the server started.
func (s *Server) handleCourierJobs(c echo.Context) error {
	id := c.Param("id")
	if id == "" || len(id) > maxCourierID {
		return fmt.Errorf("%w: courier %q", dispatch.ErrNotFound, id)
	}
	j, err := s.engine.CourierJobs(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, j)
}

// opsCache holds the last encoded "ops" frame, so that any number of operators' sockets
// cost one engine read per half period.
type opsCache struct {
	mu    sync.Mutex
	at    time.Time // wall time of frame
	frame []byte
}

// opsFrame returns the current "ops" frame, reusing one younger than half a period.
func (s *Server) opsFrame(ctx context.Context) ([]byte, error) {
	s.ops.mu.Lock()
	defer s.ops.mu.Unlock()
	now := s.cfg.Wall.Now()
	if s.ops.frame != nil && now.Sub(s.ops.at) < s.cfg.OpsPeriod/2 {
		return s.ops.frame, nil
	}
	v, err := s.opsView(ctx)
	if err != nil {
		return nil, err
	}
	s.ops.frame, s.ops.at = encodeFrame(MsgOps, 0, "", v.At, v), now
	return s.ops.frame, nil
}
