package main

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// envOf returns a getenv over vars.
func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := loadConfig(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.Store != "memory" || c.LogLevel != slog.LevelInfo ||
		c.API.PublicURL != "http://127.0.0.1:8080" || c.API.AdminToken != "" || len(c.API.PaymentSecrets) != 0 ||
		c.Dispatch.Round != 0 {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestLoadConfigValues(t *testing.T) {
	c, err := loadConfig(envOf(map[string]string{
		"HUMMINGBIRD_ADDR":             "127.0.0.1:9000",
		"HUMMINGBIRD_PUBLIC_URL":       "https://track.example",
		"HUMMINGBIRD_ADMIN_TOKEN":      "adm",
		"HUMMINGBIRD_PAYMENT_SECRETS":  " whsec_new, ,whsec_old ",
		"HUMMINGBIRD_ROUND":            "500ms",
		"HUMMINGBIRD_OFFER_TTL":        "20s",
		"HUMMINGBIRD_CROWD_OFFER_TTL":  "40s",
		"HUMMINGBIRD_FRANCHISE_WINDOW": "2m",
		"HUMMINGBIRD_CROWD_STEP":       "15s",
		"HUMMINGBIRD_PAYMENT_TIMEOUT":  "5m",
		"HUMMINGBIRD_LOG_LEVEL":        "debug",
		"HUMMINGBIRD_TILE_URL":         "https://tiles.example/{z}/{x}/{y}.png",
		"HUMMINGBIRD_OPS_TIMEZONE":     "UTC",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	for _, s := range c.API.PaymentSecrets {
		secrets = append(secrets, string(s))
	}
	d := c.Dispatch
	if c.Addr != "127.0.0.1:9000" || c.API.PublicURL != "https://track.example" || c.API.AdminToken != "adm" ||
		!slices.Equal(secrets, []string{"whsec_new", "whsec_old"}) || c.LogLevel != slog.LevelDebug ||
		d.Round != 500*time.Millisecond || d.OfferTTL != 20*time.Second || d.CrowdOfferTTL != 40*time.Second ||
		d.FranchiseWindow != 2*time.Minute || d.CrowdStep != 15*time.Second || d.PaymentTimeout != 5*time.Minute ||
		c.API.TileURL != "https://tiles.example/{z}/{x}/{y}.png" || c.Feed.Day != time.UTC {
		t.Fatalf("config %+v, secrets %q", c, secrets)
	}
}

// TestConfigErrors: every bad variable is a usage error (exit 2) that names it, and
// several are reported together.
func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string // substrings of the message
	}{
		{"duration syntax", map[string]string{"HUMMINGBIRD_ROUND": "fast"}, []string{"HUMMINGBIRD_ROUND"}},
		{"duration without unit", map[string]string{"HUMMINGBIRD_OFFER_TTL": "30"}, []string{"HUMMINGBIRD_OFFER_TTL"}},
		{"zero duration", map[string]string{"HUMMINGBIRD_PAYMENT_TIMEOUT": "0s"}, []string{"HUMMINGBIRD_PAYMENT_TIMEOUT"}},
		{"negative duration", map[string]string{"HUMMINGBIRD_CROWD_STEP": "-1s"}, []string{"HUMMINGBIRD_CROWD_STEP"}},
		{"unknown store", map[string]string{"HUMMINGBIRD_STORE": "mysql"}, []string{"HUMMINGBIRD_STORE"}},
		{"postgres without URL", map[string]string{"HUMMINGBIRD_STORE": "postgres"},
			[]string{"HUMMINGBIRD_POSTGRES_URL", "HUMMINGBIRD_STORE=postgres"}},
		{"postgres URL syntax", map[string]string{"HUMMINGBIRD_STORE": "postgres", "HUMMINGBIRD_POSTGRES_URL": "db.example:5432"},
			[]string{"HUMMINGBIRD_POSTGRES_URL"}},
		{"URL with the memory store", map[string]string{"HUMMINGBIRD_POSTGRES_URL": "postgres://db.example/hb"},
			[]string{"HUMMINGBIRD_POSTGRES_URL", "HUMMINGBIRD_STORE"}},
		{"log level", map[string]string{"HUMMINGBIRD_LOG_LEVEL": "loud"}, []string{"HUMMINGBIRD_LOG_LEVEL"}},
		{"tile URL", map[string]string{"HUMMINGBIRD_TILE_URL": "tiles/{z}/{x}/{y}.png"}, []string{"HUMMINGBIRD_TILE_URL"}},
		{"time zone", map[string]string{"HUMMINGBIRD_OPS_TIMEZONE": "Mars/Olympus"}, []string{"HUMMINGBIRD_OPS_TIMEZONE"}},
		{"all at once", map[string]string{"HUMMINGBIRD_ROUND": "x", "HUMMINGBIRD_STORE": "redis"},
			[]string{"HUMMINGBIRD_ROUND", "HUMMINGBIRD_STORE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConfig(envOf(tc.env))
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("loadConfig: %v, want a usage error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
			for _, cmd := range []string{"serve", "demo"} {
				var stdout, stderr strings.Builder
				if code := run(context.Background(), []string{cmd}, &stdout, &stderr, envOf(tc.env)); code != 2 {
					t.Errorf("%s: exit code %d, want 2 (stderr %q)", cmd, code, stderr.String())
				}
				if !strings.Contains(stderr.String(), tc.want[0]) || stdout.Len() != 0 {
					t.Errorf("%s: stdout %q, stderr %q; want the error on stderr only", cmd, stdout.String(), stderr.String())
				}
			}
		})
	}
}

// TestRunCommands: exit codes of the command line that start nothing.
func TestRunCommands(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		code       int
		usageOnOut bool // the usage text goes to stdout (help) rather than stderr
	}{
		{nil, 2, false},
		{[]string{"help"}, 0, true},
		{[]string{"-h"}, 0, true},
		{[]string{"--help"}, 0, true},
		{[]string{"launch"}, 2, false},
		{[]string{"serve", "--port", "80"}, 2, false},
		{[]string{"demo", "--duration", "soon"}, 2, false},
		{[]string{"demo", "--rate", "0"}, 2, false},
		{[]string{"demo", "--speed", "0.5"}, 2, false},
		{[]string{"demo", "--franchise", "0", "--crowd", "0"}, 2, false},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := run(context.Background(), tc.args, &stdout, &stderr, envOf(nil))
			if code != tc.code {
				t.Fatalf("exit code %d, want %d (stderr %q)", code, tc.code, stderr.String())
			}
			out := stderr.String()
			if tc.usageOnOut {
				out = stdout.String()
			}
			if tc.code == 0 || len(tc.args) <= 1 {
				if !strings.Contains(out, "usage: hummingbird <command>") {
					t.Fatalf("stdout %q, stderr %q: want the usage text", stdout.String(), stderr.String())
				}
			} else if stderr.Len() == 0 {
				t.Fatal("nothing on stderr")
			}
		})
	}
}

// TestServeListenError: an address that cannot be bound is a runtime error (exit 1).
func TestServeListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{"serve"}, &stdout, &stderr,
		envOf(map[string]string{"HUMMINGBIRD_ADDR": ln.Addr().String(), "HUMMINGBIRD_ADMIN_TOKEN": "adm"}))
	if code != 1 || !strings.Contains(stderr.String(), "listen") || stdout.Len() != 0 {
		t.Fatalf("exit code %d, stdout %q, stderr %q; want 1 and the listen error", code, stdout.String(), stderr.String())
	}
}

