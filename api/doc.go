// Package api is Hummingbird's transport: echo handlers for the merchant, payment, admin
// and tracking HTTP APIs, and the courier and tracking WebSocket endpoints. It only
// translates: a handler binds, validates, calls one dispatch.Engine method and renders.
// Domain errors become wire errors in one table (errors.go).
//
// Concurrency: a Server is safe for concurrent use; each WebSocket connection has one
// reader and one writer goroutine owned by internal/realtime, and Close stops them all.
package api
