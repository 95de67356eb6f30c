package cluster

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/api"
	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// callTimeout bounds one forwarded call when the caller's context has no earlier deadline.
const callTimeout = 10 * time.Second

// Remote forwards every Dispatcher call to the leader's RPCPath over HTTP.
//
// Concurrency: safe for concurrent use.
type Remote struct {
	client  *http.Client
	token   string
	leader  func(ctx context.Context) (string, error) // the leader's base URL, as last seen
	refresh func(ctx context.Context) (string, error) // looks the leader up afresh
	clock   dispatch.Clock
}

// NewRemote returns a forwarder. leader returns the current leader's base URL (for
// example http://10.0.0.7:8080) as last seen; clock answers Now without a round trip.
func NewRemote(client *http.Client, token string, leader func(ctx context.Context) (string, error), clock dispatch.Clock) *Remote {
	if clock == nil {
		clock = dispatch.SystemClock{}
	}
	return &Remote{client: client, token: token, leader: leader, refresh: leader, clock: clock}
}

// WithRefresh sets how the leader is looked up afresh when the last known one cannot be
// reached; a call whose connection was refused is sent again to the new address (it
// never reached the old one, so it cannot run twice).
func (r *Remote) WithRefresh(refresh func(ctx context.Context) (string, error)) *Remote {
	r.refresh = refresh
	return r
}

var _ api.Dispatcher = (*Remote)(nil)

// call forwards one call and decodes its reply. Transport failures and a leader that
// says it no longer leads come back as ErrNoLeader: the call may not have run, and the
// caller's client is told to retry.
func call[R any](ctx context.Context, r *Remote, name string, a args) (R, error) {
	var zero R
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	base, err := r.leader(ctx)
	if err != nil {
		return zero, fmt.Errorf("%w: %v", ErrNoLeader, err)
	}
	var body bytes.Buffer
	if err := gob.NewEncoder(&body).Encode(a); err != nil {
		return zero, fmt.Errorf("cluster: encode %s: %w", name, err)
	}
	resp, err := r.post(ctx, base, name, body.Bytes())
	if isDialError(err) {
		if fresh, ferr := r.refresh(ctx); ferr == nil && fresh != base {
			resp, err = r.post(ctx, fresh, name, body.Bytes())
		}
	}
	if err != nil {
		return zero, fmt.Errorf("%w: %s: %v", ErrNoLeader, name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		if resp.StatusCode == http.StatusServiceUnavailable {
			return zero, fmt.Errorf("%w: %s: %s", ErrNoLeader, name, bytes.TrimSpace(msg))
		}
		return zero, fmt.Errorf("cluster: %s: leader answered %s: %s", name, resp.Status, bytes.TrimSpace(msg))
	}
	var rep reply[R]
	if err := gob.NewDecoder(resp.Body).Decode(&rep); err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return zero, fmt.Errorf("%w: %s: %v", ErrNoLeader, name, err)
		}
		return zero, fmt.Errorf("cluster: %s: decode reply: %w", name, err)
	}
	return rep.Result, rep.Err.decode()
}

// post sends one encoded call to base.
func (r *Remote) post(ctx context.Context, base, name string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+RPCPath+name, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set(TokenHeader, r.token)
	req.Header.Set("Content-Type", "application/x-gob")
	return r.client.Do(req)
}

// isDialError reports whether err means the connection was never made.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func s(v ...string) args { return args{S: v} }

// Now implements api.Dispatcher with the local clock.
func (r *Remote) Now() time.Time { return r.clock.Now() }

// Quote implements api.Dispatcher.
func (r *Remote) Quote(ctx context.Context, merchantID string, req dispatch.OrderRequest) (dispatch.Quote, error) {
	return call[dispatch.Quote](ctx, r, "Quote", args{S: []string{merchantID}, Request: req})
}

// CreateOrder implements api.Dispatcher.
func (r *Remote) CreateOrder(ctx context.Context, merchantID string, req dispatch.OrderRequest) (dispatch.Order, error) {
	return call[dispatch.Order](ctx, r, "CreateOrder", args{S: []string{merchantID}, Request: req})
}

// Order implements api.Dispatcher.
func (r *Remote) Order(ctx context.Context, merchantID, id string) (dispatch.Order, error) {
	return call[dispatch.Order](ctx, r, "Order", s(merchantID, id))
}

// Orders implements api.Dispatcher.
func (r *Remote) Orders(ctx context.Context, merchantID, after string, limit int) ([]dispatch.Order, error) {
	return call[[]dispatch.Order](ctx, r, "Orders", args{S: []string{merchantID, after}, Limit: limit})
}

// Events implements api.Dispatcher.
func (r *Remote) Events(ctx context.Context, merchantID, id string, after int64) ([]dispatch.Event, error) {
	return call[[]dispatch.Event](ctx, r, "Events", args{S: []string{merchantID, id}, N: after})
}

// Cancel implements api.Dispatcher.
func (r *Remote) Cancel(ctx context.Context, merchantID, id, reason string) (dispatch.Order, error) {
	return call[dispatch.Order](ctx, r, "Cancel", s(merchantID, id, reason))
}

// ApplyPayment implements api.Dispatcher.
func (r *Remote) ApplyPayment(ctx context.Context, pe dispatch.PaymentEvent) (dispatch.PaymentResult, error) {
	return call[dispatch.PaymentResult](ctx, r, "ApplyPayment", args{Payment: pe})
}

