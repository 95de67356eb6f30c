package webhook

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/signature"
)

// Headers of an outgoing webhook besides Content-Type and User-Agent.
const (
	// HeaderSignature carries "t=<unix>,v1=<hex HMAC-SHA256 of "t.body">" under the
	// merchant's webhook secret (internal/signature's scheme, under our own name).
	HeaderSignature = "Hummingbird-Signature"
	// HeaderEventID repeats the body's id, the same on every retry and replay.
	HeaderEventID = "Hummingbird-Event-Id"
	// HeaderOrderSeq is the event's sequence number within its order.
	HeaderOrderSeq = "Hummingbird-Order-Seq"
	// HeaderDeliveryID identifies the delivery (a replay has a new one).
	HeaderDeliveryID = "Hummingbird-Delivery-Id"
	// HeaderAttempt counts the attempts of this delivery, from 1.
	HeaderAttempt = "Hummingbird-Attempt"
)

// DefaultUserAgent is the User-Agent of webhook requests when Config.UserAgent is empty.
const DefaultUserAgent = "Hummingbird-Webhooks/1 (+https://hummingbird.dev/docs/webhooks)"

// Bounds that are not worth a knob.
const (
	// maxResponseRead is how much of an answer is read (and discarded) so that the
	// connection can be reused.
	maxResponseRead = 64 << 10
	// maxErrorLen bounds the error text saved with an attempt.
	maxErrorLen = 300
	// recordTimeout bounds saving an attempt, which also runs after Run's context ended
	// so that a request that was answered is not sent again needlessly.
	recordTimeout = 5 * time.Second
)

// Config tunes a Deliverer. Zero values take the defaults in brackets.
type Config struct {
	// Poll is how often the outbox is read when idle [1s].
	Poll time.Duration
	// Concurrency bounds the requests in flight [16].
	Concurrency int
	// Timeout bounds one request, connection and answer included [10s].
	Timeout time.Duration
	// Lease is how long a claimed delivery is hidden from other deliverers; it must
	// exceed Timeout, or another instance could send it while this one still waits
	// [Timeout + 20s].
	Lease time.Duration
	// BaseDelay is the backoff ceiling after the first failed attempt; it doubles with
	// each further failure up to MaxDelay, and the actual delay is drawn uniformly below
	// the ceiling (full jitter) [10s].
	BaseDelay time.Duration
	// MaxDelay caps the backoff ceiling [1h].
	MaxDelay time.Duration
	// MaxAttempts is the number of attempts after which a delivery is dead [25: with the
	// default delays the 24 waits add up to about 8 hours on average, 16.4 at most].
	MaxAttempts int
	// UserAgent is sent with every request [DefaultUserAgent].
	UserAgent string
	// AllowPrivateNetworks lets webhooks reach loopback, private, link-local and other
	// non-public addresses. Off, the dialer refuses them after DNS resolution, so a
	// merchant cannot aim the server at its own network [false]. Tests and the demo on
	// one machine turn it on.
	AllowPrivateNetworks bool
	// Clock timestamps attempts and schedules retries [dispatch.SystemClock].
	Clock dispatch.Clock
	// Rand draws the jitter: the top 53 bits of Uint64 over 2^53 are the fraction of the
	// ceiling waited [a ChaCha8 source seeded from crypto/rand].
	Rand rand.Source
}

