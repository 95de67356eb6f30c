package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// Lease is who holds the dispatch lease: the holder's instance id, the base URL other
// instances forward calls to, and the epoch that fences the holder's assignments.
type Lease struct {
	Holder string
	Addr   string
	Epoch  int64
}

// Leases is the shared lease record (a Postgres row in production).
type Leases interface {
	// Acquire takes or renews the lease for holder; ok reports whether holder has it.
	// Either way the returned lease is the current one.
	Acquire(ctx context.Context, holder, addr string, ttl time.Duration) (l Lease, ok bool, err error)
	// Release gives the lease up if holder has it.
	Release(ctx context.Context, holder string) error
	// Current returns the live lease, or an error when nobody holds one.
	Current(ctx context.Context) (Lease, error)
}

// Config tunes a Node. Zero values take the defaults in brackets.
type Config struct {
	// Instance names this process in the lease (unique per process).
	Instance string
	// Addr is the base URL other instances forward calls to (http://host:port).
	Addr string
	// TTL is how long a lease lives without renewal [5s]; the holder renews every TTL/3
	// and gives up leading when it could not renew for 2/3 of TTL, before anyone else
	// may take over.
	TTL time.Duration
}

// Term is one period of leadership: the engine built for it and what stops it.
type Term struct {
	Engine *dispatch.Engine
	// Run runs the term's background work (the engine's rounds) until ctx ends.
	Run func(ctx context.Context) error
}

// Node keeps this instance's place in the cluster: it competes for the dispatch lease,
// starts a fresh engine (built by newTerm with the lease's epoch, so that its store is
// fenced) when it wins, stops it when it loses, and re-registers the couriers held here
// whenever the leader changes.
//
// Concurrency: Run owns every goroutine the node starts and waits for them.
type Node struct {
	cfg     Config
	leases  Leases
	sw      *Switch
	newTerm func(ctx context.Context, epoch int64) (Term, error)
	log     *slog.Logger

	mu     sync.RWMutex
	leader Lease
}

// NewNode returns a node. newTerm builds and starts the engine for a term of
// leadership with the given epoch.
func NewNode(cfg Config, leases Leases, sw *Switch, newTerm func(ctx context.Context, epoch int64) (Term, error), log *slog.Logger) *Node {
	if cfg.TTL <= 0 {
		cfg.TTL = 5 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Node{cfg: cfg, leases: leases, sw: sw, newTerm: newTerm, log: log}
}

// LeaderURL returns the base URL of the current leader as last seen, reading the lease
// when none was seen yet.
func (n *Node) LeaderURL(ctx context.Context) (string, error) {
	n.mu.RLock()
	addr := n.leader.Addr
	n.mu.RUnlock()
	if addr != "" {
		return addr, nil
	}
	return n.LookupLeader(ctx)
}

// LookupLeader reads the lease now (a forwarded call found the last known leader gone)
// and remembers what it found.
func (n *Node) LookupLeader(ctx context.Context) (string, error) {
	l, err := n.leases.Current(ctx)
	if err != nil {
		return "", err
	}
	if l.Addr == "" {
		return "", errors.New("no instance holds the dispatch lease")
	}
	n.mu.Lock()
	if l.Epoch >= n.leader.Epoch {
		n.leader = l
	}
	n.mu.Unlock()
	return l.Addr, nil
}

// Leader returns the lease as last seen.
func (n *Node) Leader() Lease {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.leader
}

// Run competes for the lease until ctx ends, then stops leading and releases the lease
// so that another instance takes over at once.
func (n *Node) Run(ctx context.Context) error {
	var (
		stop      func() // ends the current term of leadership; nil while following
		lastRenew time.Time
		seen      int64 // epoch the held couriers were last registered under
		wg        sync.WaitGroup
		rehome    = make(chan struct{}, 1)
	)
	wg.Add(1)
	go func() { // re-registers held couriers after a change of leader, one pass at a time
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case <-rehome:
				n.sw.Rehome(ctx)
			}
		}
	}()
	defer wg.Wait()
	tick := time.NewTicker(n.cfg.TTL / 3)
	defer tick.Stop()
	for {
		// A renewal that hangs must not keep a leader leading past its lease: the
		// attempt gets a third of the TTL, like the pause between attempts.
		actx, cancel := context.WithTimeout(ctx, n.cfg.TTL/3)
		l, ok, err := n.leases.Acquire(actx, n.cfg.Instance, n.cfg.Addr, n.cfg.TTL)
		cancel()
		now := time.Now()
		switch {
		case err != nil:
			n.log.Warn("cluster: lease", "err", err)
			if stop != nil && now.Sub(lastRenew) > 2*n.cfg.TTL/3 {
				n.log.Warn("cluster: could not renew the dispatch lease in time; stepping down")
				stop()
				stop = nil
			}
		case ok:
			lastRenew = now
			if stop == nil {
				t, err := n.start(ctx, l.Epoch)
				if err != nil {
					n.log.Error("cluster: start leading", "epoch", l.Epoch, "err", err)
					_ = n.leases.Release(ctx, n.cfg.Instance)
				} else {
					stop = t
					n.log.Info("cluster: leading dispatch", "epoch", l.Epoch)
				}
			}
		default:
			if stop != nil {
				n.log.Warn("cluster: lost the dispatch lease", "holder", l.Holder, "epoch", l.Epoch)
				stop()
				stop = nil
			}
		}
		if err == nil {
			n.mu.Lock()
			n.leader = l
			n.mu.Unlock()
			if l.Epoch != seen && (ok == (stop != nil)) {
				seen = l.Epoch
				select {
				case rehome <- struct{}{}:
				default:
				}
			}
		}
		select {
		case <-ctx.Done():
			if stop != nil {
				stop()
				rctx, cancel := context.WithTimeout(context.Background(), n.cfg.TTL)
				_ = n.leases.Release(rctx, n.cfg.Instance)
				cancel()
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// start builds the term's engine, makes it the switch's local engine and runs it; the
// returned function ends the term and waits for it.
func (n *Node) start(ctx context.Context, epoch int64) (stop func(), err error) {
	tctx, cancel := context.WithCancel(ctx)
	t, err := n.newTerm(tctx, epoch)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("term %d: %w", epoch, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := t.Run(tctx); err != nil && !errors.Is(err, context.Canceled) {
			n.log.Error("cluster: term stopped", "epoch", epoch, "err", err)
		}
	}()
	n.sw.SetLocal(t.Engine)
	return func() {
		n.sw.SetLocal(nil)
		cancel()
		<-done
	}, nil
}
