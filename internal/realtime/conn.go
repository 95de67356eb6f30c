package realtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// Close reasons sent to peers.
const (
	reasonGoingAway   = "going away"
	reasonSlow        = "slow consumer"
	reasonBinary      = "binary frames not supported"
	reasonPongTimeout = "pong timeout"
)

// Conn is one WebSocket connection with a reader goroutine, a writer
// goroutine and a bounded send queue. Create it with NewConn and run it with
// Serve; Send, Close and Done are safe for concurrent use.
type Conn struct {
	ws      *websocket.Conn
	cfg     Config
	send    chan []byte   // bounded queue; never closed, so Send cannot panic
	stop    chan struct{} // closed once, by stopWith
	done    chan struct{} // closed when Serve returns
	serving atomic.Bool

	mu     sync.Mutex // guards the fields below, set once by stopWith
	reason error      // why the connection stopped
	code   int        // close code to send; 0 sends no close frame
	text   string     // close reason to send
	// after is the close CloseAfterQueued asked for, applied when its marker leaves the
	// queue; guarded by mu.
	afterCode int
	afterText string
}

// Conn is what the Hub publishes to.
var _ Subscriber = (*Conn)(nil)

// NewConn wraps an upgraded connection. Zero fields of cfg take their
// defaults. The Conn does nothing until Serve is called; Serve must be called
// exactly once, since Done is closed only when Serve returns.
func NewConn(ws *websocket.Conn, cfg Config) *Conn {
	cfg = cfg.withDefaults()
	return &Conn{
		ws:   ws,
		cfg:  cfg,
		send: make(chan []byte, cfg.SendQueue),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
}

// Serve runs the connection's reader and writer goroutines until the
// connection stops (see the package documentation for the reasons), then
// sends a close frame (best effort, within WriteWait), gives the peer a short
// grace to finish the closing handshake, closes the network connection and
// returns once both goroutines have exited. The result says why the
// connection stopped and is one of, or wraps one of, this package's
// sentinel errors; a done ctx yields an error wrapping both ErrClosed and
// context.Cause(ctx), and the peer is sent 1001 going away.
//
// onMessage, if not nil, is called on the reader goroutine for every text
// frame, in arrival order; frames arriving after the connection has started
// to stop are discarded. A binary frame stops the connection with 1003
// unsupported data. onMessage must not block for long: while it runs, no
// pong can be read.
func (c *Conn) Serve(ctx context.Context, onMessage func([]byte)) error {
	if !c.serving.CompareAndSwap(false, true) {
		return ErrAlreadyServing
	}
	defer close(c.done)
	if onMessage == nil {
		onMessage = func([]byte) {}
	}

	readerDone := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop()
	}()
	go func() {
		defer close(readerDone)
		c.readLoop(onMessage)
	}()

	select {
	case <-ctx.Done():
		c.stopWith(fmt.Errorf("%w: %w", ErrClosed, context.Cause(ctx)),
			websocket.CloseGoingAway, reasonGoingAway)
	case <-c.stop:
	}

	// The writer sends the close frame and exits; each of its writes has a
	// WriteWait deadline, so this wait is bounded.
	<-writerDone
	grace := time.NewTimer(min(closeGrace, c.cfg.WriteWait))
	select {
	case <-readerDone:
	case <-grace.C:
	}
	grace.Stop()
	_ = c.ws.Close() // unblocks the reader if it is still waiting
	<-readerDone

	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reason
}

// Send enqueues b to be written as one text frame and returns without
// blocking. It returns ErrClosed if the connection has stopped. If the queue
// is full it stops the connection as a slow consumer (close 1008 "slow
// consumer") and returns ErrSlowConsumer; only the call that caused the drop
// gets ErrSlowConsumer, later calls get ErrClosed. b must not be modified
// after Send returns nil.
func (c *Conn) Send(b []byte) error {
	if len(b) == 0 {
		return nil // an empty frame carries nothing; nil is the queue's close marker
	}
	return c.enqueue(b)
}

func (c *Conn) enqueue(b []byte) error {
	select {
	case <-c.stop:
		return ErrClosed
	default:
	}
	select {
	case c.send <- b:
		return nil
	default:
	}
	if c.stopWith(ErrSlowConsumer, websocket.ClosePolicyViolation, reasonSlow) {
		return ErrSlowConsumer
	}
	return ErrClosed
}

// Close stops the connection and asks the writer to send a close frame with
// code and reason (best effort, within WriteWait; a reason longer than a
// control frame allows is truncated). It does not wait: use Done for that.
// Close is safe to call many times and from any goroutine, including from
// onMessage; only the first stop reason counts. Serve then returns ErrClosed.
func (c *Conn) Close(code int, reason string) {
	c.stopWith(ErrClosed, code, reason)
}

// CloseAfterQueued closes the connection with code and reason once every frame queued
// before it has been written, so a final message is not lost to the close. It does not
// wait; like Send it fails with ErrSlowConsumer when the queue is full.
func (c *Conn) CloseAfterQueued(code int, reason string) error {
	c.mu.Lock()
	c.afterCode, c.afterText = code, reason
	c.mu.Unlock()
	return c.enqueue(nil)
}

