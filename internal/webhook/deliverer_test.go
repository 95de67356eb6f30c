package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/signature"
	"github.com/hummingbird-dispatch/hummingbird/internal/webhook"
)

// The merchant's endpoint fails the first three requests with 500 and hangs on the
// fourth past the client timeout; every event still arrives, signed, with the same id on
// every try, each attempt is recorded, the retries wait longer and longer, and a replay
// sends everything again.
func TestDeliverRetriesUntilDelivered(t *testing.T) {
	const timeout = 300 * time.Millisecond
	cfg := webhook.Config{Timeout: timeout, Concurrency: 4, BaseDelay: 10 * time.Second, MaxAttempts: 5}
	f := newFixture(t, cfg, func(n int) answer {
		switch {
		case n <= 3:
			return fail
		case n == 4:
			return hang
		}
		return accept
	})

	// Round 1: all three events fail with 500 and are due again after ½ × 10 s.
	f.step(t, 3)
	first := f.deliveries(t)
	for id, d := range first {
		if d.Status != webhook.Pending || d.Tries != 1 || d.Attempts[0].StatusCode != 500 {
			t.Fatalf("%s after a 500: %+v", id, d)
		}
		if got := d.NextAt.Sub(d.Attempts[0].At); got != 5*time.Second {
			t.Fatalf("%s: first retry after %v, want 5s (full jitter ½ of the 10s base)", id, got)
		}
	}
	f.step(t, 0) // nothing is due before the backoff has passed

	// Round 2: one request hangs past the timeout, two are accepted.
	f.clock.Advance(5 * time.Second)
	f.step(t, 3)
	second := f.deliveries(t)
	var hung webhook.Delivery
	for _, d := range second {
		if d.Status == webhook.Pending {
			hung = d
		}
	}
	if hung.ID == "" {
		t.Fatalf("no delivery left pending after the hang: %+v", second)
	}
	a := hung.Attempts[1]
	if a.StatusCode != 0 || !strings.Contains(a.Error, "timeout") || a.Duration < timeout {
		t.Fatalf("attempt that hung recorded as %+v, want a timeout after at least %v", a, timeout)
	}
	if got := hung.NextAt.Sub(a.At); got != 10*time.Second {
		t.Fatalf("second retry after %v, want 10s: the ceiling doubles", got)
	}

	// Round 3: the last one goes through.
	f.clock.Advance(10 * time.Second)
	f.step(t, 1)
	for id, d := range f.deliveries(t) {
		want := []int{500, 204}
		if id == hung.EventID {
			want = []int{500, 0, 204}
		}
		var got []int
		for _, a := range d.Attempts {
			got = append(got, a.StatusCode)
		}
		if d.Status != webhook.Delivered || !equalInts(got, want) {
			t.Fatalf("%s: status %s, attempt statuses %v, want delivered after %v", id, d.Status, got, want)
		}
	}

	reqs := f.rcv.requests()
	if len(reqs) != 7 {
		t.Fatalf("receiver got %d requests, want 7", len(reqs))
	}
	checkRequests(t, f, reqs)

	// Replay: three new deliveries of the same events, byte for byte the same bodies.
	n, err := f.store.Replay(t.Context(), f.merchant.ID, f.order.ID, f.clock.Now())
	must(t, err)
	if n != 3 {
		t.Fatalf("Replay made %d deliveries, want 3", n)
	}
	f.step(t, 3)
	replayed := f.rcv.requests()[7:]
	checkRequests(t, f, replayed)
	sent := map[string][]byte{}
	for _, r := range reqs {
		sent[r.payload.ID] = r.body
	}
	for _, r := range replayed {
		orig := first[r.payload.ID]
		if r.header.Get(webhook.HeaderDeliveryID) == orig.ID || r.status != 204 || r.header.Get(webhook.HeaderAttempt) != "1" {
			t.Fatalf("replayed request %v: want a new delivery id, first attempt, accepted", r.header)
		}
		if !bytes.Equal(r.body, sent[r.payload.ID]) {
			t.Fatalf("replayed body %s differs from the original %s", r.body, sent[r.payload.ID])
		}
	}
}