// Connect implements api.Dispatcher.
func (r *Remote) Connect(ctx context.Context, courierID string) (dispatch.CourierView, error) {
	return call[dispatch.CourierView](ctx, r, "Connect", s(courierID))
}

// Disconnect implements api.Dispatcher; a failure only leaves the courier to the
// leader's own clean-up (a new leader never saw it connect).
func (r *Remote) Disconnect(courierID string) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	_, _ = call[none](ctx, r, "Disconnect", s(courierID))
}

// Locate implements api.Dispatcher.
func (r *Remote) Locate(ctx context.Context, courierID string, f courier.Fix) error {
	_, err := call[none](ctx, r, "Locate", args{S: []string{courierID}, Fix: f})
	return err
}

// SetAvailability implements api.Dispatcher.
func (r *Remote) SetAvailability(ctx context.Context, courierID string, to courier.State) (courier.State, error) {
	return call[courier.State](ctx, r, "SetAvailability", args{S: []string{courierID}, State: to})
}

// Accept implements api.Dispatcher.
func (r *Remote) Accept(ctx context.Context, courierID, offerID string) ([]dispatch.Order, error) {
	return call[[]dispatch.Order](ctx, r, "Accept", s(courierID, offerID))
}

// Decline implements api.Dispatcher.
func (r *Remote) Decline(ctx context.Context, courierID, offerID string) error {
	_, err := call[none](ctx, r, "Decline", s(courierID, offerID))
	return err
}

// Arrived implements api.Dispatcher.
func (r *Remote) Arrived(ctx context.Context, courierID, orderID string) (dispatch.Order, error) {
	return call[dispatch.Order](ctx, r, "Arrived", s(courierID, orderID))
}

// PickedUp implements api.Dispatcher.
func (r *Remote) PickedUp(ctx context.Context, courierID, orderID string) (dispatch.Order, error) {
	return call[dispatch.Order](ctx, r, "PickedUp", s(courierID, orderID))
}

// Delivered implements api.Dispatcher.
func (r *Remote) Delivered(ctx context.Context, courierID, orderID, code string) (dispatch.Order, error) {
	return call[dispatch.Order](ctx, r, "Delivered", s(courierID, orderID, code))
}

// Track implements api.Dispatcher.
func (r *Remote) Track(ctx context.Context, token string) (dispatch.Tracking, error) {
	return call[dispatch.Tracking](ctx, r, "Track", s(token))
}

// CreateMerchant implements api.Dispatcher.
func (r *Remote) CreateMerchant(ctx context.Context, name, webhookURL string) (dispatch.Merchant, string, error) {
	p, err := call[pair[dispatch.Merchant]](ctx, r, "CreateMerchant", s(name, webhookURL))
	return p.V, p.Secret, err
}

// CreateStation implements api.Dispatcher.
func (r *Remote) CreateStation(ctx context.Context, st dispatch.Station) (dispatch.Station, error) {
	return call[dispatch.Station](ctx, r, "CreateStation", args{Station: st})
}

// Stations implements api.Dispatcher.
func (r *Remote) Stations(ctx context.Context) ([]dispatch.Station, error) {
	return call[[]dispatch.Station](ctx, r, "Stations", args{})
}

// CreateCourier implements api.Dispatcher.
func (r *Remote) CreateCourier(ctx context.Context, c courier.Courier) (courier.Courier, string, error) {
	p, err := call[pair[courier.Courier]](ctx, r, "CreateCourier", args{Courier: c})
	return p.V, p.Secret, err
}

// Couriers implements api.Dispatcher.
func (r *Remote) Couriers(ctx context.Context) ([]courier.Courier, error) {
	return call[[]courier.Courier](ctx, r, "Couriers", args{})
}

// CreateArea implements api.Dispatcher.
func (r *Remote) CreateArea(ctx context.Context, a dispatch.ServiceArea) (dispatch.ServiceArea, error) {
	return call[dispatch.ServiceArea](ctx, r, "CreateArea", args{Area: a})
}

// Areas implements api.Dispatcher.
func (r *Remote) Areas(ctx context.Context) ([]dispatch.ServiceArea, error) {
	return call[[]dispatch.ServiceArea](ctx, r, "Areas", args{})
}

// Snapshot implements api.Dispatcher; without a leader it is the empty view at now.
func (r *Remote) Snapshot() dispatch.Snapshot {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	v, err := call[dispatch.Snapshot](ctx, r, "Snapshot", args{})
	if err != nil {
		return dispatch.Snapshot{At: r.Now()}
	}
	return v
}

// Trace implements api.Dispatcher.
func (r *Remote) Trace(orderID string) (dispatch.Trace, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	return call[dispatch.Trace](ctx, r, "Trace", s(orderID))
}

// Ops implements api.Dispatcher.
func (r *Remote) Ops(ctx context.Context) (dispatch.OpsView, error) {
	return call[dispatch.OpsView](ctx, r, "Ops", args{})
}

// CourierJobs implements api.Dispatcher.
func (r *Remote) CourierJobs(ctx context.Context, courierID string) (dispatch.CourierJobs, error) {
	return call[dispatch.CourierJobs](ctx, r, "CourierJobs", s(courierID))
}

// ScheduleShift implements api.Dispatcher.
func (r *Remote) ScheduleShift(ctx context.Context, courierID string, sh dispatch.Shift) (dispatch.Shift, error) {
	return call[dispatch.Shift](ctx, r, "ScheduleShift", args{S: []string{courierID}, Shift: sh})
}
