package main

import (
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// demoArgs runs 30 simulated minutes (30 s at ×60) at 3 orders per simulated minute.
// Measured under -race on a shared 2-CPU machine, three runs at a time: 25, 27 and 25
// orders delivered with --duration 30s; with 20s, 10–11 when the machine was quiet but
// 1, 6 and 1 under load, too close to the bound, hence 30 s.
var demoArgs = []string{"demo", "--duration", "30s", "--speed", "60", "--rate", "3"}

// TestDemo runs the demo as the command line does, with an empty environment, and
// reads its KPI table.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo runs for 30 s of wall time")
	}
	// The deadline only bounds a hang; the demo ends on its own after --duration.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr lockedBuffer
	code := run(ctx, demoArgs, &stdout, &stderr, func(string) string { return "" })
	out := stdout.String()
	if code != 0 || ctx.Err() != nil {
		t.Fatalf("demo exit code %d (context %v)\nstdout:\n%s\nstderr:\n%s", code, ctx.Err(), out, stderr.String())
	}
	row := func(name, value string) []string {
		t.Helper()
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` +` + value + `$`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("KPI row %q missing or malformed in:\n%s", name, out)
		}
		return m
	}
	atoi := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	created := atoi(row("orders created", `(\d+)`)[1])
	delivered := atoi(row("orders delivered", `(\d+)`)[1])
	franchise := atoi(row("delivered by franchise", `(\d+) \((?:\d+%|-)\)`)[1])
	crowd := atoi(row("delivered by crowd", `(\d+) \((?:\d+%|-)\)`)[1])
	t.Logf("demo: %d orders created, %d delivered (%d by franchise, %d by crowd)", created, delivered, franchise, crowd)
	if delivered < 1 || delivered > created || franchise+crowd != delivered {
		t.Fatalf("created %d, delivered %d = %d franchise + %d crowd: want at least one delivery, all accounted for\n%s",
			created, delivered, franchise, crowd, out)
	}
	if p90 := row("click-to-door p90", `(\d+\.\d) min`)[1]; p90 == "0.0" {
		t.Fatalf("click-to-door p90 is %s min with %d deliveries", p90, delivered)
	}
}