func (c Config) withDefaults() Config {
	if c.Poll == 0 {
		c.Poll = time.Second
	}
	if c.Concurrency == 0 {
		c.Concurrency = 16
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Lease == 0 {
		c.Lease = c.Timeout + 20*time.Second
	}
	if c.BaseDelay == 0 {
		c.BaseDelay = 10 * time.Second
	}
	if c.MaxDelay == 0 {
		c.MaxDelay = time.Hour
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 25
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if c.Clock == nil {
		c.Clock = dispatch.SystemClock{}
	}
	if c.Rand == nil {
		var seed [32]byte
		_, _ = crand.Read(seed[:])
		c.Rand = rand.NewChaCha8(seed)
	}
	return c
}

// ErrConfig reports an unusable Config.
var ErrConfig = errors.New("webhook: invalid config")

func (c Config) validate() error {
	switch {
	case c.Poll < 0, c.Timeout < 0, c.BaseDelay < 0, c.MaxDelay < 0:
		return fmt.Errorf("%w: negative duration", ErrConfig)
	case c.Concurrency < 0, c.MaxAttempts < 0:
		return fmt.Errorf("%w: negative Concurrency or MaxAttempts", ErrConfig)
	case c.Lease <= c.Timeout:
		return fmt.Errorf("%w: Lease %v must exceed Timeout %v", ErrConfig, c.Lease, c.Timeout)
	case c.MaxDelay < c.BaseDelay:
		return fmt.Errorf("%w: MaxDelay %v below BaseDelay %v", ErrConfig, c.MaxDelay, c.BaseDelay)
	}
	return nil
}

// backoff returns the wait after the n-th failed attempt (n ≥ 1) for a draw u in
// [0, 1): u × min(MaxDelay, BaseDelay × 2^(n-1)).
func (c Config) backoff(n int, u float64) time.Duration {
	ceiling := c.BaseDelay
	for i := 1; i < n && ceiling < c.MaxDelay; i++ {
		ceiling *= 2
	}
	return time.Duration(u * float64(min(ceiling, c.MaxDelay)))
}

// Deliverer sends the outbox's deliveries. Make one with New.
type Deliverer struct {
	cfg       Config
	store     Store
	log       *slog.Logger
	transport *http.Transport
	client    *http.Client

	slots chan struct{} // one token per request in flight
	freed chan struct{} // signalled when a request ends, so a full poll can go on
	sends sync.WaitGroup

	randMu sync.Mutex
	rand   rand.Source
}

// New returns a Deliverer over store, or ErrConfig.
func New(cfg Config, store Store, log *slog.Logger) (*Deliverer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dialer := &net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}
	if !cfg.AllowPrivateNetworks {
		dialer.Control = refusePrivate
	}
	transport := &http.Transport{
		// No proxy: the address check must see the merchant's address, not a proxy's.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
	}
	client := &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		// A redirect is an answer that is not 2xx: it fails the attempt.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Deliverer{
		cfg: cfg, store: store, log: log, transport: transport, client: client,
		slots: make(chan struct{}, cfg.Concurrency), freed: make(chan struct{}, 1), rand: cfg.Rand,
	}, nil
}

// Run delivers until ctx ends: every Poll it enqueues new events and claims as many due
// deliveries as there are free request slots, and it polls again as soon as a slot frees
// while deliveries keep coming. It waits for the requests in flight (which ctx cancels)
// before it returns ctx's error. Store errors are logged, never fatal.
func (d *Deliverer) Run(ctx context.Context) error {
	defer d.transport.CloseIdleConnections()
	defer d.sends.Wait()
	t := time.NewTicker(d.cfg.Poll)
	defer t.Stop()
	for {
		_, full, err := d.poll(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.Error("webhook poll", "err", err)
		}
		var wake <-chan struct{}
		if full {
			wake = d.freed
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-wake:
		}
	}
}

// Step enqueues, claims up to Concurrency due deliveries, sends them and waits until
// each attempt is recorded; it returns how many it sent. It is Run's unit of work, for
// tests and callers with their own schedule.
func (d *Deliverer) Step(ctx context.Context) (int, error) {
	n, _, err := d.poll(ctx)
	d.sends.Wait()
	return n, err
}

// CloseIdleConnections closes the kept-alive connections to merchants (Run does it
// when it returns; callers of Step do it when done).
func (d *Deliverer) CloseIdleConnections() { d.transport.CloseIdleConnections() }

// poll enqueues, then claims as many deliveries as there are free slots and starts
// sending them. full reports that every free slot was used (more may be due).
func (d *Deliverer) poll(ctx context.Context) (started int, full bool, err error) {
	now := d.cfg.Clock.Now()
	if _, err = d.store.Enqueue(ctx, now); err != nil {
		err = fmt.Errorf("enqueue: %w", err) // go on: deliveries already due can still go
	}
	free := cap(d.slots) - len(d.slots) // only poll takes slots, so they stay free
	if free == 0 {
		return 0, true, err
	}
	batch, cerr := d.store.Claim(ctx, now, d.cfg.Lease, free)
	if cerr != nil {
		return 0, false, errors.Join(err, fmt.Errorf("claim: %w", cerr))
	}
	for _, dl := range batch {
		d.slots <- struct{}{}
		d.sends.Go(func() {
			defer d.release()
			d.deliver(ctx, dl)
		})
	}
	return len(batch), len(batch) == free, err
}

