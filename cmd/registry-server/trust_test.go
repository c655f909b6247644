package main

import (
	"strings"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
)

func TestTrustFromEnv(t *testing.T) {
	t.Setenv("HF_ENDPOINT", "http://127.0.0.1:9")
	t.Setenv("GITHUB_API_URL", "http://127.0.0.1:10")
	t.Setenv("GITHUB_TOKEN", "tok")
	t.Setenv("RATING_MODE", "ASYNC")
	t.Setenv("RATING_MIN_NET_SCORE", "0.7")
	t.Setenv("RATING_WORKERS", "3")
	t.Setenv("RATING_QUEUE", "16")
	t.Setenv("UPSTREAM_TIMEOUT", "2s")
	var c server.TrustConfig
	if err := trustFromEnv(&c); err != nil {
		t.Fatal(err)
	}
	want := server.TrustConfig{HFEndpoint: "http://127.0.0.1:9", GitHubAPIURL: "http://127.0.0.1:10", GitHubToken: "tok",
		RatingMode: server.RatingAsync, RatingMinNetScore: 0.7, RatingWorkers: 3, RatingQueue: 16, UpstreamTimeout: 2 * time.Second}
	if c != want {
		t.Errorf("got %+v, want %+v", c, want)
	}
	for name, bad := range map[string]string{"RATING_MODE": "eager", "RATING_MIN_NET_SCORE": "1.5", "RATING_WORKERS": "0", "RATING_QUEUE": "0", "UPSTREAM_TIMEOUT": "soon"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, bad)
			err := trustFromEnv(&server.TrustConfig{})
			if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), bad) {
				t.Errorf("%s=%s: %v, want an error naming the variable and its value", name, bad, err)
			}
		})
	}
}
