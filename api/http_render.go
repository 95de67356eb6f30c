package api

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
)

const (
	mimeJSON    = "application/json"
	mimeProblem = "application/problem+json"
)

// outcome is what a handler decided, before it is rendered: either a status and a JSON
// value, or an error for the error table.
type outcome struct {
	status int
	body   any
	err    error
}

// rendered is an outcome as bytes on the wire.
type rendered struct {
	status int
	ctype  string
	body   []byte
}

// render turns an outcome into bytes. Internal errors (5xx) are not rendered: they go to
// echo's error handler, which logs them, and are never saved for replay.
func render(o outcome) (rendered, error) {
	if o.err != nil {
		p := problemFor(o.err)
		if p.Status >= http.StatusInternalServerError {
			return rendered{}, o.err
		}
		b, err := json.Marshal(p)
		if err != nil {
			return rendered{}, err
		}
		return rendered{status: p.Status, ctype: mimeProblem, body: b}, nil
	}
	b, err := json.Marshal(o.body)
	if err != nil {
		return rendered{}, fmt.Errorf("encode response: %w", err)
	}
	return rendered{status: o.status, ctype: mimeJSON, body: b}, nil
}

// writeJSON renders v with status.
func writeJSON(c echo.Context, status int, v any) error {
	r, err := render(outcome{status: status, body: v})
	if err != nil {
		return err
	}
	return c.Blob(r.status, r.ctype, r.body)
}