// checkRequests verifies what the receiver got: signatures, headers, one body per
// event id whatever the retry, and every event accepted at least once.
func checkRequests(t *testing.T, f *fixture, reqs []request) {
	t.Helper()
	verify := signature.Verifier{Secrets: [][]byte{[]byte(f.merchant.WebhookSecret)}}
	wrong := signature.Verifier{Secrets: [][]byte{[]byte("whsec_someone_else")}}
	bodies := map[string][]byte{}
	accepted := map[string]bool{}
	tries := map[string]int{}
	for i, r := range reqs {
		h := r.header
		if err := verify.Verify(h.Get(webhook.HeaderSignature), r.body, f.clock.Now()); err != nil {
			t.Fatalf("request %d: signature %q does not verify: %v", i, h.Get(webhook.HeaderSignature), err)
		}
		if err := wrong.Verify(h.Get(webhook.HeaderSignature), r.body, f.clock.Now()); !errors.Is(err, signature.ErrMismatch) {
			t.Fatalf("request %d verifies under another secret: %v", i, err)
		}
		id := h.Get(webhook.HeaderEventID)
		p := r.payload
		if id != p.ID || h.Get(webhook.HeaderOrderSeq) != strconv.FormatInt(p.Data.Seq, 10) ||
			h.Get("Content-Type") != "application/json" || h.Get("User-Agent") != webhook.DefaultUserAgent {
			t.Fatalf("request %d: headers %v do not match body %s", i, h, r.body)
		}
		if b, ok := bodies[id]; ok && !bytes.Equal(b, r.body) {
			t.Fatalf("event %s sent with two bodies:\n%s\n%s", id, b, r.body)
		}
		bodies[id] = r.body
		d := h.Get(webhook.HeaderDeliveryID)
		tries[d]++
		if got := h.Get(webhook.HeaderAttempt); got != strconv.Itoa(tries[d]) {
			t.Fatalf("request %d: attempt header %s, want %d", i, got, tries[d])
		}
		if r.status == 204 {
			accepted[id] = true
		}
	}
	for _, e := range f.events {
		id := webhook.EventID(f.order.ID, e.Seq)
		if !accepted[id] {
			t.Fatalf("event %s never accepted", id)
		}
		p := payloadOf(t, bodies[id])
		want := webhook.Payload{ID: id, Type: webhook.EventType(e.Type), Created: e.At.Unix(), Data: webhook.PayloadData{
			OrderID: f.order.ID, MerchantOrderRef: "ref-42", Seq: e.Seq, State: e.State, Event: e}}
		p.Data.Event.At = p.Data.Event.At.UTC()
		if p != want {
			t.Fatalf("payload of %s:\n got  %+v\n want %+v", id, p, want)
		}
	}
}

