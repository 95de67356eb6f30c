package api

import (
	"encoding/json"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// WebSocket message types (the envelope's "type"); docs/protocol.md describes each.
const (
	// Server → client, courier socket.
	MsgHello          = "hello"
	MsgOffer          = "offer"
	MsgOfferWithdrawn = "offer_withdrawn"
	MsgOrder          = "order"
	MsgSnapshot       = "snapshot"
	MsgOK             = "ok"
	MsgError          = "error"
	// Server → client, tracking socket (besides snapshot, ok and error).
	MsgStatus   = "status"
	MsgPosition = "position"
	MsgETA      = "eta"
	// Server → client, operators' socket (besides ok and error).
	MsgOps = "ops"
	// Client → server.
	MsgLocation     = "location"
	MsgAvailability = "availability"
	MsgAccept       = "accept"
	MsgDecline      = "decline"
	MsgArrived      = "arrived"
	MsgPickedUp     = "picked_up"
	MsgDelivered    = "delivered"
	MsgPing         = "ping"
)

// Envelope is one JSON text frame in either direction. Clients send type, id (echoed
// back as ack), optionally ts, and data; the server sends type, seq (stream frames of
// the courier socket only), ack (replies only), ts and data.
type Envelope struct {
	Type string          `json:"type"`
	ID   string          `json:"id,omitempty"`
	Seq  int64           `json:"seq,omitempty"`
	Ack  string          `json:"ack,omitempty"`
	TS   time.Time       `json:"ts"`
	Data json.RawMessage `json:"data,omitempty"`
}

// frame is an outgoing Envelope before its data is encoded.
type frame struct {
	Type string    `json:"type"`
	Seq  int64     `json:"seq,omitempty"`
	Ack  string    `json:"ack,omitempty"`
	TS   time.Time `json:"ts"`
	Data any       `json:"data,omitempty"`
}

// encodeFrame renders one outgoing frame. Every data type here marshals without error,
// so a failure is a programming error; it yields an internal error frame instead.
func encodeFrame(typ string, seq int64, ack string, ts time.Time, data any) []byte {
	b, err := json.Marshal(frame{Type: typ, Seq: seq, Ack: ack, TS: ts.UTC(), Data: data})
	if err != nil {
		b, _ = json.Marshal(frame{Type: MsgError, Ack: ack, TS: ts.UTC(), Data: ErrorData{Code: internalError.code, Message: internalError.title}})
	}
	return b
}

// ErrorData is the data of an "error" frame: the code of the error table (the same as
// the HTTP problem code), a human-readable message and, for invalid_field, the field.
type ErrorData struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// errorData renders err like problemFor does: internal errors hide their detail.
func errorData(err error) ErrorData {
	p := problemFor(err)
	d := ErrorData{Code: p.Code, Message: p.Detail, Field: p.Field}
	if d.Message == "" {
		d.Message = p.Title
	}
	return d
}

// OrderView is an order as its courier sees it: everything needed to do the job and
// nothing else. The handoff code (the customer's proof of delivery), the tracking token,
// payment and merchant billing fields are never sent to a courier.
type OrderView struct {
	ID          string         `json:"id"`
	State       dispatch.State `json:"state"`
	Version     int64          `json:"version"`
	ShopID      string         `json:"shop_id"`
	Pickup      dispatch.Stop  `json:"pickup"`
	Dropoff     dispatch.Stop  `json:"dropoff"`
	Units       int            `json:"units"`
	ReadyAt     time.Time      `json:"ready_at"`
	PromisedAt  time.Time      `json:"promised_at"`
	AssignedAt  time.Time      `json:"assigned_at,omitzero"`
	PickedUpAt  time.Time      `json:"picked_up_at,omitzero"`
	DeliveredAt time.Time      `json:"delivered_at,omitzero"`
	ClosedAt    time.Time      `json:"closed_at,omitzero"`
}

func orderView(o dispatch.Order) OrderView {
	return OrderView{
		ID: o.ID, State: o.State, Version: o.Version, ShopID: o.ShopID, Pickup: o.Pickup,
		Dropoff: o.Dropoff, Units: o.Units, ReadyAt: o.ReadyAt, PromisedAt: o.PromisedAt,
		AssignedAt: o.AssignedAt, PickedUpAt: o.PickedUpAt, DeliveredAt: o.DeliveredAt,
		ClosedAt: o.ClosedAt,
	}
}

func orderViews(os []dispatch.Order) []OrderView {
	out := make([]OrderView, 0, len(os))
	for _, o := range os {
		out = append(out, orderView(o))
	}
	return out
}

// OfferView is an offer as its courier sees it. Drop-offs show position and address
// only: a courier who has not accepted gets no customer name, phone or notes.
type OfferView struct {
	ID        string             `json:"id"`
	Kind      dispatch.OfferKind `json:"kind"`
	OrderIDs  []string           `json:"order_ids"`
	Pickup    dispatch.Stop      `json:"pickup"`
	Dropoffs  []dispatch.Stop    `json:"dropoffs"`
	ReadyAt   time.Time          `json:"ready_at"`
	PayCents  int64              `json:"pay_cents"`
	DistanceM float64            `json:"distance_m"`
	CreatedAt time.Time          `json:"created_at"`
	ExpiresAt time.Time          `json:"expires_at"`
}

func offerView(of dispatch.Offer) OfferView {
	drops := make([]dispatch.Stop, 0, len(of.Dropoffs))
	for _, d := range of.Dropoffs {
		drops = append(drops, dispatch.Stop{Pos: d.Pos, Address: d.Address})
	}
	return OfferView{
		ID: of.ID, Kind: of.Kind, OrderIDs: of.OrderIDs, Pickup: of.Pickup, Dropoffs: drops,
		ReadyAt: of.ReadyAt, PayCents: of.PayCents, DistanceM: of.DistanceM,
		CreatedAt: of.CreatedAt, ExpiresAt: of.ExpiresAt,
	}
}

// CourierSnapshot is a courier's complete current state: the data of a "snapshot" frame
// and the core of "hello".
type CourierSnapshot struct {
	State  courier.State `json:"state"`
	Orders []OrderView   `json:"orders"`
	Offers []OfferView   `json:"offers"`
}

func courierSnapshot(v dispatch.CourierView) CourierSnapshot {
	offers := make([]OfferView, 0, len(v.Offers))
	for _, of := range v.Offers {
		offers = append(offers, offerView(of))
	}
	return CourierSnapshot{State: v.State, Orders: orderViews(v.Orders), Offers: offers}
}

// HelloData is the data of the "hello" frame, the first frame of every courier socket.
type HelloData struct {
	Courier courier.Courier `json:"courier"`
	CourierSnapshot
	ServerTime time.Time `json:"server_time"`
	// ResumeFrom is the seq after which the stream continues on this connection: the
	// requested resume point when it could be honoured, else the current position.
	ResumeFrom int64 `json:"resume_from"`
}

// OrderUpdate is the data of an "order" frame: one of the courier's orders changed state.
type OrderUpdate struct {
	Order OrderView          `json:"order"`
	Event dispatch.EventType `json:"event"`
	At    time.Time          `json:"at"`
}

// WithdrawnData is the data of an "offer_withdrawn" frame.
type WithdrawnData struct {
	OfferID string `json:"offer_id"`
	Reason  string `json:"reason"`
}

// AcceptResult is the data of the "ok" reply to accept.
type AcceptResult struct {
	Orders []OrderView `json:"orders"`
}

// OrderResult is the data of the "ok" reply to arrived, picked_up and delivered.
type OrderResult struct {
	Order OrderView `json:"order"`
}

// AvailabilityResult is the data of the "ok" reply to availability.
type AvailabilityResult struct {
	State courier.State `json:"state"`
}

// StatusData is the data of a tracking "status" frame: the order entered State.
type StatusData struct {
	OrderID string         `json:"order_id"`
	Seq     int64          `json:"seq"`
	State   dispatch.State `json:"state"`
	At      time.Time      `json:"at"`
}

// PositionData is the data of a tracking "position" frame.
type PositionData struct {
	Lat float64   `json:"lat"`
	Lng float64   `json:"lng"`
	At  time.Time `json:"at"`
}

// ETAData is the data of a tracking "eta" frame: the estimated drop-off time and the
// window the customer sees around it.
type ETAData struct {
	ETA    time.Time `json:"eta"`
	Window etaWindow `json:"eta_window"`
}

// Ops frames ("ops" topic): compact, for the live operations page.
type (
	opsOffer struct {
		ID        string             `json:"id"`
		Kind      dispatch.OfferKind `json:"kind"`
		CourierID string             `json:"courier_id"`
		OrderIDs  []string           `json:"order_ids"`
		ExpiresAt time.Time          `json:"expires_at"`
	}
	opsWithdrawn struct {
		CourierID string `json:"courier_id"`
		OfferID   string `json:"offer_id"`
		Reason    string `json:"reason"`
	}
	opsMoved struct {
		CourierID string     `json:"courier_id"`
		Pos       geo.LatLng `json:"pos"`
		OrderIDs  []string   `json:"order_ids"`
	}
)

// Ops frame types.
const (
	opsOrderEvent = "order_event"
	opsCourierPos = "courier_position"
)
