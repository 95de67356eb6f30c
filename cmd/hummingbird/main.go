// Command hummingbird is Hummingbird's one binary: `serve` runs the dispatch server, `demo`
// runs the server together with a simulated city of merchants and couriers that talk to it
// over the real HTTP and WebSocket interfaces.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: hummingbird <command> [flags]

commands:
  serve   run the dispatch server (configuration from HUMMINGBIRD_* environment variables)
  demo    run the server plus a simulated city, print tracking links and KPIs
  bench   bench mdrp DIR...: replay MDRPLIB instances through the engine and score them
  sim     sim --faults: a few hundred orders through a local cluster while instances,
          Redis and courier sockets fail; prints lost and double-assigned orders
  migrate apply the Postgres schema migrations (HUMMINGBIRD_POSTGRES_URL) and exit
  help    show this text
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run executes one subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stdout, stderr, getenv)
	case "demo":
		err = demo(ctx, args[1:], stdout, stderr, getenv)
	case "bench":
		err = benchCmd(ctx, args[1:], stdout, stderr)
	case "sim":
		err = simCmd(ctx, args[1:], stdout, stderr, getenv)
	case "migrate":
		err = migrateCmd(ctx, args[1:], stdout, stderr, getenv)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "hummingbird: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "hummingbird %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(stderr, "hummingbird %s: %v\n", args[0], err)
		return 1
	}
}

// usageError marks bad flags or configuration (exit code 2).
type usageError struct{ error }
