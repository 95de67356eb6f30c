package cluster

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/geo"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/memory"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testToken = "cluster-secret"

var center = geo.LatLng{Lat: 41.88, Lng: -87.63}

func square(c geo.LatLng, half float64) geo.Polygon {
	return geo.Polygon{{Lat: c.Lat - half, Lng: c.Lng - half}, {Lat: c.Lat - half, Lng: c.Lng + half},
		{Lat: c.Lat + half, Lng: c.Lng + half}, {Lat: c.Lat + half, Lng: c.Lng - half}}
}

// leaderServer serves e's calls the way a leading instance does.
func leaderServer(t testing.TB, e *dispatch.Engine) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(Handler(func() apiDispatcher { return e }, testToken, nil))
	t.Cleanup(srv.Close)
	return srv
}

func remoteTo(srv *httptest.Server, token string) *Remote {
	return NewRemote(srv.Client(), token, func(context.Context) (string, error) { return srv.URL, nil }, nil)
}

func newEngine(t testing.TB) *dispatch.Engine {
	t.Helper()
	e := dispatch.New(dispatch.Config{}, memory.New(), nil, nil, nil)
	if err := e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRemoteCarriesResultsAndErrors(t *testing.T) {
	e := newEngine(t)
	r := remoteTo(leaderServer(t, e), testToken)
	ctx := t.Context()

	m, key, err := r.CreateMerchant(ctx, "Deli", "")
	if err != nil || m.ID == "" || key == "" {
		t.Fatalf("CreateMerchant through the remote: %+v %q %v", m, key, err)
	}
	if _, err := r.CreateArea(ctx, dispatch.ServiceArea{Name: "Loop", Polygon: square(center, 0.05)}); err != nil {
		t.Fatal(err)
	}
	st, err := r.CreateStation(ctx, dispatch.Station{Name: "North", Zone: square(center, 0.04)})
	if err != nil {
		t.Fatal(err)
	}
	c, token, err := r.CreateCourier(ctx, courier.Courier{Name: "Ada", Kind: courier.Franchise, StationID: st.ID, Vehicle: courier.Bicycle})
	if err != nil || token == "" || c.Capacity == 0 {
		t.Fatalf("CreateCourier: %+v %q %v", c, token, err)
	}
	o, err := r.CreateOrder(ctx, m.ID, dispatch.OrderRequest{
		Pickup: dispatch.Stop{Pos: center}, Dropoff: dispatch.Stop{Pos: geo.LatLng{Lat: center.Lat + 0.01, Lng: center.Lng}}, ValueCents: 1500,
	})
	if err != nil {
		t.Fatal(err)
	}
	// The order read through the engine directly equals the one the remote returned,
	// secrets included: gob carries fields JSON hides.
	direct, err := e.Order(ctx, m.ID, o.ID)
	if err != nil || direct.HandoffCode == "" || direct.HandoffCode != o.HandoffCode || direct.TrackToken != o.TrackToken {
		t.Fatalf("remote order %+v differs from the engine's %+v (err %v)", o, direct, err)
	}

	// Errors keep their identity across the wire.
	if _, err := r.Order(ctx, m.ID, "ord_missing"); !errors.Is(err, dispatch.ErrNotFound) {
		t.Fatalf("missing order: %v, want ErrNotFound", err)
	}
	_, err = r.CreateOrder(ctx, m.ID, dispatch.OrderRequest{Pickup: dispatch.Stop{Pos: center}, Dropoff: dispatch.Stop{Pos: center}, ValueCents: -1})
	var fe *dispatch.FieldError
	if !errors.As(err, &fe) || fe.Field == "" || !errors.Is(err, dispatch.ErrInvalid) {
		t.Fatalf("invalid order: %v, want a FieldError", err)
	}
	if _, err := r.SetAvailability(ctx, c.ID, courier.Available); !errors.Is(err, dispatch.ErrNotOnline) {
		t.Fatalf("availability before connect: %v, want ErrNotOnline", err)
	}
	far := geo.LatLng{Lat: 10, Lng: 10}
	_, err = r.CreateOrder(ctx, m.ID, dispatch.OrderRequest{Pickup: dispatch.Stop{Pos: far}, Dropoff: dispatch.Stop{Pos: far}, ValueCents: 100})
	if !errors.Is(err, dispatch.ErrOutsideArea) {
		t.Fatalf("order outside the area: %v, want ErrOutsideArea", err)
	}
}

func TestRemoteRefusesWithoutToken(t *testing.T) {
	r := remoteTo(leaderServer(t, newEngine(t)), "wrong")
	_, err := r.Stations(t.Context())
	if err == nil || errors.Is(err, ErrNoLeader) {
		t.Fatalf("call with a wrong token: %v, want a refusal that is not a missing leader", err)
	}
}

func TestRemoteWithoutLeader(t *testing.T) {
	srv := httptest.NewServer(Handler(func() apiDispatcher { return nil }, testToken, nil))
	defer srv.Close()
	if _, err := remoteTo(srv, testToken).Stations(t.Context()); !errors.Is(err, ErrNoLeader) {
		t.Fatalf("an instance that does not lead: %v, want ErrNoLeader", err)
	}
	down := NewRemote(http.DefaultClient, testToken, func(context.Context) (string, error) { return "http://127.0.0.1:1", nil }, nil)
	if _, err := down.Stations(t.Context()); !errors.Is(err, ErrNoLeader) {
		t.Fatalf("unreachable leader: %v, want ErrNoLeader", err)
	}
}

// fakeLeases is an in-process lease record whose holder a test can expire.
type fakeLeases struct {
	mu    sync.Mutex
	l     Lease
	until time.Time
	down  bool // the database is unreachable
}

func (f *fakeLeases) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func (f *fakeLeases) Acquire(_ context.Context, holder, addr string, ttl time.Duration) (Lease, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return Lease{}, false, errors.New("database unreachable")
	}
	now := time.Now()
	switch {
	case f.l.Holder == holder:
	case f.l.Holder == "" || now.After(f.until):
		f.l = Lease{Holder: holder, Addr: addr, Epoch: f.l.Epoch + 1}
	default:
		return f.l, false, nil
	}
	f.until = now.Add(ttl)
	return f.l, true, nil
}

func (f *fakeLeases) Release(_ context.Context, holder string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.l.Holder == holder {
		f.l.Holder, f.until = "", time.Time{}
	}
	return nil
}

func (f *fakeLeases) Current(context.Context) (Lease, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.l.Holder == "" || time.Now().After(f.until) {
		return Lease{}, errors.New("no lease")
	}
	return f.l, nil
}

func (f *fakeLeases) current() Lease {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.l
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, not standing in for one
	}
}
