package dispatch

import (
	"context"

	"github.com/hummingbird-dispatch/hummingbird/courier"
)

// Store is what the Engine persists. Adapters live under internal/store and all pass the
// conformance suite in internal/store/storetest. Every method returns ErrNotFound for a
// missing record and ErrExists for a duplicate id or secret hash.
type Store interface {
	OrderStore
	DirectoryStore
	PaymentLog
}

// OrderStore keeps orders and their event logs.
type OrderStore interface {
	// CreateOrder saves a new order with its first events atomically.
	CreateOrder(ctx context.Context, o Order, events []Event) error
	// UpdateOrder replaces the order if its stored version is prev and appends events, all
	// or nothing; otherwise ErrConflict. o.Version must be prev+1.
	UpdateOrder(ctx context.Context, o Order, prev int64, events []Event) error
	// Order returns one order.
	Order(ctx context.Context, id string) (Order, error)
	// OrderByTrackToken returns the order behind a tracking token.
	OrderByTrackToken(ctx context.Context, token string) (Order, error)
	// ListOrders returns a merchant's orders with id > after (ascending), at most limit.
	ListOrders(ctx context.Context, merchantID, after string, limit int) ([]Order, error)
	// Events returns an order's events with seq > after, ascending.
	Events(ctx context.Context, orderID string, after int64) ([]Event, error)
	// OpenOrders returns every order not in a terminal state.
	OpenOrders(ctx context.Context) ([]Order, error)
}

// DirectoryStore keeps merchants, stations, couriers and service areas.
type DirectoryStore interface {
	CreateMerchant(ctx context.Context, m Merchant) error
	Merchant(ctx context.Context, id string) (Merchant, error)
	MerchantByKeyHash(ctx context.Context, hash string) (Merchant, error)
	Merchants(ctx context.Context) ([]Merchant, error)
	CreateStation(ctx context.Context, s Station) error
	Stations(ctx context.Context) ([]Station, error)
	CreateCourier(ctx context.Context, c courier.Courier) error
	Courier(ctx context.Context, id string) (courier.Courier, error)
	CourierByTokenHash(ctx context.Context, hash string) (courier.Courier, error)
	Couriers(ctx context.Context) ([]courier.Courier, error)
	CreateArea(ctx context.Context, a ServiceArea) error
	Areas(ctx context.Context) ([]ServiceArea, error)
}

// PaymentLog remembers which payment-provider events were already applied, and applies
// a payment's order write together with its event id so the two can never part.
type PaymentLog interface {
	// PaymentEventSeen reports whether id was already recorded.
	PaymentEventSeen(ctx context.Context, id string) (bool, error)
	// ApplyPayment records the payment-provider event id and, in the same atomic step,
	// writes o (stored version prev, o.Version prev+1) with events exactly like
	// UpdateOrder. With no events only the id is recorded and o is ignored. If the id was
	// recorded before, nothing is written and fresh is false. If the order write fails
	// (ErrConflict on a stale prev, ErrNotFound, ErrFenced, …) nothing is written, the id
	// stays unrecorded and the error is returned. Of concurrent calls with one id at most
	// one is fresh.
	ApplyPayment(ctx context.Context, id string, o Order, prev int64, events []Event) (fresh bool, err error)
}