func TestClusterConfig(t *testing.T) {
	base := map[string]string{"HUMMINGBIRD_STORE": "postgres", "HUMMINGBIRD_POSTGRES_URL": "postgres://u@h/db",
		"HUMMINGBIRD_REDIS_ADDR": "127.0.0.1:6379", "HUMMINGBIRD_CLUSTER_SECRET": "0123456789abcdef"}
	env := func(over map[string]string) func(string) string {
		m := maps.Clone(base)
		maps.Copy(m, over)
		return func(k string) string { return m[k] }
	}
	c, err := loadConfig(env(map[string]string{"HUMMINGBIRD_RATE_LIMIT": "20/40", "HUMMINGBIRD_LEASE_TTL": "3s"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Cluster.RedisAddr != "127.0.0.1:6379" || c.Cluster.RedisPrefix != "hb" || c.Cluster.LeaseTTL != 3*time.Second ||
		c.Cluster.Limit.Rate != 20 || c.Cluster.Limit.Burst != 40 || c.Cluster.Instance == "" {
		t.Fatalf("cluster config %+v", c.Cluster)
	}
	for name, over := range map[string]map[string]string{
		"memory store":    {"HUMMINGBIRD_STORE": "memory", "HUMMINGBIRD_POSTGRES_URL": ""},
		"short secret":    {"HUMMINGBIRD_CLUSTER_SECRET": "short"},
		"bad advertise":   {"HUMMINGBIRD_ADVERTISE_URL": "10.0.0.1:8080"},
		"bad lease ttl":   {"HUMMINGBIRD_LEASE_TTL": "10ms"},
		"bad rate limit":  {"HUMMINGBIRD_RATE_LIMIT": "fast"},
		"zero burst":      {"HUMMINGBIRD_RATE_LIMIT": "5/0"},
		"private webhook": {"HUMMINGBIRD_WEBHOOK_ALLOW_PRIVATE": "yes"},
	} {
		if _, err := loadConfig(env(over)); err == nil {
			t.Errorf("%s: loadConfig accepted %v", name, over)
		}
	}
}
