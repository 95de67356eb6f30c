package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// slot is one place in the cluster: a fixed port, so that its URL stays valid for the
// simulated users, and the process currently serving it (a replacement after a kill).
type slot struct {
	n    int // 1-based
	port int
	gen  int
	name string // HUMMINGBIRD_INSTANCE of the current process
	p    *proc
}

func (s *slot) url() string { return "http://127.0.0.1:" + strconv.Itoa(s.port) }

// cluster is the run's instances of `hummingbird serve`.
type cluster struct {
	bin, dir string
	env      []string // shared by every instance
	db       *scratchDB
	slots    []*slot
}

func newCluster(n int, bin, dir string, env []string, db *scratchDB) (*cluster, error) {
	c := &cluster{bin: bin, dir: dir, env: env, db: db}
	for i := range n {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		c.slots = append(c.slots, &slot{n: i + 1, port: port})
	}
	return c, nil
}

// urls returns the instances' base URLs, one per slot.
func (c *cluster) urls() []string {
	var u []string
	for _, s := range c.slots {
		u = append(u, s.url())
	}
	return u
}

// start launches a new process in s (a fresh instance name) and waits for its
// "listening" line.
func (c *cluster) start(ctx context.Context, s *slot) error {
	s.gen++
	s.name = "n" + strconv.Itoa(s.n)
	if s.gen > 1 {
		s.name += "." + strconv.Itoa(s.gen)
	}
	env := append([]string{
		"HUMMINGBIRD_ADDR=127.0.0.1:" + strconv.Itoa(s.port),
		"HUMMINGBIRD_ADVERTISE_URL=" + s.url(),
		"HUMMINGBIRD_INSTANCE=" + s.name,
	}, c.env...)
	logPath := filepath.Join(c.dir, "n"+strconv.Itoa(s.n)+".log")
	p, err := startProc(s.name, c.bin, []string{"serve"}, env, logPath)
	if err != nil {
		return err
	}
	s.p = p
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	line, err := p.firstLine(sctx)
	if err != nil {
		p.kill()
		return fmt.Errorf("instance %s (log %s): %w", s.name, logPath, err)
	}
	if want := "hummingbird listening on " + s.url(); !strings.HasPrefix(line, want) {
		p.kill()
		return fmt.Errorf("instance %s printed %q, want %q… (log %s)", s.name, line, want, logPath)
	}
	return nil
}

// byName returns the slot whose current, live process is called name.
func (c *cluster) byName(name string) *slot {
	for _, s := range c.slots {
		if s.name == name && s.p != nil && s.p.alive() {
			return s
		}
	}
	return nil
}

// waitLeader polls the lease until a live instance other than not holds it.
func (c *cluster) waitLeader(ctx context.Context, within time.Duration, not string) (*slot, leader, error) {
	deadline := time.Now().Add(within)
	var last error
	for {
		l, ok, err := c.db.leader(ctx)
		if err != nil {
			last = err
		} else if ok && l.holder != not {
			if s := c.byName(l.holder); s != nil {
				return s, l, nil
			}
			last = fmt.Errorf("lease held by %q, which is not a live instance of this run", l.holder)
		} else if ok {
			last = fmt.Errorf("lease still held by %q", l.holder)
		} else {
			last = fmt.Errorf("nobody holds the dispatch lease")
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, leader{}, fmt.Errorf("no dispatch leader within %v: %v", within, last)
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// follower returns a random live slot other than the leader's.
func (c *cluster) follower(rng *rand.Rand, leaderName string) *slot {
	var live []*slot
	for _, s := range c.slots {
		if s.name != leaderName && s.p != nil && s.p.alive() {
			live = append(live, s)
		}
	}
	if len(live) == 0 {
		return nil
	}
	return live[rng.IntN(len(live))]
}

// stopAll stops every instance, all at once, and reports the first error.
func (c *cluster) stopAll() error {
	errs := make(chan error, len(c.slots))
	for _, s := range c.slots {
		go func() {
			if s.p == nil {
				errs <- nil
				return
			}
			errs <- s.p.stop()
		}()
	}
	var first error
	for range c.slots {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// quitAll sends SIGQUIT to every live instance, which makes the Go runtime print every
// goroutine's stack to stderr (the slot's log) and exit, and waits for them.
func (c *cluster) quitAll() {
	for _, s := range c.slots {
		if s.p != nil && s.p.alive() {
			_ = s.p.cmd.Process.Signal(syscall.SIGQUIT)
		}
	}
	for _, s := range c.slots {
		if s.p != nil {
			select {
			case <-s.p.done:
			case <-time.After(stopGrace):
				s.p.kill()
			}
		}
	}
}

// crashed lists instances that exited without being killed by the run.
func (c *cluster) crashed() []string {
	var out []string
	for _, s := range c.slots {
		if s.p != nil && !s.p.alive() {
			out = append(out, fmt.Sprintf("%s (%v)", s.name, s.p.exitErr()))
		}
	}
	return out
}
