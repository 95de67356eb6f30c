package api

import (
	"net/http"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/signature"
)

// orderState reads an order back through the merchant API.
func (e *testEnv) orderState(t testing.TB, key, id string) testOrder {
	t.Helper()
	r := e.do(t, "GET", "/v1/orders/"+id, key, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("get %s: %d %s", id, r.Status, r.Body)
	}
	var o testOrder
	r.decode(t, &o)
	return o
}

// paymentResult posts a signed event and returns the webhook's result.
func (e *testEnv) paymentResult(t testing.TB, body []byte) string {
	t.Helper()
	r := e.signedWebhook(t, testPaymentSecret, body)
	if r.Status != http.StatusOK {
		t.Fatalf("webhook: %d %s", r.Status, r.Body)
	}
	var res struct{ Result string }
	r.decode(t, &res)
	return res.Result
}

func TestPaymentWebhookPaysOrder(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	o := env.createOrder(t, key, "p")
	env.Clock.Advance(2 * time.Minute)
	if res := env.paymentResult(t, paymentEvent("evt_ok", "payment_intent.succeeded", o.ID)); res != "applied" {
		t.Fatalf("result %q, want applied", res)
	}
	got := env.orderState(t, key, o.ID)
	if got.State != dispatch.Dispatching {
		t.Errorf("state %s, want dispatching", got.State)
	}
	if st := env.Engine.Stats(); st.OrdersPaid != 1 {
		t.Errorf("orders paid %d", st.OrdersPaid)
	}
}

func TestPaymentWebhookRejectsBadSignatures(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	o := env.createOrder(t, key, "p")
	body := paymentEvent("evt_bad", "payment_intent.succeeded", o.ID)
	now := env.Clock.Now()
	cases := []struct {
		name, header, code string
	}{
		{"wrong secret", signature.Sign([]byte("whsec_other"), now, body), "bad_signature"},
		{"missing", "", "bad_signature"},
		{"malformed", "t=abc,v1=00", "bad_signature"},
		{"stale", signature.Sign(testPaymentSecret, now.Add(-301*time.Second), body), "stale_signature"},
		{"future", signature.Sign(testPaymentSecret, now.Add(301*time.Second), body), "stale_signature"},
		{"other body", signature.Sign(testPaymentSecret, now, paymentEvent("evt_other", "payment_intent.succeeded", o.ID)), "bad_signature"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env.webhookWithHeader(t, tc.header, body).problem(t, http.StatusBadRequest, tc.code)
		})
	}
	got := env.orderState(t, key, o.ID)
	if got.State != dispatch.PendingPayment || got.Seq != 1 {
		t.Errorf("order changed by rejected webhooks: %+v", got)
	}
	// The same event, properly signed, is still fresh: the rejections marked nothing.
	if res := env.paymentResult(t, body); res != "applied" {
		t.Errorf("first valid delivery: %q", res)
	}
	// Within the tolerance is accepted (300 s exactly).
	o2 := env.createOrder(t, key, "p2")
	b2 := paymentEvent("evt_edge", "payment_intent.succeeded", o2.ID)
	if r := env.webhookWithHeader(t, signature.Sign(testPaymentSecret, now.Add(-300*time.Second), b2), b2); r.Status != http.StatusOK {
		t.Errorf("signature 300 s old: %d %s", r.Status, r.Body)
	}
}

func TestPaymentWebhookNoSecretsRejectsAll(t *testing.T) {
	env := newTestEnv(t, func(c *Config) { c.PaymentSecrets = nil })
	key := env.adminSetup(t)
	o := env.createOrder(t, key, "p")
	env.signedWebhook(t, testPaymentSecret, paymentEvent("evt_1", "payment_intent.succeeded", o.ID)).
		problem(t, http.StatusBadRequest, "bad_signature")
	if got := env.orderState(t, key, o.ID); got.State != dispatch.PendingPayment {
		t.Errorf("state %s", got.State)
	}
}

func TestPaymentWebhookSecretRotation(t *testing.T) {
	old, next := []byte("whsec_old"), []byte("whsec_new")
	env := newTestEnv(t, func(c *Config) { c.PaymentSecrets = [][]byte{next, old} })
	key := env.adminSetup(t)
	o := env.createOrder(t, key, "p")
	if r := env.signedWebhook(t, old, paymentEvent("evt_1", "payment_intent.succeeded", o.ID)); r.Status != http.StatusOK {
		t.Errorf("old secret during rotation: %d %s", r.Status, r.Body)
	}
}

