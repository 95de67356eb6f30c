package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/internal/signature"
)

// Retry timing for calls that meet an instance going away or a takeover in progress.
const (
	retryFirst = 100 * time.Millisecond // first backoff; doubles up to retryMax
	retryMax   = 2 * time.Second
)

// client speaks the HTTP API to one or several instances. With several it spreads calls
// round-robin and, when retry is set, tries the next instance after a connection error or
// an answer that says "try again" (502, 503, 504, 409 idempotency_key_in_use, 429), for
// at most retry. A request is resent byte for byte, headers included, so a merchant's
// Idempotency-Key and a payment's event id are the same on every attempt.
//
// Concurrency: safe for concurrent use.
type client struct {
	bases []string
	http  *http.Client
	clock interface{ Now() time.Time }
	retry time.Duration // 0: one attempt
	next  atomic.Uint64
	// retries counts attempts after the first, for the report.
	retries atomic.Int64
}

// statusError is a non-2xx answer.
type statusError struct {
	method, path string
	status       int
	body         []byte
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.method, e.path, e.status, bytes.TrimSpace(e.body))
}

// retryable reports whether another attempt (perhaps on another instance) may succeed.
func retryable(err error) bool {
	var se *statusError
	if !errors.As(err, &se) {
		return true // connection refused or reset, timeout: the instance may be gone
	}
	switch se.status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout,
		http.StatusTooManyRequests, http.StatusConflict, http.StatusInternalServerError:
		return true
	}
	return false
}

// call sends a JSON request and decodes a JSON answer into out; non-2xx is an error
// carrying the problem document.
func (c *client) call(ctx context.Context, method, path, token string, header map[string]string, in, out any) error {
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = b
	}
	h := http.Header{}
	if in != nil {
		h.Set("Content-Type", "application/json")
	}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		h.Set(k, v)
	}
	return c.send(ctx, method, path, h, func() []byte { return body }, out)
}

// send runs one request with the retry policy; mkBody is called once per attempt.
func (c *client) send(ctx context.Context, method, path string, h http.Header, mkBody func() []byte, out any) error {
	deadline := time.Now().Add(c.retry)
	wait := retryFirst
	for attempt := 0; ; attempt++ {
		base := c.bases[int(c.next.Add(1)-1)%len(c.bases)]
		var body io.Reader
		if b := mkBody(); b != nil {
			body = bytes.NewReader(b)
		}
		req, err := http.NewRequestWithContext(ctx, method, base+path, body)
		if err != nil {
			return err
		}
		req.Header = h.Clone()
		err = c.do(req, out)
		if err == nil || c.retry == 0 || !retryable(err) || ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			return err
		}
		c.retries.Add(1)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, retryMax)
	}
}

func (c *client) do(req *http.Request, out any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &statusError{method: req.Method, path: req.URL.Path, status: resp.StatusCode, body: b}
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// pay sends a signed payment webhook for an order, as Stripe would, and returns the
// server's result ("applied", "duplicate", "ignored"). Retries carry the same event id
// and a fresh signature.
func (c *client) pay(ctx context.Context, secret []byte, eventID, kind, orderID string) (string, error) {
	ev := map[string]any{
		"id": eventID, "type": kind, "created": c.clock.Now().Unix(),
		"data": map[string]any{"object": map[string]any{
			"id": "pi_" + orderID, "metadata": map[string]string{"order_id": orderID}}},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return "", err
	}
	var out struct {
		Result string `json:"result"`
	}
	h := http.Header{"Content-Type": {"application/json"}}
	sign := func() []byte {
		h.Set(signature.HeaderName, signature.Sign(secret, c.clock.Now(), b))
		return b
	}
	// The signature header is set by mkBody before the request copies the headers.
	err = c.send(ctx, http.MethodPost, "/v1/payments/webhook", h, sign, &out)
	return out.Result, err
}
