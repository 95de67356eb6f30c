package faults

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrNoRedis means redis-server is not installed where PATH looks.
var ErrNoRedis = errors.New("faults: redis-server not found in PATH (install Redis: apt-get install redis-server)")

// redisServer is the run's own Redis: no persistence, loopback only, one port for its
// whole life so that instances reconnect to a restarted one.
type redisServer struct {
	bin, dir string
	port     int
	gen      int
	p        *proc
}

func findRedis() (string, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", ErrNoRedis
	}
	return bin, nil
}

// Addr is host:port.
func (r *redisServer) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// start launches a fresh, empty redis-server and waits until it answers PING.
func (r *redisServer) start(ctx context.Context) error {
	r.gen++
	args := []string{"--port", strconv.Itoa(r.port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"}
	p, err := startProc(fmt.Sprintf("redis#%d", r.gen), r.bin, args, nil, filepath.Join(r.dir, "redis.log"))
	if err != nil {
		return err
	}
	r.p = p
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := ping(ctx, r.Addr()); err == nil {
			return nil
		} else if !p.alive() || time.Now().After(deadline) || ctx.Err() != nil {
			p.kill()
			return fmt.Errorf("redis-server on port %d did not come up (see %s): %v", r.port, filepath.Join(r.dir, "redis.log"), err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// restart SIGKILLs the server and starts an empty one on the same port.
func (r *redisServer) restart(ctx context.Context) error {
	r.p.kill()
	return r.start(ctx)
}

func (r *redisServer) close() {
	if r.p != nil {
		r.p.kill()
	}
}

// ping sends one PING in the Redis protocol and expects +PONG.
func ping(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

// freePort asks the kernel for a free loopback port. Another process could take it
// before we bind it; on loopback during a test run that is unlikely enough.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
