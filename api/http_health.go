package api

import (
	"bytes"
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/hummingbird-dispatch/hummingbird/courier"
)

// mimeMetrics is the Prometheus text exposition format, version 0.0.4.
const mimeMetrics = "text/plain; version=0.0.4; charset=utf-8"

// handleLivez answers while the process serves HTTP at all.
func (s *Server) handleLivez(c echo.Context) error {
	return writeJSON(c, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz answers 200 when the backing stores answer (Config.Ready), else 503. The
// cause is logged, not shown: it may name internal hosts.
func (s *Server) handleReadyz(c echo.Context) error {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(c.Request().Context()); err != nil {
			s.log.Warn("not ready", "err", err)
			s.writeProblem(c, problemFor(ErrNotReady))
			return nil
		}
	}
	return writeJSON(c, http.StatusOK, map[string]string{"status": "ready"})
}

// metricsWriter writes Prometheus text exposition by hand: one HELP and TYPE line per
// family, then its samples.
type metricsWriter struct{ b bytes.Buffer }

func (w *metricsWriter) family(name, typ, help string) {
	fmt.Fprintf(&w.b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

func (w *metricsWriter) sample(name, labels string, v float64) {
	if labels != "" {
		labels = "{" + labels + "}"
	}
	fmt.Fprintf(&w.b, "%s%s %s\n", name, labels, strconv.FormatFloat(v, 'g', -1, 64))
}

// one writes a family with a single unlabelled sample.
func (w *metricsWriter) one(name, typ, help string, v float64) {
	w.family(name, typ, help)
	w.sample(name, "", v)
}

// Metric is one unlabelled sample added to /metrics by Config.Metrics.
type Metric struct {
	Name  string // hummingbird_…
	Type  string // "counter" or "gauge"
	Help  string
	Value float64
}

// handleMetrics exposes the engine's counters, the live dispatch gauges and the
// WebSocket hub's figures.
func (s *Server) handleMetrics(c echo.Context) error {
	snap := s.engine.Snapshot()
	st := snap.Stats
	var w metricsWriter
	counters := []struct {
		name, help string
		v          uint64
	}{
		{"hummingbird_dispatch_rounds_total", "Dispatch rounds run.", st.Rounds},
		{"hummingbird_orders_created_total", "Orders created by merchants.", st.OrdersCreated},
		{"hummingbird_orders_paid_total", "Orders whose payment succeeded.", st.OrdersPaid},
		{"hummingbird_orders_assigned_total", "Orders assigned to a courier.", st.OrdersAssigned},
		{"hummingbird_orders_delivered_total", "Orders delivered.", st.OrdersDelivered},
		{"hummingbird_orders_canceled_total", "Orders canceled.", st.OrdersCanceled},
		{"hummingbird_orders_expired_total", "Orders expired unpaid.", st.OrdersExpired},
		{"hummingbird_offers_sent_total", "Offers sent to couriers.", st.OffersSent},
		{"hummingbird_offers_accepted_total", "Offers accepted by couriers.", st.OffersAccepted},
		{"hummingbird_offers_declined_total", "Offers declined by couriers.", st.OffersDeclined},
		{"hummingbird_offers_expired_total", "Offers that expired unanswered.", st.OffersExpired},
		{"hummingbird_gps_fixes_rejected_total", "GPS fixes rejected as implausible.", st.FixesRejected},
		{"hummingbird_ws_dropped_total", "WebSocket connections dropped as slow consumers.", s.hub.Dropped()},
	}
	for _, m := range counters {
		w.one(m.name, "counter", m.help, float64(m.v))
	}
	w.one("hummingbird_dispatch_round_seconds", "gauge", "Duration of the last dispatch round in seconds.", st.LastRound.Seconds())
	w.one("hummingbird_orders_waiting", "gauge", "Paid orders waiting for a courier.", float64(snap.Waiting))
	w.one("hummingbird_orders_unpaid", "gauge", "Orders awaiting payment.", float64(snap.Unpaid))
	w.one("hummingbird_offers_open", "gauge", "Offers open to couriers.", float64(snap.OpenOffer))
	w.one("hummingbird_ws_connections", "gauge", "Open WebSocket connections.", float64(s.hub.Conns()))
	if s.cfg.Metrics != nil {
		for _, m := range s.cfg.Metrics() {
			w.one(m.Name, m.Type, m.Help, m.Value)
		}
	}

	// Every online state always has a sample, so a state that empties shows 0 rather
	// than vanishing; unexpected states from the engine are kept too.
	byState := map[courier.State]int{courier.Available: 0, courier.Busy: 0, courier.Paused: 0}
	for k, n := range snap.Couriers {
		byState[k] = n
	}
	w.family("hummingbird_couriers", "gauge", "Online couriers by state.")
	for _, k := range sortedKeys(byState) {
		w.sample("hummingbird_couriers", `state="`+labelValue(string(k))+`"`, float64(byState[k]))
	}
	byKind := map[courier.Kind]int{courier.Franchise: 0, courier.Crowd: 0}
	for k, n := range snap.ByKind {
		byKind[k] = n
	}
	w.family("hummingbird_couriers_by_kind", "gauge", "Online couriers by kind.")
	for _, k := range sortedKeys(byKind) {
		w.sample("hummingbird_couriers_by_kind", `kind="`+labelValue(string(k))+`"`, float64(byKind[k]))
	}
	return c.Blob(http.StatusOK, mimeMetrics, w.b.Bytes())
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// labelValue escapes a label value as the exposition format requires.
func labelValue(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
