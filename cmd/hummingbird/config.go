package main

import (
	"fmt"
	"log/slog"
	"strings"
	"time"
	_ "time/tzdata" // HUMMINGBIRD_OPS_TIMEZONE works on machines without a zone database

	"github.com/hummingbird-dispatch/hummingbird/api"
	"github.com/hummingbird-dispatch/hummingbird/dispatch"
)

// config is everything the server reads from the environment. docs/configuration.md
// lists each variable; only this package reads the environment.
type config struct {
	Addr     string
	LogLevel slog.Level
	// Store is the storage backend: "memory" (the default) or "postgres".
	Store string
	// PostgresURL is the database of the postgres store (HUMMINGBIRD_POSTGRES_URL).
	PostgresURL string
	API         api.Config
	Feed        api.FeedConfig
	Dispatch    dispatch.Config
	// Cluster joins instances into one system (HUMMINGBIRD_REDIS_ADDR and friends).
	Cluster clusterConfig
	// WebhookAllowPrivate lets merchant webhooks reach loopback and private addresses
	// (HUMMINGBIRD_WEBHOOK_ALLOW_PRIVATE=1; for tests and one-machine setups).
	WebhookAllowPrivate bool
}

// loadConfig reads HUMMINGBIRD_* variables through getenv and validates them once.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{Addr: "127.0.0.1:8080", Store: "memory"}
	var errs []string
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	dur := func(name string, dst *time.Duration) {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				errs = append(errs, fmt.Sprintf("%s=%q: want a positive duration such as 30s", name, v))
				return
			}
			*dst = d
		}
	}
	str("HUMMINGBIRD_ADDR", &c.Addr)
	str("HUMMINGBIRD_STORE", &c.Store)
	str("HUMMINGBIRD_POSTGRES_URL", &c.PostgresURL)
	str("HUMMINGBIRD_PUBLIC_URL", &c.API.PublicURL)
	str("HUMMINGBIRD_ADMIN_TOKEN", &c.API.AdminToken)
	str("HUMMINGBIRD_TILE_URL", &c.API.TileURL)
	str("HUMMINGBIRD_TILE_ATTRIBUTION", &c.API.TileAttribution)
	if v := getenv("HUMMINGBIRD_OPS_TIMEZONE"); v != "" {
		loc, err := time.LoadLocation(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("HUMMINGBIRD_OPS_TIMEZONE=%q: want an IANA time zone such as Europe/Paris", v))
		}
		c.Feed.Day = loc
	}
	if v := c.API.TileURL; v != "" && !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
		errs = append(errs, fmt.Sprintf("HUMMINGBIRD_TILE_URL=%q: want an http(s) URL template with {z}/{x}/{y}", v))
	}
	if v := getenv("HUMMINGBIRD_PAYMENT_SECRETS"); v != "" {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				c.API.PaymentSecrets = append(c.API.PaymentSecrets, []byte(s))
			}
		}
	}
	dur("HUMMINGBIRD_ROUND", &c.Dispatch.Round)
	dur("HUMMINGBIRD_OFFER_TTL", &c.Dispatch.OfferTTL)
	dur("HUMMINGBIRD_CROWD_OFFER_TTL", &c.Dispatch.CrowdOfferTTL)
	dur("HUMMINGBIRD_FRANCHISE_WINDOW", &c.Dispatch.FranchiseWindow)
	dur("HUMMINGBIRD_CROWD_STEP", &c.Dispatch.CrowdStep)
	dur("HUMMINGBIRD_PAYMENT_TIMEOUT", &c.Dispatch.PaymentTimeout)
	if v := getenv("HUMMINGBIRD_LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Sprintf("HUMMINGBIRD_LOG_LEVEL=%q: want debug, info, warn or error", v))
		}
	}
	errs = append(errs, c.storeErrors()...)
	var cerrs []string
	c.Cluster, cerrs = loadClusterConfig(getenv, c.Store)
	errs = append(errs, cerrs...)
	switch v := getenv("HUMMINGBIRD_WEBHOOK_ALLOW_PRIVATE"); v {
	case "", "0", "false":
	case "1", "true":
		c.WebhookAllowPrivate = true
	default:
		errs = append(errs, fmt.Sprintf("HUMMINGBIRD_WEBHOOK_ALLOW_PRIVATE=%q: want 1 or 0", v))
	}
	if err := c.Dispatch.Validate(); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return c, usageError{fmt.Errorf("configuration: %s", strings.Join(errs, "; "))}
	}
	if c.API.PublicURL == "" {
		c.API.PublicURL = "http://" + c.Addr
	}
	return c, nil
}

// storeErrors validates the store selection: memory needs nothing, postgres needs a
// postgres:// URL, and a URL without the postgres store is refused rather than ignored
// (the server would silently keep everything in memory).
func (c config) storeErrors() []string {
	switch c.Store {
	case "memory":
		if c.PostgresURL != "" {
			return []string{"HUMMINGBIRD_POSTGRES_URL is set but HUMMINGBIRD_STORE is \"memory\": set HUMMINGBIRD_STORE=postgres to use it, or unset the URL"}
		}
	case "postgres":
		switch u := c.PostgresURL; {
		case u == "":
			return []string{"HUMMINGBIRD_STORE=postgres needs HUMMINGBIRD_POSTGRES_URL (postgres://user:password@host:5432/db?sslmode=…)"}
		case !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://"):
			return []string{"HUMMINGBIRD_POSTGRES_URL: want a postgres:// URL such as postgres://user:password@host:5432/db?sslmode=require"}
		}
	default:
		return []string{fmt.Sprintf("HUMMINGBIRD_STORE=%q: want \"memory\" or \"postgres\"", c.Store)}
	}
	return nil
}
