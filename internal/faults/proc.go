package faults

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a process asked to stop with SIGTERM gets before SIGKILL.
const stopGrace = 10 * time.Second

// proc is one child process. Its stderr (and its stdout after the first line) go to a
// log file; the first stdout line is handed to whoever waits for it.
//
// Concurrency: kill, stop and alive are safe from any goroutine; the process's own
// goroutines (one copying stdout, one waiting) end when it exits.
type proc struct {
	name  string
	cmd   *exec.Cmd
	log   *os.File
	first chan string // receives the first stdout line, then is closed
	done  chan struct{}
	mu    sync.Mutex
	err   error // the exit status, once done is closed
}

// startProc starts bin with args and env (added to nothing: the child sees only env and
// PATH), writing its output to logPath.
func startProc(name, bin string, args, env []string, logPath string) (*proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	cmd.Stderr = f
	cmd.SysProcAttr = sysProcAttr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		f.Close()
		return nil, err
	}
	fmt.Fprintf(f, "=== %s: %s %s\n", time.Now().Format(time.RFC3339Nano), bin, strings.Join(args, " "))
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: f, first: make(chan string, 1), done: make(chan struct{})}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		r := bufio.NewReader(out)
		line, err := r.ReadString('\n')
		if err == nil {
			p.first <- strings.TrimSpace(line)
			fmt.Fprintf(f, "[stdout] %s", line)
		}
		close(p.first)
		_, _ = io.Copy(f, r)
	}()
	go func() {
		<-copied // Wait closes the pipe: read it to the end first
		err := cmd.Wait()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		fmt.Fprintf(f, "=== %s: exited: %v\n", time.Now().Format(time.RFC3339Nano), err)
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// firstLine waits for the first stdout line, the process's exit or ctx.
func (p *proc) firstLine(ctx context.Context) (string, error) {
	select {
	case line, ok := <-p.first:
		if !ok {
			<-p.done
			return "", fmt.Errorf("%s exited before printing anything: %v", p.name, p.exitErr())
		}
		return line, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (p *proc) exitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// alive reports whether the process has not exited.
func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and waits for the exit.
func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM, waits up to stopGrace, then kills.
func (p *proc) stop() error {
	if !p.alive() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		var ee *exec.ExitError
		if err := p.exitErr(); err != nil && !errors.As(err, &ee) {
			return err
		}
		return nil
	case <-time.After(stopGrace):
		p.kill()
		return fmt.Errorf("%s did not stop within %v of SIGTERM; killed", p.name, stopGrace)
	}
}
