package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// maxWindowSeconds bounds a station's franchise window (the engine allows up to 1 h).
const maxWindowSeconds = 3600

type merchantRequest struct {
	Name       string `json:"name"`
	WebhookURL string `json:"webhook_url"`
}

// merchantCreated shows the merchant's API key and webhook signing secret once.
type merchantCreated struct {
	Merchant      dispatch.Merchant `json:"merchant"`
	APIKey        string            `json:"api_key"`
	WebhookSecret string            `json:"webhook_secret"`
}

type stationRequest struct {
	Name          string      `json:"name"`
	Zone          geo.Polygon `json:"zone"`
	WindowSeconds int64       `json:"window_seconds"`
}

// stationView is a station on the wire: the window in whole seconds.
type stationView struct {
	ID            string      `json:"id"`
	Name          string      `json:"name"`
	Zone          geo.Polygon `json:"zone"`
	WindowSeconds int64       `json:"window_seconds"`
	CreatedAt     time.Time   `json:"created_at"`
}

func newStationView(s dispatch.Station) stationView {
	return stationView{ID: s.ID, Name: s.Name, Zone: s.Zone, WindowSeconds: int64(s.Window / time.Second), CreatedAt: s.CreatedAt}
}

type courierRequest struct {
	Name      string          `json:"name"`
	Kind      courier.Kind    `json:"kind"`
	StationID string          `json:"station_id"`
	Vehicle   courier.Vehicle `json:"vehicle"`
	Capacity  int             `json:"capacity"`
}

// courierCreated shows the courier's bearer token once.
type courierCreated struct {
	Courier courier.Courier `json:"courier"`
	Token   string          `json:"token"`
}

type areaRequest struct {
	Name    string      `json:"name"`
	Polygon geo.Polygon `json:"polygon"`
}

// bind reads and strictly decodes the request body into v.
func bind(c echo.Context, v any) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}

func (s *Server) handleCreateMerchant(c echo.Context) error {
	var req merchantRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	m, key, err := s.engine.CreateMerchant(c.Request().Context(), req.Name, req.WebhookURL)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusCreated, merchantCreated{Merchant: m, APIKey: key, WebhookSecret: m.WebhookSecret})
}

func (s *Server) handleListMerchants(c echo.Context) error {
	ms, err := s.dir.Merchants(c.Request().Context())
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, map[string]any{"merchants": nonNil(ms)})
}

func (s *Server) handleCreateStation(c echo.Context) error {
	var req stationRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.WindowSeconds < 0 || req.WindowSeconds > maxWindowSeconds {
		return fieldError("window_seconds", "must be 0..%d (0: the engine default)", maxWindowSeconds)
	}
	st, err := s.engine.CreateStation(c.Request().Context(), dispatch.Station{
		Name: req.Name, Zone: req.Zone, Window: time.Duration(req.WindowSeconds) * time.Second,
	})
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusCreated, newStationView(st))
}

func (s *Server) handleListStations(c echo.Context) error {
	sts, err := s.engine.Stations(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]stationView, len(sts))
	for i, st := range sts {
		out[i] = newStationView(st)
	}
	return writeJSON(c, http.StatusOK, map[string]any{"stations": out})
}

func (s *Server) handleCreateCourier(c echo.Context) error {
	var req courierRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	cr, token, err := s.engine.CreateCourier(c.Request().Context(), courier.Courier{
		Name: req.Name, Kind: req.Kind, StationID: req.StationID, Vehicle: req.Vehicle, Capacity: req.Capacity,
	})
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusCreated, courierCreated{Courier: cr, Token: token})
}

func (s *Server) handleListCouriers(c echo.Context) error {
	cs, err := s.engine.Couriers(c.Request().Context())
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, map[string]any{"couriers": nonNil(cs)})
}

func (s *Server) handleCreateArea(c echo.Context) error {
	var req areaRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	a, err := s.engine.CreateArea(c.Request().Context(), dispatch.ServiceArea{Name: req.Name, Polygon: req.Polygon})
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusCreated, a)
}

func (s *Server) handleListAreas(c echo.Context) error {
	as, err := s.engine.Areas(c.Request().Context())
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, map[string]any{"areas": nonNil(as)})
}

// positionView is one online courier in the snapshot.
type positionView struct {
	CourierID string          `json:"courier_id"`
	Kind      courier.Kind    `json:"kind"`
	StationID string          `json:"station_id,omitempty"`
	Vehicle   courier.Vehicle `json:"vehicle"`
	State     courier.State   `json:"state"`
	Load      int             `json:"load"`
	Capacity  int             `json:"capacity"`
	Pos       geo.LatLng      `json:"pos"`
	Cell      geo.Cell        `json:"cell"`
	Seen      time.Time       `json:"seen"`
}

