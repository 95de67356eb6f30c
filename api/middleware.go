package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hummingbird-dispatch/hummingbird/courier"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// Context keys set by the auth middleware.
const (
	ctxMerchant = "merchant"
)

// renderError is echo's error handler: every error leaves as application/problem+json.
func (s *Server) renderError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Internal == nil {
		// Echo's own errors (404 route, 405 method) keep their status.
		code := map[int]string{http.StatusNotFound: "route_not_found", http.StatusMethodNotAllowed: "method_not_allowed"}[he.Code]
		if code == "" {
			code = "http_error"
		}
		p := Problem{Type: "https://hummingbird.dev/problems/" + code, Title: http.StatusText(he.Code), Status: he.Code, Code: code, Detail: fmt.Sprint(he.Message)}
		s.writeProblem(c, p)
		return
	}
	p := problemFor(err)
	if p.Status >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	}
	s.writeProblem(c, p)
}

func (s *Server) writeProblem(c echo.Context, p Problem) {
	b, _ := json.Marshal(p)
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	c.Response().WriteHeader(p.Status)
	_, _ = c.Response().Write(b)
}

// limitBody caps every request body at MaxBody; reading past it yields ErrBodyTooLarge.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > s.cfg.MaxBody {
			return fmt.Errorf("%w: %d bytes, limit %d", ErrBodyTooLarge, r.ContentLength, s.cfg.MaxBody)
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, s.cfg.MaxBody)
		return next(c)
	}
}

// readBody reads the whole (size-limited) body.
func readBody(c echo.Context) ([]byte, error) {
	b, err := io.ReadAll(c.Request().Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, fmt.Errorf("%w: limit %d bytes", ErrBodyTooLarge, mbe.Limit)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return b, nil
}

// decodeJSON strictly decodes body into v: unknown fields and trailing data are errors.
func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data after the JSON value", ErrMalformed)
	}
	return nil
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) string {
	h := r.Header.Get(echo.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// merchantAuth resolves the merchant behind the API key.
func (s *Server) merchantAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := bearer(c.Request())
		if key == "" {
			return fmt.Errorf("%w: send Authorization: Bearer <merchant API key>", ErrUnauthorized)
		}
		m, err := s.dir.MerchantByKeyHash(c.Request().Context(), dispatch.HashSecret(key))
		if errors.Is(err, dispatch.ErrNotFound) {
			return fmt.Errorf("%w: unknown API key", ErrUnauthorized)
		}
		if err != nil {
			return err
		}
		c.Set(ctxMerchant, m)
		if err := s.limit(c, m.ID); err != nil {
			return err
		}
		return next(c)
	}
}

// limit applies the merchant's rate limit. A limiter that cannot reach its backend lets
// the request through (it fails open) and the failure is logged.
func (s *Server) limit(c echo.Context, merchantID string) error {
	if s.cfg.Limiter == nil {
		return nil
	}
	d, err := s.cfg.Limiter.Allow(c.Request().Context(), merchantID, s.cfg.Wall.Now())
	if err != nil {
		s.log.Warn("rate limiter unavailable; request allowed", "merchant", merchantID, "err", err)
	}
	if d.Allowed {
		c.Response().Header().Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
		return nil
	}
	secs := int(math.Ceil(d.RetryAfter.Seconds()))
	c.Response().Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	return fmt.Errorf("%w: retry in %d s", ErrRateLimited, max(secs, 1))
}

// merchant returns the authenticated merchant.
func merchant(c echo.Context) dispatch.Merchant {
	m, _ := c.Get(ctxMerchant).(dispatch.Merchant)
	return m
}

// courierFor resolves the courier behind a bearer token (checked before any upgrade).
func (s *Server) courierFor(ctx context.Context, r *http.Request) (courier.Courier, error) {
	tok := bearer(r)
	if tok == "" {
		return courier.Courier{}, fmt.Errorf("%w: send Authorization: Bearer <courier token>", ErrUnauthorized)
	}
	c, err := s.dir.CourierByTokenHash(ctx, dispatch.HashSecret(tok))
	if errors.Is(err, dispatch.ErrNotFound) {
		return courier.Courier{}, fmt.Errorf("%w: unknown courier token", ErrUnauthorized)
	}
	return c, err
}
