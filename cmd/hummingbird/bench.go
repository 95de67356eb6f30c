package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/bench"
	"github.com/hummingbird-dispatch/hummingbird/internal/mdrp"
)

const benchUsage = `usage: hummingbird bench mdrp [flags] DIR...

Replays MDRPLIB instances through the dispatch engine on a virtual clock, checks every
solution against the rules, and prints every metric beside the published figures.
DIR is an instance folder or a folder of instance folders.
`

// benchCmd runs `hummingbird bench`.
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "mdrp" {
		fmt.Fprint(stderr, benchUsage)
		return usageError{errors.New("the only benchmark is mdrp")}
	}
	fs := flag.NewFlagSet("bench mdrp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "write each instance's three solution files to DIR/<instance>/")
	asJSON := fs.Bool("json", false, "print the results as JSON instead of a table")
	pubDir := fs.String("published", "", "folder of published result tables [<DIR>/published or next to the instances]")
	why := fs.Bool("undelivered", false, "after the table, list every undelivered order: how many couriers could have reached it, which routes had room")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "instances replayed in parallel")
	var knobs knobList
	fs.Var(&knobs, "knob", "policy experiment: Name=value over the defaults, repeatable ("+strings.Join(bench.Knobs, ", ")+")")
	fs.Usage = func() { fmt.Fprint(stderr, benchUsage); fs.PrintDefaults() }
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	if fs.NArg() == 0 || *workers < 1 {
		fs.Usage()
		return usageError{errors.New("need at least one DIR and workers ≥ 1")}
	}
	for _, k := range knobs {
		if err := bench.SetKnob(&dispatch.Config{}, k); err != nil {
			return usageError{err}
		}
	}
	dirs, err := bench.Instances(fs.Args())
	if err != nil {
		return usageError{err}
	}
	var pub *mdrp.Published
	if p := publishedDir(*pubDir, fs.Args()); p != "" {
		if pub, err = mdrp.LoadPublished(p); err != nil {
			return err
		}
	}
	start := time.Now()
	bar := progressBar{w: stderr}
	results, err := bench.RunAll(ctx, dirs, bench.Options{Workers: *workers, Out: *out, Progress: bar.show, Knobs: knobs})
	bar.done()
	if err != nil {
		return err
	}
	rep := bench.NewReport(results, pub)
	if *asJSON {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteTable(stdout)
		fmt.Fprintf(stdout, "%d instances in %.1fs with %d workers\n", len(results), time.Since(start).Seconds(), *workers)
	}
	if err != nil {
		return err
	}
	if *why {
		writeRescues(stdout, results)
	}
	bad := 0
	for _, r := range results {
		for _, v := range r.Violations {
			if bad < 20 {
				fmt.Fprintf(stderr, "%s: %s\n", r.Name, v)
			}
			bad++
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d rule violations: the solutions are not feasible", bad)
	}
	return nil
}

// writeRescues lists every undelivered order of every result with its diagnosis.
func writeRescues(w io.Writer, results []bench.Result) {
	fmt.Fprintln(w, "undelivered orders (able: couriers that could reach it fresh from their start; fits: routes of this run with room for it; short: minutes past the nearest shift end)")
	for _, r := range results {
		for _, x := range r.Rescues {
			fits := strings.Join(x.Fits, ",")
			if len(x.Fits) > 4 {
				fits = strings.Join(x.Fits[:4], ",") + fmt.Sprintf(",…(%d)", len(x.Fits))
			}
			fmt.Fprintf(w, "%s\torder %s\table %d\tfits %s\tshort %d\n", r.Name, x.Order, x.Able, fits, x.Short)
		}
	}
}

// publishedDir is the flag's folder, else a "published" folder inside or beside the
// first argument, else "" (no published figures).
func publishedDir(flagged string, args []string) string {
	if flagged != "" {
		return flagged
	}
	for _, c := range []string{filepath.Join(args[0], "published"), filepath.Join(filepath.Dir(filepath.Clean(args[0])), "published")} {
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c
		}
	}
	return ""
}

// progressBar draws a one-line progress bar on a terminal or log.
type progressBar struct {
	w     io.Writer
	drawn bool
}

func (b *progressBar) show(done, total int, name string) {
	const width = 30
	n := done * width / total
	fmt.Fprintf(b.w, "\r[%s%s] %d/%d %-16s", strings.Repeat("#", n), strings.Repeat(".", width-n), done, total, name)
	b.drawn = true
}

func (b *progressBar) done() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}

// knobList collects repeated --knob flags.
type knobList []string

func (k *knobList) String() string     { return strings.Join(*k, " ") }
func (k *knobList) Set(v string) error { *k = append(*k, v); return nil }
