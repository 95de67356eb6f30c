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
	Store    string
	API      api.Config
	Feed     api.FeedConfig
	Dispatch dispatch.Config
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
	if c.Store != "memory" {
		errs = append(errs, fmt.Sprintf("HUMMINGBIRD_STORE=%q: only \"memory\" is available in this build", c.Store))
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
