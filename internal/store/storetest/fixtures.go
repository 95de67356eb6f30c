package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// baseTime returns the current time in UTC at microsecond precision, which every backend
// (Postgres keeps µs) stores exactly.
func baseTime() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// newOrder returns an order of the merchant in state Paid with every field set, so a
// backend that drops a column fails the round trip, plus its two creation events.
func newOrder(merchantID string, at time.Time) (dispatch.Order, []dispatch.Event) {
	id := dispatch.NewID("ord", at)
	o := dispatch.Order{
		ID:          id,
		MerchantID:  merchantID,
		ShopID:      "shop-" + merchantID,
		ExternalRef: "ext-" + id,
		State:       dispatch.Paid,
		Version:     1,
		Seq:         2,
		Pickup: dispatch.Stop{
			Pos: geo.LatLng{Lat: 52.520008, Lng: 13.404954}, Name: "Kiosk", Address: "Alexanderplatz 1",
			Phone: "+49301234567", Notes: "back door",
		},
		Dropoff: dispatch.Stop{
			Pos: geo.LatLng{Lat: 52.5125, Lng: 13.3903}, Name: "Ada", Address: "Gendarmenmarkt 2",
			Phone: "+49307654321", Notes: "3rd floor",
		},
		Units:      2,
		ValueCents: 2599,
		FeeCents:   450,
		Currency:   "EUR",
		StationID:  "sta_1",
		CourierID:  "cou_1",
		Escalation: dispatch.Escalation{
			Phase: dispatch.PhaseCrowd, Ring: 2, BonusCents: 150,
			NextStepAt: at.Add(90 * time.Second), Alerted: true,
		},
		CreatedAt:       at,
		ExpiresAt:       at.Add(15 * time.Minute),
		ReadyAt:         at.Add(10 * time.Minute),
		PromisedAt:      at.Add(45 * time.Minute),
		PaidAt:          at.Add(time.Minute),
		AssignedAt:      at.Add(2 * time.Minute),
		PickedUpAt:      at.Add(3 * time.Minute),
		DeliveredAt:     at.Add(4 * time.Minute),
		ClosedAt:        at.Add(5 * time.Minute),
		PaymentIntent:   "pi_" + id,
		RefundRequested: true,
		HandoffCode:     "0427",
		TrackToken:      dispatch.NewTrackToken(),
	}
	events := []dispatch.Event{
		{OrderID: id, Seq: 1, Type: dispatch.StateEvent(dispatch.PendingPayment), State: dispatch.PendingPayment, At: at, Cause: "created"},
		{OrderID: id, Seq: 2, Type: dispatch.StateEvent(dispatch.Paid), State: dispatch.Paid, At: at.Add(time.Minute), Cause: "payment", CourierID: "cou_1"},
	}
	return o, events
}

// advance returns o one version later with n more events, each tagged with cause.
func advance(o dispatch.Order, n int, cause string) (dispatch.Order, []dispatch.Event) {
	o.Version++
	o.Escalation.Ring++
	events := make([]dispatch.Event, n)
	for i := range events {
		o.Seq++
		events[i] = dispatch.Event{
			OrderID: o.ID, Seq: o.Seq, Type: dispatch.EventEscalated, State: o.State,
			At: o.CreatedAt.Add(time.Duration(o.Seq) * time.Second), Cause: cause,
		}
	}
	return o, events
}

func newMerchant(at time.Time) dispatch.Merchant {
	return dispatch.Merchant{
		ID:            dispatch.NewID("mer", at),
		Name:          "Bäckerei Zimt",
		APIKeyHash:    dispatch.HashSecret(dispatch.NewSecret("sk")),
		WebhookURL:    "https://example.com/hook",
		WebhookSecret: dispatch.NewSecret("whsec"),
		CreatedAt:     at,
	}
}

func newCourier(at time.Time) courier.Courier {
	return courier.Courier{
		ID:        dispatch.NewID("cou", at),
		Name:      "Kim",
		Kind:      courier.Franchise,
		StationID: "sta_1",
		Vehicle:   courier.Scooter,
		Capacity:  4,
		CreatedAt: at,
		TokenHash: dispatch.HashSecret(dispatch.NewSecret("ct")),
	}
}

func square(lat, lng float64) geo.Polygon {
	return geo.Polygon{{Lat: lat, Lng: lng}, {Lat: lat, Lng: lng + 0.01}, {Lat: lat + 0.01, Lng: lng + 0.01}, {Lat: lat + 0.01, Lng: lng}}
}

func newStation(at time.Time) dispatch.Station {
	return dispatch.Station{
		ID: dispatch.NewID("sta", at), Name: "Mitte", Zone: square(52.5, 13.4),
		Window: 90 * time.Second, CreatedAt: at,
	}
}

func newArea(at time.Time) dispatch.ServiceArea {
	return dispatch.ServiceArea{ID: dispatch.NewID("area", at), Name: "Berlin", Polygon: square(52.4, 13.3), CreatedAt: at}
}

// utc strips location and monotonic reading so that reflect.DeepEqual compares instants.
func utc(t time.Time) time.Time { return t.UTC() }

func normOrder(o dispatch.Order) dispatch.Order {
	o.Escalation.NextStepAt = utc(o.Escalation.NextStepAt)
	for _, p := range []*time.Time{&o.CreatedAt, &o.ExpiresAt, &o.ReadyAt, &o.PromisedAt, &o.PaidAt,
		&o.AssignedAt, &o.PickedUpAt, &o.DeliveredAt, &o.ClosedAt} {
		*p = utc(*p)
	}
	return o
}

func normEvent(e dispatch.Event) dispatch.Event          { e.At = utc(e.At); return e }
func normMerchant(m dispatch.Merchant) dispatch.Merchant { m.CreatedAt = utc(m.CreatedAt); return m }
func normCourier(c courier.Courier) courier.Courier      { c.CreatedAt = utc(c.CreatedAt); return c }
func normStation(s dispatch.Station) dispatch.Station    { s.CreatedAt = utc(s.CreatedAt); return s }
func normArea(a dispatch.ServiceArea) dispatch.ServiceArea {
	a.CreatedAt = utc(a.CreatedAt)
	return a
}

// same fails the test unless got and want are deeply equal after norm.
func same[T any](t *testing.T, what string, got, want T, norm func(T) T) {
	t.Helper()
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, g, w)
	}
}

// sameAll is same for slices, element by element in order.
func sameAll[T any](t *testing.T, what string, got, want []T, norm func(T) T) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d items, want %d:\n got  %+v\n want %+v", what, len(got), len(want), got, want)
	}
	for i := range got {
		same(t, fmt.Sprintf("%s[%d]", what, i), got[i], want[i], norm)
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// Concurrency cases race this many callers, for this many rounds: each round widens
// the window in which a check-then-write store would let two callers through.
const (
	racers = 20
	rounds = 25
)

// race runs f(0) … f(racers-1) in their own goroutines, released together, and waits
// for all of them.
func race(f func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			f(i)
		})
	}
	close(start)
	wg.Wait()
}

// ids returns the orders' ids in their order.
func ids(os []dispatch.Order) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.ID
	}
	return out
}

// sortedIDs returns the orders' ids ascending.
func sortedIDs(os []dispatch.Order) []string {
	out := ids(os)
	slices.Sort(out)
	return out
}
