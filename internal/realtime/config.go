package realtime

import "time"

// Defaults applied by NewConn to zero (or negative) Config fields.
const (
	// DefaultWriteWait is the deadline for writing one frame.
	DefaultWriteWait = 10 * time.Second
	// DefaultPongWait is how long the reader waits for the next pong.
	DefaultPongWait = 60 * time.Second
	// DefaultMaxMessage is the largest frame payload accepted from a peer.
	DefaultMaxMessage int64 = 64 << 10
	// DefaultSendQueue is the capacity of each connection's send queue.
	DefaultSendQueue = 256
)

const (
	// closeGrace bounds how long Serve, after its close frame went out,
	// waits for the peer's closing handshake (or for the reader to drain
	// unread input) before closing the network connection. Closing a TCP
	// socket with unread input makes the kernel send RST, which can destroy
	// the close frame before the peer reads it. The effective grace is
	// min(closeGrace, Config.WriteWait).
	closeGrace = time.Second

	// maxCloseReason is the largest close reason that fits in a control
	// frame (125 bytes minus the 2-byte code).
	maxCloseReason = 123
)

// Config tunes a Conn. The zero value is ready to use: each zero or negative
// field takes the default documented on it.
type Config struct {
	// WriteWait is the deadline for one write (data, ping or close frame).
	// Default DefaultWriteWait (10s).
	WriteWait time.Duration

	// PongWait is the read deadline; each pong from the peer extends it by
	// PongWait. Default DefaultPongWait (60s).
	PongWait time.Duration

	// PingPeriod is the interval between pings sent by the writer. Default
	// PongWait*9/10; a value not below PongWait is replaced by that default
	// because the peer could never answer in time.
	PingPeriod time.Duration

	// MaxMessage is the read limit in bytes. A larger frame stops the
	// connection and the peer receives close code 1009 "message too big".
	// Default DefaultMaxMessage (64 KiB).
	MaxMessage int64

	// SendQueue is the capacity of the bounded send queue. When it is full
	// the connection is closed with 1008 "slow consumer" and dropped.
	// Default DefaultSendQueue (256).
	SendQueue int
}

// withDefaults returns cfg with every zero or negative field defaulted.
func (cfg Config) withDefaults() Config {
	if cfg.WriteWait <= 0 {
		cfg.WriteWait = DefaultWriteWait
	}
	if cfg.PongWait <= 0 {
		cfg.PongWait = DefaultPongWait
	}
	if cfg.PingPeriod <= 0 || cfg.PingPeriod >= cfg.PongWait {
		cfg.PingPeriod = max(cfg.PongWait*9/10, 1)
	}
	if cfg.MaxMessage <= 0 {
		cfg.MaxMessage = DefaultMaxMessage
	}
	if cfg.SendQueue <= 0 {
		cfg.SendQueue = DefaultSendQueue
	}
	return cfg
}
