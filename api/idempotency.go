package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/hummingbird-dispatch/hummingbird/internal/idempotency"
)

// Idempotency headers.
const (
	// HeaderIdempotencyKey names a request so that retrying it has its effect only once.
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderIdempotentReplayed is set on a response replayed from a saved one.
	HeaderIdempotentReplayed = "Idempotent-Replayed"
	// maxIdempotencyKey is the longest accepted key (Stripe's limit).
	maxIdempotencyKey = 255
)

// idempotencyKey returns the request's key; present is false when there is no header.
// A present key must be 1..255 printable ASCII characters.
func idempotencyKey(r *http.Request) (key string, present bool, err error) {
	vals := r.Header.Values(HeaderIdempotencyKey)
	if len(vals) == 0 {
		return "", false, nil
	}
	key = vals[0]
	if len(vals) > 1 || len(key) < 1 || len(key) > maxIdempotencyKey {
		return "", true, ErrIdempotencyKey
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return "", true, ErrIdempotencyKey
		}
	}
	return key, true, nil
}

// fingerprint identifies a request for idempotency: method, path and raw body.
func fingerprint(r *http.Request, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", r.Method, r.URL.Path)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// once runs a mutating handler at most once per Idempotency-Key within scope (the
// merchant id), Stripe style. Without the header it simply runs. With it:
//
//   - the first request claims the key, runs, and its response (status, content type and
//     body) is saved, errors included, so a retry sees exactly what the first request
//     saw; 5xx outcomes are not saved but released, so the retry runs again;
//   - a retry with the same method, path and body replays the saved response byte for
//     byte, with Idempotent-Replayed: true, and runs nothing;
//   - a retry while the first request still runs is 409 idempotency_key_in_use;
//   - reusing the key for a different request is 422 idempotency_key_reused.
//
// Keys expire after idempotency.TTL, measured on the engine's clock.
func (s *Server) once(c echo.Context, scope string, body []byte, run func() outcome) error {
	key, present, err := idempotencyKey(c.Request())
	if err != nil {
		return err
	}
	if !present {
		r, err := render(run())
		if err != nil {
			return err
		}
		return c.Blob(r.status, r.ctype, r.body)
	}
	ctx := c.Request().Context()
	fp := fingerprint(c.Request(), body)
	rec, claimed, err := s.idem.Begin(ctx, scope, key, fp, s.engine.Now())
	if err != nil {
		return fmt.Errorf("idempotency begin: %w", err)
	}
	if !claimed {
		switch {
		case rec.Fingerprint != fp:
			return fmt.Errorf("%w: key %q", ErrIdempotencyMismatch, key)
		case !rec.Done:
			return fmt.Errorf("%w: key %q", ErrIdempotencyBusy, key)
		}
		c.Response().Header().Set(HeaderIdempotentReplayed, "true")
		return c.Blob(rec.Status, rec.ContentType, rec.Body)
	}
	// From here the claim must end in Finish or Release, even if the client goes away
	// or the handler panics.
	bg := context.WithoutCancel(ctx)
	finished := false
	defer func() {
		if !finished {
			if err := s.idem.Release(bg, scope, key); err != nil {
				s.log.Error("idempotency release", "scope", scope, "key", key, "err", err)
			}
		}
	}()
	r, err := render(run())
	if err != nil {
		return err
	}
	finished = true
	saved := idempotency.Record{Fingerprint: fp, Done: true, Status: r.status, ContentType: r.ctype, Body: r.body}
	if err := s.idem.Finish(bg, scope, key, saved); err != nil {
		// The effect happened; answer it. A retry then finds the key in progress (409)
		// until the record expires, which is safer than running the request twice.
		s.log.Error("idempotency finish", "scope", scope, "key", key, "err", err)
	}
	return c.Blob(r.status, r.ctype, r.body)
}
