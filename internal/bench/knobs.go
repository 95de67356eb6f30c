package bench

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// Knobs lists the policy settings an experiment may change with SetKnob.
var Knobs = []string{"CommitLead", "ChainHorizon", "DelayWeight", "WaitWeight", "LateWeight",
	"CentralityWeight", "Candidates", "MaxBundle", "BundleWindow", "PrebundleLead", "MaxPickupTravel"}

// SetKnob applies one "Name=value" policy setting to cfg: durations as Go durations
// ("90s", "2m"), weights as numbers, counts as integers.
func SetKnob(cfg *dispatch.Config, kv string) error {
	name, val, ok := strings.Cut(kv, "=")
	if !ok {
		return fmt.Errorf("knob %q: want Name=value", kv)
	}
	dur := map[string]*time.Duration{"CommitLead": &cfg.CommitLead, "ChainHorizon": &cfg.ChainHorizon,
		"BundleWindow": &cfg.BundleWindow, "PrebundleLead": &cfg.PrebundleLead, "MaxPickupTravel": &cfg.MaxPickupTravel}
	num := map[string]*float64{"DelayWeight": &cfg.DelayWeight, "WaitWeight": &cfg.WaitWeight, "LateWeight": &cfg.LateWeight,
		"CentralityWeight": &cfg.CentralityWeight}
	cnt := map[string]*int{"Candidates": &cfg.Candidates, "MaxBundle": &cfg.MaxBundle}
	var err error
	switch {
	case dur[name] != nil:
		var d time.Duration
		if d, err = time.ParseDuration(val); err == nil && d <= 0 {
			err = fmt.Errorf("must be positive")
		}
		*dur[name] = d
	case num[name] != nil:
		var f float64
		if f, err = strconv.ParseFloat(val, 64); err == nil && !(f > 0) {
			err = fmt.Errorf("must be positive")
		}
		*num[name] = f
	case cnt[name] != nil:
		var n int
		if n, err = strconv.Atoi(val); err == nil && n < 1 {
			err = fmt.Errorf("must be at least 1")
		}
		*cnt[name] = n
	default:
		return fmt.Errorf("knob %q: unknown; known: %s", name, strings.Join(Knobs, ", "))
	}
	if err != nil {
		return fmt.Errorf("knob %s: %v", name, err)
	}
	return nil
}
