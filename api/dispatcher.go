package api

import (
	"context"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// Dispatcher is what the server asks of dispatch: every call a handler makes. In one
// process it is the *dispatch.Engine itself; in a cluster it is a switch that calls the
// local engine while this instance holds the dispatch lease and forwards the call to
// the leader otherwise (see internal/cluster).
type Dispatcher interface {
	Now() time.Time

	Quote(ctx context.Context, merchantID string, r dispatch.OrderRequest) (dispatch.Quote, error)
	CreateOrder(ctx context.Context, merchantID string, r dispatch.OrderRequest) (dispatch.Order, error)
	Order(ctx context.Context, merchantID, id string) (dispatch.Order, error)
	Orders(ctx context.Context, merchantID, after string, limit int) ([]dispatch.Order, error)
	Events(ctx context.Context, merchantID, id string, after int64) ([]dispatch.Event, error)
	Cancel(ctx context.Context, merchantID, id, reason string) (dispatch.Order, error)
	ApplyPayment(ctx context.Context, pe dispatch.PaymentEvent) (dispatch.PaymentResult, error)

	Connect(ctx context.Context, courierID string) (dispatch.CourierView, error)
	Disconnect(courierID string)
	Locate(ctx context.Context, courierID string, f courier.Fix) error
	SetAvailability(ctx context.Context, courierID string, to courier.State) (courier.State, error)
	Accept(ctx context.Context, courierID, offerID string) ([]dispatch.Order, error)
	Decline(ctx context.Context, courierID, offerID string) error
	Arrived(ctx context.Context, courierID, orderID string) (dispatch.Order, error)
	PickedUp(ctx context.Context, courierID, orderID string) (dispatch.Order, error)
	Delivered(ctx context.Context, courierID, orderID, code string) (dispatch.Order, error)

	Track(ctx context.Context, token string) (dispatch.Tracking, error)

	CreateMerchant(ctx context.Context, name, webhookURL string) (dispatch.Merchant, string, error)
	CreateStation(ctx context.Context, s dispatch.Station) (dispatch.Station, error)
	Stations(ctx context.Context) ([]dispatch.Station, error)
	CreateCourier(ctx context.Context, c courier.Courier) (courier.Courier, string, error)
	Couriers(ctx context.Context) ([]courier.Courier, error)
	ScheduleShift(ctx context.Context, courierID string, sh dispatch.Shift) (dispatch.Shift, error)
	CreateArea(ctx context.Context, a dispatch.ServiceArea) (dispatch.ServiceArea, error)
	Areas(ctx context.Context) ([]dispatch.ServiceArea, error)
	Snapshot() dispatch.Snapshot
	Trace(orderID string) (dispatch.Trace, error)
	Ops(ctx context.Context) (dispatch.OpsView, error)
	CourierJobs(ctx context.Context, courierID string) (dispatch.CourierJobs, error)
}

var _ Dispatcher = (*dispatch.Engine)(nil)
