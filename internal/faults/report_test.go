package faults

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestFinalLineAndVerdict(t *testing.T) {
	rep := Report{Orders: 500, Faults: 12, P99: 3140 * time.Millisecond}
	if got, want := rep.FinalLine(), "orders 500, faults 12, lost 0, double-assigned 0, paid→assigned p99 3.1s"; got != want {
		t.Fatalf("FinalLine() = %q, want %q", got, want)
	}
	if rep.Failed() {
		t.Fatal("a run with nothing lost or doubled failed")
	}
	for _, bad := range []Report{{Lost: []string{"ord_1 (picked_up)"}}, {Doubled: []string{"ord_2: …"}}} {
		if !bad.Failed() {
			t.Errorf("%+v did not fail", bad)
		}
	}
	var b bytes.Buffer
	rep.Lost = []string{"ord_1 (assigned)"}
	rep.Print(&b)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if last := lines[len(lines)-1]; last != rep.FinalLine() {
		t.Fatalf("Print ends with %q, want the final line %q", last, rep.FinalLine())
	}
	if !strings.Contains(b.String(), "ord_1 (assigned)") {
		t.Fatalf("Print does not list the lost order:\n%s", b.String())
	}
}

func TestPlanCoversEveryFaultEarly(t *testing.T) {
	// The small test run takes the first four: each kind must be among them.
	seen := map[string]bool{}
	for _, f := range Plan[:4] {
		seen[f] = true
	}
	for _, k := range []string{KillLeader, KillFollower, RedisRestart, DropSockets} {
		if !seen[k] {
			t.Errorf("%q not among the first four faults of the plan", k)
		}
	}
}
