package realtime

import "errors"

// Sentinel errors. Errors returned by this package either are one of these
// or wrap one of them (test with errors.Is); wrapped errors also carry the
// underlying cause, such as a *websocket.CloseError or context.Canceled.
var (
	// ErrClosed is returned by Send once the connection has stopped, and by
	// Serve when the connection was stopped by Close or by its context.
	ErrClosed = errors.New("realtime: connection closed")

	// ErrSlowConsumer is returned by the one Send call that found the queue
	// full and dropped the connection, and by that connection's Serve.
	ErrSlowConsumer = errors.New("realtime: slow consumer")

	// ErrMessageTooBig is returned by Serve when the peer sent a frame larger
	// than Config.MaxMessage; the peer is sent close code 1009.
	ErrMessageTooBig = errors.New("realtime: message too big")

	// ErrUnsupportedData is returned by Serve when the peer sent a binary
	// frame; the peer is sent close code 1003.
	ErrUnsupportedData = errors.New("realtime: unsupported binary frame")

	// ErrPongTimeout is returned by Serve when no pong arrived within
	// Config.PongWait of the previous one (or of the start of Serve).
	ErrPongTimeout = errors.New("realtime: pong timeout")

	// ErrPeerClosed is returned by Serve when the peer sent a close frame; it
	// wraps the *websocket.CloseError carrying the peer's code.
	ErrPeerClosed = errors.New("realtime: closed by peer")

	// ErrReadFailed is returned by Serve when reading from the network failed
	// for any other reason; it wraps the cause.
	ErrReadFailed = errors.New("realtime: read failed")

	// ErrWriteFailed is returned by Serve when writing a frame failed; it
	// wraps the cause.
	ErrWriteFailed = errors.New("realtime: write failed")

	// ErrAlreadyServing is returned by Serve when it is called more than once
	// on the same Conn.
	ErrAlreadyServing = errors.New("realtime: Serve already called")
)
