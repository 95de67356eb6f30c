package api

import (
	"net/http"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/internal/store/memory"
	"github.com/hummingbird-dispatch/hummingbird/internal/webhook"
)

// webhookStoreOf lets a test hand the env's own memory store to Config.Webhooks, which
// is filled in before the server is built and the store after.
type webhookStoreOf struct{ *memory.Store }

// newWebhookEnv is newTestEnv with Config.Webhooks backed by the env's store.
func newWebhookEnv(t *testing.T) *testEnv {
	t.Helper()
	hooks := &webhookStoreOf{}
	env := newTestEnv(t, func(c *Config) { c.Webhooks = hooks })
	hooks.Store = env.Store // before the first request
	return env
}

type testDeliveries struct {
	Deliveries []struct {
		ID            string     `json:"id"`
		EventID       string     `json:"event_id"`
		Type          string     `json:"type"`
		Seq           int64      `json:"seq"`
		Replay        bool       `json:"replay"`
		Status        string     `json:"status"`
		NextAttemptAt *time.Time `json:"next_attempt_at"`
		Attempts      []struct {
			StatusCode int     `json:"status_code"`
			Error      string  `json:"error"`
			DurationMS float64 `json:"duration_ms"`
		} `json:"attempts"`
	} `json:"deliveries"`
}

func TestHTTPPutWebhook(t *testing.T) {
	env := newWebhookEnv(t)
	key, id := env.newMerchant(t, "Zimt")

	r := env.do(t, "PUT", "/v1/webhook", key, map[string]string{"url": "https://zimt.example/hooks"})
	if r.Status != http.StatusOK {
		t.Fatalf("put: %d %s", r.Status, r.Body)
	}
	var got webhookSettings
	r.decode(t, &got)
	m, err := env.Store.Merchant(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got.URL != "https://zimt.example/hooks" || m.WebhookURL != got.URL || got.Secret == "" || got.Secret != m.WebhookSecret {
		t.Fatalf("answer %+v, stored URL %q: want the new URL and the merchant's secret", got, m.WebhookURL)
	}

	for _, c := range []struct {
		body        any
		status      int
		code, field string
	}{
		{map[string]string{"url": "http://zimt.example/hooks"}, 422, "invalid_field", "url"},
		{map[string]string{"url": "https://user:pw@zimt.example/"}, 422, "invalid_field", "url"},
		{map[string]string{"url": "zimt.example"}, 422, "invalid_field", "url"},
		{map[string]string{"webhook_url": "https://zimt.example/"}, 400, "malformed_request", ""},
		{`{"url":`, 400, "malformed_request", ""},
	} {
		p := env.do(t, "PUT", "/v1/webhook", key, c.body).problem(t, c.status, c.code)
		if p.Field != c.field {
			t.Errorf("body %v: field %q, want %q", c.body, p.Field, c.field)
		}
	}
	env.do(t, "PUT", "/v1/webhook", "", map[string]string{"url": ""}).problem(t, 401, "unauthorized")

	// Local http for development, then off.
	for _, u := range []string{"http://127.0.0.1:9000/h", ""} {
		if r := env.do(t, "PUT", "/v1/webhook", key, map[string]string{"url": u}); r.Status != http.StatusOK {
			t.Fatalf("put %q: %d %s", u, r.Status, r.Body)
		}
		if m, _ := env.Store.Merchant(t.Context(), id); m.WebhookURL != u {
			t.Fatalf("stored URL %q, want %q", m.WebhookURL, u)
		}
	}
}

func TestHTTPOrderWebhooksAndReplay(t *testing.T) {
	env := newWebhookEnv(t)
	key := env.adminSetup(t)
	otherKey, _ := env.newMerchant(t, "Other")
	o := env.createOrder(t, key, "ref-7")
	path := "/v1/orders/" + o.ID + "/webhooks"

	// No URL yet: nothing is enqueued and a replay is refused.
	if _, err := env.Store.Enqueue(t.Context(), env.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	env.do(t, "POST", path+"/replay", key, nil).problem(t, 422, "invalid_field")
	var list testDeliveries
	env.do(t, "GET", path, key, nil).decode(t, &list)
	if list.Deliveries == nil || len(list.Deliveries) != 0 {
		t.Fatalf("deliveries before any: %+v", list)
	}

	if r := env.do(t, "PUT", "/v1/webhook", key, map[string]string{"url": "https://a.example/h"}); r.Status != 200 {
		t.Fatalf("put: %d %s", r.Status, r.Body)
	}
	r := env.do(t, "POST", path+"/replay", key, nil)
	if r.Status != http.StatusAccepted || string(r.Body) != `{"enqueued":1}` {
		t.Fatalf("replay: %d %s", r.Status, r.Body)
	}
	claimed, err := env.Store.Claim(t.Context(), env.Clock.Now(), time.Minute, 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	fail := webhook.Attempt{At: env.Clock.Now(), StatusCode: 503, Duration: 1500 * time.Microsecond}
	next := env.Clock.Now().Add(7 * time.Second)
	if err := env.Store.Record(t.Context(), claimed[0].ID, fail, next, false); err != nil {
		t.Fatal(err)
	}

	r = env.do(t, "GET", path, key, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	r.decode(t, &list)
	if len(list.Deliveries) != 1 {
		t.Fatalf("deliveries %s", r.Body)
	}
	d := list.Deliveries[0]
	if d.EventID != webhook.EventID(o.ID, 1) || d.Type != "order.pending_payment" || d.Seq != 1 || !d.Replay ||
		d.Status != "pending" || d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(next) ||
		len(d.Attempts) != 1 || d.Attempts[0].StatusCode != 503 || d.Attempts[0].DurationMS != 1.5 {
		t.Fatalf("delivery %s", r.Body)
	}

	// Another merchant sees neither the order's deliveries nor can replay them.
	if r := env.do(t, "PUT", "/v1/webhook", otherKey, map[string]string{"url": "https://b.example/h"}); r.Status != 200 {
		t.Fatalf("put: %d %s", r.Status, r.Body)
	}
	env.do(t, "GET", path, otherKey, nil).problem(t, 404, "not_found")
	env.do(t, "POST", path+"/replay", otherKey, nil).problem(t, 404, "not_found")
	env.do(t, "GET", "/v1/orders/ord_missing/webhooks", key, nil).problem(t, 404, "not_found")
}

func TestHTTPWebhooksNotConfigured(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	o := env.createOrder(t, key, "x")
	env.do(t, "PUT", "/v1/webhook", key, map[string]string{"url": ""}).problem(t, 503, "not_ready")
	env.do(t, "GET", "/v1/orders/"+o.ID+"/webhooks", key, nil).problem(t, 503, "not_ready")
	env.do(t, "POST", "/v1/orders/"+o.ID+"/webhooks/replay", key, nil).problem(t, 503, "not_ready")
}
