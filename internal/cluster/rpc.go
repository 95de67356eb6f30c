package cluster

import (
	"context"
	"crypto/subtle"
	"encoding/gob"
	"log/slog"
	"net/http"
	"strings"

	"github.com/hummingbird-dispatch/hummingbird/api"
	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// RPCPath prefixes the forwarded calls; the method name follows it.
const RPCPath = "/internal/rpc/"

// TokenHeader carries the cluster's shared secret on forwarded calls.
const TokenHeader = "Hummingbird-Cluster-Token"

// maxArgs bounds a forwarded call's body; the largest argument is a polygon.
const maxArgs = 1 << 20

type method func(ctx context.Context, d api.Dispatcher, a args, enc *gob.Encoder) error

// m adapts a typed call to the method table.
func m[R any](f func(ctx context.Context, d api.Dispatcher, a args) (R, error)) method {
	return func(ctx context.Context, d api.Dispatcher, a args, enc *gob.Encoder) error {
		r, err := f(ctx, d, a)
		return enc.Encode(reply[R]{Result: r, Err: encodeError(err)})
	}
}

type none = struct{}

// methods is every call one instance may forward to the leader, by Dispatcher method name.
var methods = map[string]method{
	"Quote": m(func(ctx context.Context, d api.Dispatcher, a args) (dispatch.Quote, error) {
		return d.Quote(ctx, a.str(0), a.Request)
	}),
	"CreateOrder": m(func(ctx context.Context, d api.Dispatcher, a args) (dispatch.Order, error) {
		return d.CreateOrder(ctx, a.str(0), a.Request)
	}),
	"Order": m(func(ctx context.Context, d api.Dispatcher, a args) (dispatch.Order, error) {
		return d.Order(ctx, a.str(0), a.str(1))
	}),
	"Orders": m(func(ctx context.Context, d api.Dispatcher, a args) ([]dispatch.Order, error) {
		return d.Orders(ctx, a.str(0), a.str(1), a.Limit)
	}),
	"Events": m(func(ctx context.Context, d api.Dispatcher, a args) ([]dispatch.Event, error) {
		return d.Events(ctx, a.str(0), a.str(1), a.N)
	}),
	"Cancel": m(func(ctx context.Context, d api.Dispatcher, a args) (dispatch.Order, error) {
		return d.Cancel(ctx, a.str(0), a.str(1), a.str(2))
	}),
	"ApplyPayment": m(func(ctx context.Context, d api.Dispatcher, a args) (dispatch.PaymentResult, error) {
		return d.ApplyPayment(ctx, a.Payment)
	}),
	"Connect": m(func(ctx context.Context, d api.Dispatcher, a args) (dispatch.CourierView, error) {
		return d.Connect(ctx, a.str(0))
	}),
	"Disconnect": m(func(_ context.Context, d api.Dispatcher, a args) (none, error) {
		d.Disconnect(a.str(0))
		return none{}, nil
	}),
	"Locate": m(func(ctx context.Context, d api.Dispatcher, a args) (none, error) {
		return none{}, d.Locate(ctx, a.str(0), a.Fix)
	}),
	"SetAvailability": m(func(ctx context.Context, d api.Dispatcher, a args) (courier.State, error) {
		return d.SetAvailability(ctx, a.str(0), a.State)
	}),
	"Accept": m(func(ctx context.Context, d api.Dispatcher, a args) ([]dispatch.Order, error) {
		return d.Accept(ctx, a.str(0), a.str(1))
	}),
	"Decline": m(func(ctx context.Context, d api.Dispatcher, a args) (none, error) {
		return none{}, d.Decline(ctx, a.str(0), a.str(1))
	}),
	"Arrived": m(func(ctx context.Context, d api.Dispatcher, a args) (dispatch.Order, error) {
		return d.Arrived(ctx, a.str(0), a.str(1))
	}),
	"PickedUp": m(func(ctx context.Context, d api.Dispatcher, a args) (dispatch.Order, error) {
		return d.PickedUp(ctx, a.str(0), a.str(1))
	}),
	"Delivered": m(func(ctx context.Context, d api.Dispatcher, a args) (dispatch.Order, error) {
		return d.Delivered(ctx, a.str(0), a.str(1), a.str(2))
	}),
	"Track": m(func(ctx context.Context, d api.Dispatcher, a args) (dispatch.Tracking, error) {
		return d.Track(ctx, a.str(0))
	}),
	"CreateMerchant": m(func(ctx context.Context, d api.Dispatcher, a args) (pair[dispatch.Merchant], error) {
		v, s, err := d.CreateMerchant(ctx, a.str(0), a.str(1))
		return pair[dispatch.Merchant]{v, s}, err
	}),
	"CreateStation": m(func(ctx context.Context, d api.Dispatcher, a args) (dispatch.Station, error) {
		return d.CreateStation(ctx, a.Station)
	}),
	"Stations": m(func(ctx context.Context, d api.Dispatcher, _ args) ([]dispatch.Station, error) {
		return d.Stations(ctx)
	}),
	"CreateCourier": m(func(ctx context.Context, d api.Dispatcher, a args) (pair[courier.Courier], error) {
		v, s, err := d.CreateCourier(ctx, a.Courier)
		return pair[courier.Courier]{v, s}, err
	}),
	"Couriers": m(func(ctx context.Context, d api.Dispatcher, _ args) ([]courier.Courier, error) {
		return d.Couriers(ctx)
	}),
	"CreateArea": m(func(ctx context.Context, d api.Dispatcher, a args) (dispatch.ServiceArea, error) {
		return d.CreateArea(ctx, a.Area)
	}),
	"Areas": m(func(ctx context.Context, d api.Dispatcher, _ args) ([]dispatch.ServiceArea, error) {
		return d.Areas(ctx)
	}),
	"Snapshot": m(func(_ context.Context, d api.Dispatcher, _ args) (dispatch.Snapshot, error) {
		return d.Snapshot(), nil
	}),
	"Trace": m(func(_ context.Context, d api.Dispatcher, a args) (dispatch.Trace, error) {
		return d.Trace(a.str(0))
	}),
	"Ops": m(func(ctx context.Context, d api.Dispatcher, _ args) (dispatch.OpsView, error) {
		return d.Ops(ctx)
	}),
	"CourierJobs": m(func(ctx context.Context, d api.Dispatcher, a args) (dispatch.CourierJobs, error) {
		return d.CourierJobs(ctx, a.str(0))
	}),
	"ScheduleShift": m(func(ctx context.Context, d api.Dispatcher, a args) (dispatch.Shift, error) {
		return d.ScheduleShift(ctx, a.str(0), a.Shift)
	}),
}

// Handler serves forwarded calls at POST RPCPath+method for d; callers must present
// token in TokenHeader. A call this instance cannot serve because it is not the leader
// is answered 503, and the caller looks the leader up again.
func Handler(d func() apiDispatcher, token string, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get(TokenHeader)), []byte(token)) != 1 {
			http.Error(w, "bad cluster token", http.StatusUnauthorized)
			return
		}
		call := methods[strings.TrimPrefix(r.URL.Path, RPCPath)]
		if call == nil {
			http.Error(w, "unknown method", http.StatusNotFound)
			return
		}
		target := d()
		if target == nil {
			http.Error(w, "not the dispatch leader", http.StatusServiceUnavailable)
			return
		}
		var a args
		if err := gob.NewDecoder(http.MaxBytesReader(w, r.Body, maxArgs)).Decode(&a); err != nil {
			http.Error(w, "malformed arguments: "+err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-gob")
		if err := call(r.Context(), target, a, gob.NewEncoder(w)); err != nil {
			log.Warn("forwarded call: write reply", "path", r.URL.Path, "err", err)
		}
	})
}

// apiDispatcher names api.Dispatcher for Handler's callback.
type apiDispatcher = api.Dispatcher
