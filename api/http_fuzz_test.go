package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzOrderJSON sends arbitrary bodies to POST /v1/orders through the real handler
// chain. Properties: never a 5xx; a 201 creates exactly one order and anything else
// creates none; every error is a problem document.
func FuzzOrderJSON(f *testing.F) {
	for _, seed := range []string{
		string(orderBody("seed")),
		`{"pickup":{"pos":{"lat":48.8575,"lng":2.3522}},"dropoff":{"pos":{"lat":48.851,"lng":2.357}},"units":3,"currency":"USD","ready_at":"2025-03-14T12:30:00Z"}`,
		`{"pickup":{"pos":{"lat":1e308,"lng":-1e308}},"dropoff":{"pos":{}}}`,
		`{"pickup":{"pos":{"lat":48.8575,"lng":2.3522}},"dropoff":{"pos":{"lat":48.8575,"lng":2.3522}},"units":-1}`,
		`{"pickup":{"pos":{"lat":48.8575,"lng":2.3522},"name":"\ud800"},"dropoff":{"pos":{"lat":48.85,"lng":2.35}}}`,
		`{"ready_at":"0001-01-01T00:00:00Z","pickup":{"pos":{"lat":48.8575,"lng":2.3522}},"dropoff":{"pos":{"lat":48.85,"lng":2.35}}}`,
		`{"value_cents":9223372036854775807}`,
		`[]`, `null`, `"x"`, `{}`, `{"pickup":null}`, ``, "\x00",
	} {
		f.Add([]byte(seed))
	}
	env := newTestEnv(f)
	key := env.adminSetup(f)
	h := env.Server.Handler()
	// The engine's counter rises only after the store saved an order; it is used instead
	// of listing the store, which would make long fuzz runs quadratic.
	f.Fuzz(func(t *testing.T, body []byte) {
		before := env.Engine.Stats().OrdersCreated
		req := httptest.NewRequest("POST", "/v1/orders", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		created := env.Engine.Stats().OrdersCreated - before
		switch {
		case rec.Code >= 500:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		case rec.Code == http.StatusCreated:
			if created != 1 {
				t.Fatalf("201 but %d orders created for %q", created, body)
			}
		default:
			if created != 0 {
				t.Fatalf("status %d but %d orders created for %q", rec.Code, created, body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("status %d with content type %q", rec.Code, ct)
			}
		}
	})
}
