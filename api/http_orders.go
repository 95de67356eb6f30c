package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// List paging limits of GET /v1/orders.
const (
	defaultListLimit = 20
	maxListLimit     = 100
	// maxCursorLen bounds the after cursor (an order id is 30 characters).
	maxCursorLen = 100
	// maxReasonLen bounds a cancel reason in bytes.
	maxReasonLen = 500
)

// orderResponse is an order as merchants see it: the order plus the customer's tracking
// link, which the merchant forwards to the customer.
type orderResponse struct {
	dispatch.Order
	TrackingURL string `json:"tracking_url"`
}

// orderList is one page of GET /v1/orders; NextCursor is null on the last page.
type orderList struct {
	Orders     []orderResponse `json:"orders"`
	NextCursor *string         `json:"next_cursor"`
}

// eventList is GET /v1/orders/{id}/events.
type eventList struct {
	Events []dispatch.Event `json:"events"`
}

// cancelRequest is the optional body of POST /v1/orders/{id}/cancel.
type cancelRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) trackingURL(token string) string {
	return strings.TrimRight(s.cfg.PublicURL, "/") + "/track/" + token
}

func (s *Server) orderResponse(o dispatch.Order) orderResponse {
	return orderResponse{Order: o, TrackingURL: s.trackingURL(o.TrackToken)}
}

// fieldError is a bad query parameter or body field (422 invalid_field naming it).
func fieldError(name, format string, args ...any) error {
	return &dispatch.FieldError{Field: name, Reason: fmt.Sprintf(format, args...)}
}

// handleQuote prices an order request without creating anything.
func (s *Server) handleQuote(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var req dispatch.OrderRequest
	if err := decodeJSON(body, &req); err != nil {
		return err
	}
	q, err := s.engine.Quote(c.Request().Context(), merchant(c).ID, req)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, q)
}

// handleCreateOrder creates an order awaiting payment (201), honouring Idempotency-Key.
func (s *Server) handleCreateOrder(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	m := merchant(c)
	return s.once(c, m.ID, body, func() outcome {
		var req dispatch.OrderRequest
		if err := decodeJSON(body, &req); err != nil {
			return outcome{err: err}
		}
		o, err := s.engine.CreateOrder(c.Request().Context(), m.ID, req)
		if err != nil {
			return outcome{err: err}
		}
		return outcome{status: http.StatusCreated, body: s.orderResponse(o)}
	})
}

// handleListOrders lists the merchant's orders oldest first, limit per page (1..100,
// default 20); next_cursor is the after value of the next page.
func (s *Server) handleListOrders(c echo.Context) error {
	after := c.QueryParam("after")
	if len(after) > maxCursorLen {
		return fieldError("after", "must be at most %d characters", maxCursorLen)
	}
	limit := defaultListLimit
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListLimit {
			return fieldError("limit", "must be an integer in 1..%d", maxListLimit)
		}
		limit = n
	}
	// One more than asked tells whether another page exists.
	orders, err := s.engine.Orders(c.Request().Context(), merchant(c).ID, after, limit+1)
	if err != nil {
		return err
	}
	page := orderList{Orders: make([]orderResponse, 0, min(len(orders), limit))}
	for i, o := range orders {
		if i == limit {
			next := orders[i-1].ID
			page.NextCursor = &next
			break
		}
		page.Orders = append(page.Orders, s.orderResponse(o))
	}
	return writeJSON(c, http.StatusOK, page)
}

// handleGetOrder returns one of the merchant's orders; another merchant's is 404.
func (s *Server) handleGetOrder(c echo.Context) error {
	o, err := s.engine.Order(c.Request().Context(), merchant(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, s.orderResponse(o))
}

// handleCancelOrder cancels an order before pickup, honouring Idempotency-Key. The body
// is optional: {"reason": "..."}.
func (s *Server) handleCancelOrder(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	m := merchant(c)
	return s.once(c, m.ID, body, func() outcome {
		var req cancelRequest
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := decodeJSON(body, &req); err != nil {
				return outcome{err: err}
			}
		}
		if len(req.Reason) > maxReasonLen || !utf8.ValidString(req.Reason) {
			return outcome{err: fieldError("reason", "must be valid UTF-8 of at most %d bytes", maxReasonLen)}
		}
		o, err := s.engine.Cancel(c.Request().Context(), m.ID, c.Param("id"), req.Reason)
		if err != nil {
			return outcome{err: err}
		}
		return outcome{status: http.StatusOK, body: s.orderResponse(o)}
	})
}

// handleOrderEvents lists an order's events with seq > after, ascending.
func (s *Server) handleOrderEvents(c echo.Context) error {
	var after int64
	if v := c.QueryParam("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return fieldError("after", "must be a non-negative integer (an event seq)")
		}
		after = n
	}
	events, err := s.engine.Events(c.Request().Context(), merchant(c).ID, c.Param("id"), after)
	if err != nil {
		return err
	}
	if events == nil {
		events = []dispatch.Event{}
	}
	return writeJSON(c, http.StatusOK, eventList{Events: events})
}
