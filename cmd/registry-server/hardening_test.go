package main

import (
	"strings"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
)

// The bounds and the throttling come from the environment; unset ones keep
// the server's defaults, and a bad value is an error naming its variable.
func TestHardeningFromEnv(t *testing.T) {
	cfg, _, err := configFromEnv(slogDiscard(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Limits != server.DefaultLimits || cfg.Throttle != server.DefaultThrottle {
		t.Errorf("defaults: %+v %+v", cfg.Limits, cfg.Throttle)
	}
	for k, v := range map[string]string{
		"MAX_URL_BYTES": "100", "MAX_NAME_BYTES": "50", "MAX_README_BYTES": "4096", "MAX_REGEX_BYTES": "64", "MAX_QUERIES": "20",
		"SEARCH_TIMEOUT": "250ms", "AUTH_THROTTLE": "0", "AUTH_MAX_FAILURES_PER_USER": "3",
		"AUTH_MAX_FAILURES_PER_ADDRESS": "9", "AUTH_FAILURE_REFILL": "30", "AUTH_BCRYPT_CONCURRENCY": "4",
		"TOKEN_RATE_LIMIT": "2.5", "TOKEN_RATE_BURST": "10", "TOKEN_TTL": "300ms",
	} {
		t.Setenv(k, v)
	}
	cfg, _, err = configFromEnv(slogDiscard(), "test")
	if err != nil {
		t.Fatal(err)
	}
	wantL := server.Limits{MaxURLBytes: 100, MaxNameBytes: 50, MaxReadmeBytes: 4096, MaxRegexBytes: 64, MaxQueries: 20, SearchTimeout: 250 * time.Millisecond}
	wantT := server.Throttle{Off: true, UserFailures: 3, AddressFailures: 9, FailureRefill: 30 * time.Second, BcryptConcurrency: 4, TokenRate: 2.5, TokenBurst: 10}
	if cfg.Limits != wantL || cfg.Throttle != wantT || cfg.TokenTTL != 300*time.Millisecond {
		t.Errorf("from the environment: %+v %+v %v", cfg.Limits, cfg.Throttle, cfg.TokenTTL)
	}
	for name, value := range map[string]string{
		"MAX_URL_BYTES": "0", "SEARCH_TIMEOUT": "soon", "AUTH_FAILURE_REFILL": "-1s",
		"TOKEN_RATE_LIMIT": "fast", "AUTH_BCRYPT_CONCURRENCY": "x",
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, value)
			if _, _, err := configFromEnv(slogDiscard(), "test"); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%s: err = %v, want an error naming %s", name, value, err, name)
			}
		})
	}
	t.Setenv("SHUTDOWN_IDLE_GRACE", "later")
	if _, err := idleGraceFromEnv(); err == nil || !strings.Contains(err.Error(), "SHUTDOWN_IDLE_GRACE") {
		t.Errorf("SHUTDOWN_IDLE_GRACE=later: %v", err)
	}
}