func TestPaymentWebhookDuplicateEvent(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	o := env.createOrder(t, key, "p")
	body := paymentEvent("evt_dup", "payment_intent.succeeded", o.ID)
	if res := env.paymentResult(t, body); res != "applied" {
		t.Fatalf("first: %q", res)
	}
	before := env.orderState(t, key, o.ID)
	env.Clock.Advance(time.Minute)
	if res := env.paymentResult(t, body); res != "duplicate" {
		t.Errorf("second: %q, want duplicate", res)
	}
	after := env.orderState(t, key, o.ID)
	if after.Seq != before.Seq || after.State != before.State {
		t.Errorf("duplicate changed the order: %+v → %+v", before, after)
	}
	var ev struct{ Events []dispatch.Event }
	env.do(t, "GET", "/v1/orders/"+o.ID+"/events", key, nil).decode(t, &ev)
	if int64(len(ev.Events)) != before.Seq {
		t.Errorf("%d events, want %d", len(ev.Events), before.Seq)
	}
}

func TestPaymentWebhookOutOfOrder(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)

	// Success after the merchant canceled: no resurrection, a refund request instead.
	o := env.createOrder(t, key, "canceled")
	env.do(t, "POST", "/v1/orders/"+o.ID+"/cancel", key, nil)
	if res := env.paymentResult(t, paymentEvent("evt_late", "payment_intent.succeeded", o.ID)); res != "applied" {
		t.Errorf("late success: %q", res)
	}
	got := env.orderState(t, key, o.ID)
	if got.State != dispatch.Canceled || !got.RefundRequested {
		t.Errorf("after late success: %+v, want canceled with refund requested", got)
	}

	// Refund before success (delivered out of order): the refund cancels, and the late
	// success changes nothing: the money is already back, so no second refund is asked.
	o2 := env.createOrder(t, key, "refund-first")
	refund := []byte(`{"id":"evt_r","type":"charge.refunded","data":{"object":{"id":"ch_1","payment_intent":"pi_1","metadata":{"order_id":"` + o2.ID + `"}}}}`)
	if res := env.paymentResult(t, refund); res != "applied" {
		t.Errorf("refund: %q", res)
	}
	if res := env.paymentResult(t, paymentEvent("evt_s", "payment_intent.succeeded", o2.ID)); res != "ignored" {
		t.Errorf("success after refund: %q, want ignored", res)
	}
	if got := env.orderState(t, key, o2.ID); got.State != dispatch.Canceled || got.RefundRequested {
		t.Errorf("after refund then success: %s refund_requested=%v, want canceled without a new refund request", got.State, got.RefundRequested)
	}

	// A failure after success is ignored.
	o3 := env.createOrder(t, key, "paid")
	env.paymentResult(t, paymentEvent("evt_p3", "payment_intent.succeeded", o3.ID))
	if res := env.paymentResult(t, paymentEvent("evt_f3", "payment_intent.payment_failed", o3.ID)); res != "ignored" {
		t.Errorf("failure after success: %q, want ignored", res)
	}
	if got := env.orderState(t, key, o3.ID); got.State != dispatch.Dispatching {
		t.Errorf("after failure: %s", got.State)
	}
}

func TestPaymentWebhookPayloads(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	o := env.createOrder(t, key, "p")

	if res := env.paymentResult(t, paymentEvent("evt_c", "customer.created", o.ID)); res != "ignored" {
		t.Errorf("unknown type: %q", res)
	}
	if res := env.paymentResult(t, paymentEvent("evt_u", "payment_intent.succeeded", "ord_unknown")); res != "ignored" {
		t.Errorf("unknown order: %q", res)
	}
	env.signedWebhook(t, testPaymentSecret, []byte(`{"id":"evt_n","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","metadata":{}}}}`)).
		problem(t, http.StatusUnprocessableEntity, "invalid_field")
	env.signedWebhook(t, testPaymentSecret, []byte(`{"type":"payment_intent.succeeded","data":{"object":{"metadata":{"order_id":"`+o.ID+`"}}}}`)).
		problem(t, http.StatusUnprocessableEntity, "invalid_field")
	env.signedWebhook(t, testPaymentSecret, []byte(`{"id":`)).problem(t, http.StatusBadRequest, "malformed_request")
	if got := env.orderState(t, key, o.ID); got.State != dispatch.PendingPayment || got.Seq != 1 {
		t.Errorf("order changed: %+v", got)
	}
}

func TestPaymentTimeoutExpiresUnpaidOrder(t *testing.T) {
	env := newTestEnv(t)
	key := env.adminSetup(t)
	o := env.createOrder(t, key, "slow")
	timeout := env.Engine.Config().PaymentTimeout

	env.Clock.Advance(timeout - time.Second)
	env.Engine.Tick(t.Context())
	if got := env.orderState(t, key, o.ID); got.State != dispatch.PendingPayment {
		t.Fatalf("expired early: %s", got.State)
	}
	env.Clock.Advance(time.Second)
	env.Engine.Tick(t.Context())
	if got := env.orderState(t, key, o.ID); got.State != dispatch.Expired {
		t.Fatalf("after the timeout: %s, want expired", got.State)
	}
	// Payment arriving afterwards does not revive it.
	env.paymentResult(t, paymentEvent("evt_late", "payment_intent.succeeded", o.ID))
	if got := env.orderState(t, key, o.ID); got.State != dispatch.Expired || !got.RefundRequested {
		t.Errorf("late payment: %+v", got)
	}
}