func (d *Deliverer) release() {
	<-d.slots
	select {
	case d.freed <- struct{}{}:
	default:
	}
}

// deliver makes one attempt at dl and records it.
func (d *Deliverer) deliver(ctx context.Context, dl Delivery) {
	n := dl.Tries + 1
	var a Attempt
	if dl.URL == "" {
		a = Attempt{At: d.cfg.Clock.Now(), Error: "merchant has no webhook URL"}
		d.record(ctx, dl, a, a.At, true)
		return
	}
	a = d.send(ctx, dl, n)
	if a.StatusCode == 0 && ctx.Err() != nil {
		// Our shutdown cut the request: not the merchant's failure. The lease runs out
		// and another poll sends it again.
		return
	}
	end := d.cfg.Clock.Now()
	done := a.OK() || n >= d.cfg.MaxAttempts
	next := end
	if !done {
		next = end.Add(d.cfg.backoff(n, d.uniform()))
	}
	d.record(ctx, dl, a, next, done)
	switch {
	case !a.OK() && done:
		d.log.Warn("webhook dead", "delivery", dl.ID, "event", dl.EventID, "merchant", dl.MerchantID,
			"attempts", n, "status", a.StatusCode, "err", a.Error)
	case !a.OK():
		d.log.Info("webhook retry", "delivery", dl.ID, "event", dl.EventID, "attempt", n,
			"status", a.StatusCode, "err", a.Error, "next", next)
	}
}

// record saves the attempt even if ctx has just ended: the request was answered.
func (d *Deliverer) record(ctx context.Context, dl Delivery, a Attempt, next time.Time, done bool) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	a.At = a.At.Truncate(time.Microsecond)
	if err := d.store.Record(rctx, dl.ID, a, next.Truncate(time.Microsecond), done); err != nil {
		d.log.Error("webhook record", "delivery", dl.ID, "err", err)
	}
}

// send POSTs the signed payload of dl as its n-th attempt.
func (d *Deliverer) send(ctx context.Context, dl Delivery, n int) Attempt {
	start := d.cfg.Clock.Now()
	a := Attempt{At: start}
	body, err := json.Marshal(NewPayload(dl))
	if err != nil {
		a.Error = "encode: " + err.Error()
		return a
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.URL, bytes.NewReader(body))
	if err != nil {
		a.Error = clip("request: " + err.Error())
		return a
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", d.cfg.UserAgent)
	h.Set(HeaderSignature, signature.Sign([]byte(dl.Secret), start, body))
	h.Set(HeaderEventID, dl.EventID)
	h.Set(HeaderOrderSeq, strconv.FormatInt(dl.Event.Seq, 10))
	h.Set(HeaderDeliveryID, dl.ID)
	h.Set(HeaderAttempt, strconv.Itoa(n))
	began := time.Now() // the wall clock measures; the injected one schedules
	resp, err := d.client.Do(req)
	if err == nil {
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseRead))
		_ = resp.Body.Close()
		a.StatusCode = resp.StatusCode
		if err != nil && a.OK() {
			err = nil // answered 2xx; a broken body after that does not matter
		}
	}
	a.Duration = time.Since(began)
	if err != nil {
		a.Error = describe(err, d.cfg.Timeout)
	}
	return a
}

// describe turns a client error into the short text saved with the attempt.
func describe(err error, timeout time.Duration) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Sprintf("timeout after %v", timeout)
	}
	if errors.Is(err, ErrPrivateAddress) {
		return ErrPrivateAddress.Error()
	}
	return clip(err.Error())
}

func clip(s string) string {
	if len(s) > maxErrorLen {
		return s[:maxErrorLen] + "…"
	}
	return s
}

// uniform draws the jitter fraction in [0, 1).
func (d *Deliverer) uniform() float64 {
	d.randMu.Lock()
	defer d.randMu.Unlock()
	return float64(d.rand.Uint64()>>11) / (1 << 53)
}