func payloadOf(t *testing.T, body []byte) webhook.Payload {
	t.Helper()
	var p webhook.Payload
	must(t, json.Unmarshal(body, &p))
	return p
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// After MaxAttempts failures a delivery is dead: kept, visible, never sent again.
func TestDeliverDeadAfterMaxAttempts(t *testing.T) {
	f := newFixture(t, webhook.Config{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: time.Minute},
		func(int) answer { return fail })
	var delays []time.Duration
	for range 3 {
		f.step(t, 3)
		for _, d := range f.deliveries(t) {
			if d.Status == webhook.Pending {
				delays = append(delays, d.NextAt.Sub(d.Attempts[len(d.Attempts)-1].At))
			}
		}
		f.clock.Advance(time.Hour)
	}
	f.step(t, 0)
	want := []time.Duration{500 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond,
		time.Second, time.Second, time.Second}
	if len(delays) != len(want) || delays[0] != want[0] || delays[3] != want[3] {
		t.Fatalf("scheduled delays %v, want %v", delays, want)
	}
	for id, d := range f.deliveries(t) {
		if d.Status != webhook.Dead || len(d.Attempts) != 3 {
			t.Fatalf("%s after 3 failures: %s with %d attempts, want dead with 3", id, d.Status, len(d.Attempts))
		}
	}
	if n := len(f.rcv.requests()); n != 9 {
		t.Fatalf("receiver got %d requests, want 9", n)
	}
}

func TestBackoffFullJitter(t *testing.T) {
	cfg := webhook.Config{BaseDelay: 10 * time.Second, MaxDelay: time.Minute}
	for _, c := range []struct {
		n    int
		u    float64
		want time.Duration
	}{
		{1, 0, 0},
		{1, 0.5, 5 * time.Second},
		{2, 0.5, 10 * time.Second},
		{3, 0.5, 20 * time.Second},
		{3, 0.25, 10 * time.Second},
		{4, 0.5, 30 * time.Second}, // 80 s capped at 60 s
		{60, 0.5, 30 * time.Second},
		{1000, 0.5, 30 * time.Second},
	} {
		if got := webhook.Backoff(cfg, c.n, c.u); got != c.want {
			t.Errorf("Backoff(n=%d, u=%v) = %v, want %v", c.n, c.u, got, c.want)
		}
	}
	if got := webhook.Backoff(webhook.Config{}, 25, 0.999); got >= time.Hour || got < 59*time.Minute {
		t.Errorf("default ceiling: Backoff(25, 0.999) = %v, want just under 1h", got)
	}
}

// Run delivers on its own schedule and stops, with every goroutine, when ctx ends.
func TestRunDeliversAndStops(t *testing.T) {
	f := newFixture(t, webhook.Config{Poll: 5 * time.Millisecond, Concurrency: 1}, func(int) answer { return accept })
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.d.Run(ctx) }()
	delivered := func() int {
		n := 0
		for _, d := range f.deliveries(t) {
			if d.Status == webhook.Delivered {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(5 * time.Second)
	for delivered() < 3 {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("Run delivered %d of 3 events in 5s", delivered())
		}
		time.Sleep(time.Millisecond) // polling a condition with a deadline
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	if n := len(f.rcv.requests()); n != 3 {
		t.Fatalf("receiver got %d requests, want 3", n)
	}
}

// Without AllowPrivateNetworks a URL on loopback is refused at dial time: no request
// leaves, and the attempt says why.
func TestPrivateAddressRefused(t *testing.T) {
	f := newFixture(t, webhook.Config{}, func(int) answer { return accept })
	d, err := webhook.New(webhook.Config{Clock: f.clock, Rand: half}, f.store, nil)
	must(t, err)
	t.Cleanup(d.CloseIdleConnections)
	if n, err := d.Step(t.Context()); err != nil || n != 3 {
		t.Fatalf("Step: %d, %v", n, err)
	}
	if n := len(f.rcv.requests()); n != 0 {
		t.Fatalf("%d requests reached a loopback receiver", n)
	}
	for id, dl := range f.deliveries(t) {
		if dl.Status != webhook.Pending || dl.Attempts[0].Error != webhook.ErrPrivateAddress.Error() {
			t.Fatalf("%s: %+v, want a refused attempt and a retry", id, dl)
		}
	}
}

// A merchant that cleared its URL gets nothing; its pending deliveries end dead.
func TestClearedURLEndsDeliveries(t *testing.T) {
	f := newFixture(t, webhook.Config{}, func(int) answer { return accept })
	if _, err := f.store.Enqueue(t.Context(), f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	must(t, f.store.UpdateMerchantWebhook(t.Context(), f.merchant.ID, ""))
	f.step(t, 3)
	for id, d := range f.deliveries(t) {
		if d.Status != webhook.Dead || len(d.Attempts) != 1 || d.Attempts[0].Error == "" {
			t.Fatalf("%s to a cleared URL: %+v, want dead with a reason", id, d)
		}
	}
	if n := len(f.rcv.requests()); n != 0 {
		t.Fatalf("%d requests sent without a URL", n)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]webhook.Config{
		"lease not above timeout": {Timeout: time.Minute, Lease: time.Minute},
		"negative poll":           {Poll: -time.Second},
		"cap below base":          {BaseDelay: time.Minute, MaxDelay: time.Second},
		"negative attempts":       {MaxAttempts: -1},
	} {
		if _, err := webhook.New(cfg, nil, nil); !errors.Is(err, webhook.ErrConfig) {
			t.Errorf("%s: New returned %v, want ErrConfig", name, err)
		}
	}
}

var _ dispatch.Clock = (*fakeClock)(nil)