// Done is closed when Serve has returned, that is when both goroutines have
// exited and the network connection is closed.
func (c *Conn) Done() <-chan struct{} { return c.done }

// stopWith records the first stop reason and the close frame to send, and
// signals both goroutines. It reports whether this call was the first.
func (c *Conn) stopWith(reason error, code int, text string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reason != nil {
		return false
	}
	c.reason, c.code, c.text = reason, code, truncateReason(text)
	close(c.stop)
	return true
}

// stopped reports whether stopWith has been called.
func (c *Conn) stopped() bool {
	select {
	case <-c.stop:
		return true
	default:
		return false
	}
}

// writeLoop is the only goroutine that writes data and ping frames. It exits
// after a write fails or after trying to send the close frame on stop.
func (c *Conn) writeLoop() {
	ping := time.NewTicker(c.cfg.PingPeriod)
	defer ping.Stop()
	for {
		select {
		case <-c.stop:
			c.writeClose()
			return
		case b := <-c.send:
			if c.stopped() { // do not start new data writes once stopping
				c.writeClose()
				return
			}
			if b == nil { // CloseAfterQueued's marker: everything before it is written
				c.mu.Lock()
				code, text := c.afterCode, c.afterText
				c.mu.Unlock()
				c.stopWith(ErrClosed, code, text)
				c.writeClose()
				return
			}
			if err := c.ws.SetWriteDeadline(time.Now().Add(c.cfg.WriteWait)); err != nil {
				c.stopWith(fmt.Errorf("%w: %w", ErrWriteFailed, err), 0, "")
				return
			}
			if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
				c.stopWith(fmt.Errorf("%w: %w", ErrWriteFailed, err), 0, "")
				return
			}
		case <-ping.C:
			deadline := time.Now().Add(c.cfg.WriteWait)
			if err := c.ws.WriteControl(websocket.PingMessage, nil, deadline); err != nil {
				c.stopWith(fmt.Errorf("%w: %w", ErrWriteFailed, err), 0, "")
				return
			}
		}
	}
}

// writeClose sends the recorded close frame, if any. Errors are ignored: the
// frame is best effort (gorilla may already have sent one, in which case it
// returns websocket.ErrCloseSent).
func (c *Conn) writeClose() {
	c.mu.Lock()
	code, text := c.code, c.text
	c.mu.Unlock()
	if code == 0 {
		return
	}
	msg := websocket.FormatCloseMessage(code, text)
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.cfg.WriteWait))
}

// readLoop is the only goroutine that reads. It keeps reading after the
// connection starts to stop, discarding frames, so that the peer's closing
// handshake is consumed; Serve closes the network connection to end it.
func (c *Conn) readLoop(onMessage func([]byte)) {
	ws, pongWait := c.ws, c.cfg.PongWait
	ws.SetReadLimit(c.cfg.MaxMessage)
	_ = ws.SetReadDeadline(time.Now().Add(pongWait))
	ws.SetPongHandler(func(string) error {
		return ws.SetReadDeadline(time.Now().Add(pongWait))
	})
	for {
		typ, data, err := ws.ReadMessage()
		if err != nil {
			c.stopOnReadError(err)
			if errors.Is(err, websocket.ErrReadLimit) {
				// gorilla has sent 1009 but left the oversized frame
				// unread; consume input until the peer or Serve closes.
				_, _ = io.Copy(io.Discard, ws.NetConn())
			}
			return
		}
		if c.stopped() {
			continue
		}
		if typ != websocket.TextMessage {
			c.stopWith(ErrUnsupportedData, websocket.CloseUnsupportedData, reasonBinary)
			continue
		}
		onMessage(data)
	}
}

// stopOnReadError maps a read error to a stop reason and close frame.
func (c *Conn) stopOnReadError(err error) {
	var closeErr *websocket.CloseError
	var netErr net.Error
	switch {
	case errors.As(err, &closeErr):
		// gorilla has already echoed the peer's close frame.
		c.stopWith(fmt.Errorf("%w: %w", ErrPeerClosed, err), 0, "")
	case errors.Is(err, websocket.ErrReadLimit):
		// gorilla has normally sent 1009 already; the writer's attempt is
		// then a no-op (websocket.ErrCloseSent), otherwise it is the retry.
		c.stopWith(fmt.Errorf("%w: %w", ErrMessageTooBig, err),
			websocket.CloseMessageTooBig, "")
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		c.stopWith(fmt.Errorf("%w: %w", ErrPongTimeout, err),
			websocket.ClosePolicyViolation, reasonPongTimeout)
	default:
		c.stopWith(fmt.Errorf("%w: %w", ErrReadFailed, err), 0, "")
	}
}

// truncateReason shortens s to fit a close frame without splitting a rune.
func truncateReason(s string) string {
	for len(s) > maxCloseReason {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}
