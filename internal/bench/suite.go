package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/internal/mdrp"
)

// Result is one instance's replay, checked and scored.
type Result struct {
	Name       string
	Metrics    mdrp.Metrics
	Violations []mdrp.Violation
	Elapsed    time.Duration
	// Unservable counts the orders no courier could pick up within its shift
	// (mdrp.Instance.Unservable): no solution delivers them.
	Unservable int
	// Rescues diagnoses each order the run left undelivered.
	Rescues []mdrp.Rescue
}

// Instances expands each argument into instance folders: a folder holding orders.txt is
// an instance, any other folder stands for the instance folders directly inside it.
func Instances(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		if isInstance(a) {
			out = append(out, a)
			continue
		}
		subs, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		n := len(out)
		for _, s := range subs {
			if p := filepath.Join(a, s.Name()); s.IsDir() && isInstance(p) {
				out = append(out, p)
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("%s: no MDRP instance (a folder with orders.txt) here or directly inside", a)
		}
	}
	return out, nil
}

func isInstance(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, "orders.txt"))
	return err == nil && st.Mode().IsRegular()
}

// Options control a suite run.
type Options struct {
	// Workers replay instances in parallel [1].
	Workers int
	// Out, when set, receives the three solution files of each instance in Out/<name>/.
	Out string
	// Progress, when set, is called after each instance (from one goroutine at a time).
	Progress func(done, total int, name string)
	// Knobs are "Name=value" policy settings applied over the defaults (see SetKnob).
	Knobs []string
}

// RunAll loads, replays, checks and scores every instance folder, in parallel, and
// returns the results in the order of dirs. It stops at the first error.
func RunAll(ctx context.Context, dirs []string, opt Options) ([]Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]Result, len(dirs))
	jobs := make(chan int)
	var mu sync.Mutex
	var first error
	done := 0
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
			cancel()
		}
	}
	var wg sync.WaitGroup
	for range max(1, opt.Workers) {
		wg.Go(func() {
			for i := range jobs {
				r, err := one(ctx, dirs[i], opt)
				if err != nil {
					fail(err)
					continue
				}
				results[i] = r
				mu.Lock()
				done++
				if opt.Progress != nil {
					opt.Progress(done, len(dirs), r.Name)
				}
				mu.Unlock()
			}
		})
	}
	for i := range dirs {
		select {
		case jobs <- i:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return results, ctx.Err()
}

// one replays a single instance.
func one(ctx context.Context, dir string, opt Options) (Result, error) {
	out := opt.Out
	start := time.Now()
	in, err := mdrp.Load(dir)
	if err != nil {
		return Result{}, err
	}
	cfg, err := Config(in)
	if err != nil {
		return Result{}, err
	}
	for _, k := range opt.Knobs {
		if err := SetKnob(&cfg, k); err != nil {
			return Result{}, err
		}
	}
	sol, err := Replay(ctx, in, cfg)
	if err != nil {
		return Result{}, err
	}
	r := Result{Name: in.Name, Metrics: mdrp.Evaluate(in, sol), Violations: mdrp.Check(in, sol),
		Unservable: len(in.Unservable()), Rescues: mdrp.Rescues(in, sol)}
	r.Elapsed = time.Since(start)
	if out != "" {
		if err := os.MkdirAll(filepath.Join(out, in.Name), 0o755); err != nil {
			return Result{}, err
		}
		if err := mdrp.WriteSolution(filepath.Join(out, in.Name), sol); err != nil {
			return Result{}, err
		}
	}
	return r, nil
}

// Seeds groups results by the instance name's seed digit (its first character), in
// order of first appearance.
func Seeds(rs []Result) (names []string, groups map[string][]Result) {
	groups = map[string][]Result{}
	for _, r := range rs {
		s := r.Name[:1]
		if _, ok := groups[s]; !ok {
			names = append(names, s)
		}
		groups[s] = append(groups[s], r)
	}
	slices.Sort(names)
	return names, groups
}
