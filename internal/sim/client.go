package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/internal/signature"
)

// client speaks the HTTP API.
type client struct {
	base  string
	http  *http.Client
	clock interface{ Now() time.Time }
}

// call sends a JSON request and decodes a JSON answer into out; non-2xx is an error
// carrying the problem document.
func (c *client) call(ctx context.Context, method, path, token string, header map[string]string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return c.do(req, out)
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
		return fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// pay sends a signed payment_intent.succeeded webhook for an order, as Stripe would.
func (c *client) pay(ctx context.Context, secret []byte, eventID, kind, orderID string) error {
	ev := map[string]any{
		"id": eventID, "type": kind, "created": c.clock.Now().Unix(),
		"data": map[string]any{"object": map[string]any{
			"id": "pi_" + orderID, "metadata": map[string]string{"order_id": orderID}}},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/v1/payments/webhook", bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(signature.HeaderName, signature.Sign(secret, c.clock.Now(), b))
	return c.do(req, nil)
}