// statsView is dispatch.Stats in snake_case; last_round_seconds is the duration of the
// last dispatch round.
type statsView struct {
	Rounds           uint64  `json:"rounds"`
	LastRoundSeconds float64 `json:"last_round_seconds"`
	OrdersCreated    uint64  `json:"orders_created"`
	OrdersPaid       uint64  `json:"orders_paid"`
	OrdersAssigned   uint64  `json:"orders_assigned"`
	OrdersDelivered  uint64  `json:"orders_delivered"`
	OrdersCanceled   uint64  `json:"orders_canceled"`
	OrdersExpired    uint64  `json:"orders_expired"`
	OffersSent       uint64  `json:"offers_sent"`
	OffersAccepted   uint64  `json:"offers_accepted"`
	OffersDeclined   uint64  `json:"offers_declined"`
	OffersExpired    uint64  `json:"offers_expired"`
	FixesRejected    uint64  `json:"fixes_rejected"`
}

// snapshotView is dispatch.Snapshot with snake_case courier positions and stats.
type snapshotView struct {
	dispatch.Snapshot
	Cells     []dispatch.CellCount `json:"cells"`
	Positions []positionView       `json:"positions"`
	Stats     statsView            `json:"stats"`
}

func (s *Server) handleSnapshot(c echo.Context) error {
	snap := s.engine.Snapshot()
	st := snap.Stats
	v := snapshotView{Snapshot: snap, Cells: nonNil(snap.Cells), Positions: make([]positionView, len(snap.Positions)),
		Stats: statsView{Rounds: st.Rounds, LastRoundSeconds: st.LastRound.Seconds(),
			OrdersCreated: st.OrdersCreated, OrdersPaid: st.OrdersPaid, OrdersAssigned: st.OrdersAssigned,
			OrdersDelivered: st.OrdersDelivered, OrdersCanceled: st.OrdersCanceled, OrdersExpired: st.OrdersExpired,
			OffersSent: st.OffersSent, OffersAccepted: st.OffersAccepted, OffersDeclined: st.OffersDeclined,
			OffersExpired: st.OffersExpired, FixesRejected: st.FixesRejected}}
	for i, x := range snap.Positions {
		v.Positions[i] = positionView{CourierID: x.ID, Kind: x.Kind, StationID: x.Station, Vehicle: x.Vehicle,
			State: x.State, Load: x.Load, Capacity: x.Capacity, Pos: x.Pos, Cell: x.Cell, Seen: x.Seen}
	}
	return writeJSON(c, http.StatusOK, v)
}

func (s *Server) handleTrace(c echo.Context) error {
	t, err := s.engine.Trace(c.Param("id"))
	if err != nil {
		return err
	}
	if t.Rounds == nil {
		t.Rounds = []dispatch.TraceRound{}
	}
	return writeJSON(c, http.StatusOK, t)
}

// nonNil turns a nil slice into an empty one so lists encode as [] rather than null.
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// Limits of a rostered shift on the wire.
const (
	// maxShift is the longest shift the admin API schedules.
	maxShift = 16 * time.Hour
	// shiftPastSlack is how far in the past a shift may start (a clock skew, a slow
	// request); an older start is refused.
	shiftPastSlack = time.Minute
)

// shiftRequest is a courier's next shift; At (optional) is where it starts, by default
// the centre of the courier's station.
type shiftRequest struct {
	Start time.Time   `json:"start"`
	End   time.Time   `json:"end"`
	At    *geo.LatLng `json:"at"`
}

// shiftView is a scheduled shift on the wire.
type shiftView struct {
	CourierID string     `json:"courier_id"`
	Start     time.Time  `json:"start"`
	End       time.Time  `json:"end"`
	At        geo.LatLng `json:"at"`
}

// handleScheduleShift is POST /v1/admin/couriers/{id}/shifts: the station's rota for a
// franchise courier's next shift, which dispatch plans with before the courier is online.
func (s *Server) handleScheduleShift(c echo.Context) error {
	var req shiftRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	now := s.engine.Now()
	switch {
	case req.Start.IsZero():
		return fieldError("start", "required (RFC 3339)")
	case req.End.IsZero():
		return fieldError("end", "required (RFC 3339)")
	case !req.End.After(req.Start):
		return fieldError("end", "must be after start")
	case req.End.Sub(req.Start) > maxShift:
		return fieldError("end", "a shift lasts at most %v", maxShift)
	case req.Start.Before(now.Add(-shiftPastSlack)):
		return fieldError("start", "must not be in the past")
	}
	sh := dispatch.Shift{Start: req.Start, End: req.End}
	if req.At != nil {
		sh.At = *req.At
	}
	got, err := s.engine.ScheduleShift(c.Request().Context(), c.Param("id"), sh)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusCreated, shiftView{CourierID: c.Param("id"), Start: got.Start, End: got.End, At: got.At})
}
