package redis

import (
	"net"
	"sync"
	"testing"
)

// deadAddr returns a loopback address where nothing listens.
func deadAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// proxy forwards TCP connections to Redis and can go down and come back on the same
// address, which is what a client sees when Redis restarts: connections reset, then
// refused, then accepted again. It stands in for restarting the shared test Redis,
// which other tests are using.
type proxy struct {
	target, addr string

	mu     sync.Mutex
	ln     net.Listener // nil while down
	conns  map[net.Conn]struct{}
	frozen bool
	gate   sync.RWMutex // write-held while frozen: bytes are read but not forwarded
	wg     sync.WaitGroup
}

// startProxy returns a running proxy to target; the test's cleanup takes it down.
func startProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{target: target, addr: ln.Addr().String(), conns: map[net.Conn]struct{}{}}
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

// serve starts accepting on ln.
func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.pipe(c)
		}
	})
}

// pipe connects c to the target in both directions until either side closes.
func (p *proxy) pipe(c net.Conn) {
	r, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // went down meanwhile
		p.mu.Unlock()
		_ = c.Close()
		_ = r.Close()
		return
	}
	p.conns[c], p.conns[r] = struct{}{}, struct{}{}
	p.mu.Unlock()
	for _, dir := range [][2]net.Conn{{c, r}, {r, c}} {
		p.wg.Go(func() {
			p.copy(dir[0], dir[1])
			_ = dir[0].Close()
			_ = dir[1].Close()
		})
	}
}

// copy forwards src to dst until either fails, holding each chunk while frozen.
func (p *proxy) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.gate.RLock()
			_, werr := dst.Write(buf[:n])
			p.gate.RUnlock()
			if werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// freeze keeps every connection open but stops forwarding: a network partition, or a
// Redis that hangs. New connections are accepted and stall too.
func (p *proxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.frozen {
		p.gate.Lock()
		p.frozen = true
	}
}

// thaw forwards again, starting with what was held.
func (p *proxy) thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frozen {
		p.gate.Unlock()
		p.frozen = false
	}
}

// down closes the listener and every connection, and waits for the proxy's goroutines.
func (p *proxy) down() {
	p.thaw()
	p.mu.Lock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
	p.mu.Unlock()
	p.wg.Wait()
}

// up listens on the proxy's address again.
func (p *proxy) up(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("proxy back up on %s: %v", p.addr, err)
	}
	p.serve(ln)
}
