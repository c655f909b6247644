package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
)

// trustFromEnv reads the trust pipeline's settings: HF_ENDPOINT,
// GITHUB_API_URL, GITHUB_TOKEN, RATING_MODE, RATING_MIN_NET_SCORE,
// RATING_WORKERS, RATING_QUEUE and UPSTREAM_TIMEOUT.
func trustFromEnv(c *server.TrustConfig) error {
	c.HFEndpoint = os.Getenv("HF_ENDPOINT")
	c.GitHubAPIURL = os.Getenv("GITHUB_API_URL")
	c.GitHubToken = os.Getenv("GITHUB_TOKEN")
	mode, err := server.ParseRatingMode(os.Getenv("RATING_MODE"))
	if err != nil {
		return err
	}
	c.RatingMode = mode
	if v := os.Getenv("RATING_MIN_NET_SCORE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || f > 1 {
			return fmt.Errorf("RATING_MIN_NET_SCORE %q: want a number in (0, 1]", v)
		}
		c.RatingMinNetScore = f
	}
	if c.RatingWorkers, err = intEnv("RATING_WORKERS", 2, 1); err != nil {
		return err
	}
	if c.RatingQueue, err = intEnv("RATING_QUEUE", 256, 1); err != nil {
		return err
	}
	if v := os.Getenv("UPSTREAM_TIMEOUT"); v != "" {
		d, err := parseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("UPSTREAM_TIMEOUT %q: want a positive duration such as 10s", v)
		}
		c.UpstreamTimeout = d
	}
	return nil
}
