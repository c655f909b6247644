package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
)

// hardeningFromEnv reads the input bounds and the throttling (README:
// "Bounds and throttling"). Unset variables keep the server's defaults.
func hardeningFromEnv(cfg *server.Config) error {
	l, t := server.DefaultLimits, server.DefaultThrottle
	var err error
	for _, v := range []struct {
		name   string
		target *int
		lowest int
	}{
		{"MAX_URL_BYTES", &l.MaxURLBytes, 1},
		{"MAX_NAME_BYTES", &l.MaxNameBytes, 1},
		{"MAX_README_BYTES", &l.MaxReadmeBytes, 1},
		{"MAX_REGEX_BYTES", &l.MaxRegexBytes, 1},
		{"MAX_QUERIES", &l.MaxQueries, 1},
		{"AUTH_MAX_FAILURES_PER_USER", &t.UserFailures, 1},
		{"AUTH_MAX_FAILURES_PER_ADDRESS", &t.AddressFailures, 1},
		{"AUTH_BCRYPT_CONCURRENCY", &t.BcryptConcurrency, 1},
		{"TOKEN_RATE_BURST", &t.TokenBurst, 1},
	} {
		if *v.target, err = intEnv(v.name, *v.target, v.lowest); err != nil {
			return err
		}
	}
	for _, v := range []struct {
		name   string
		target *time.Duration
	}{
		{"SEARCH_TIMEOUT", &l.SearchTimeout},
		{"AUTH_FAILURE_REFILL", &t.FailureRefill},
	} {
		if s := os.Getenv(v.name); s != "" {
			d, err := parseDuration(s)
			if err != nil || d <= 0 {
				return fmt.Errorf("%s %q: want a positive duration such as 5s or 250ms, or a number of seconds", v.name, s)
			}
			*v.target = d
		}
	}
	if s := os.Getenv("AUTH_THROTTLE"); s != "" {
		t.Off = !store.Truthy(s)
	}
	if s := os.Getenv("TOKEN_RATE_LIMIT"); s != "" {
		r, err := strconv.ParseFloat(s, 64)
		if err != nil || r < 0 {
			return fmt.Errorf("TOKEN_RATE_LIMIT %q: want requests per second per token (0: no limit)", s)
		}
		t.TokenRate = r
	}
	cfg.Limits, cfg.Throttle = l, t
	return nil
}
