package rating_test

import (
	"context"
	"testing"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/rating"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/replay"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/upstream"
)

// The recordings' well-known model passes the default threshold and the
// deliberately poor one does not, with the scores RATING.md quotes.
func TestRateRecordings(t *testing.T) {
	rp := replay.NewServer()
	defer rp.Close()
	up, err := upstream.New(upstream.Config{HFEndpoint: rp.URL, GitHubAPIURL: rp.URL})
	if err != nil {
		t.Fatal(err)
	}
	r := &rating.Rater{Upstream: up}
	for _, c := range []struct {
		repo     string
		min, max float64
	}{
		{"google-bert/bert-base-uncased", 0.80, 0.90},
		{"example-org/tiny-unlicensed-model", 0.10, 0.25},
		{"openai/whisper-tiny", 0.5, 1},
		{"csarron/bert-base-uncased-squad-v1", 0.5, 1},
	} {
		got, err := r.Rate(context.Background(), c.repo, c.repo, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.repo, err)
		}
		t.Logf("%s: net_score %.4f %+v", c.repo, got.NetScore, got)
		if got.NetScore < c.min || got.NetScore > c.max {
			t.Errorf("%s: net_score %.4f, want in [%.2f, %.2f]", c.repo, got.NetScore, c.min, c.max)
		}
	}
}

func TestCompatible(t *testing.T) {
	for _, c := range []struct {
		model, code string
		want        bool
	}{
		{"apache-2.0", "MIT", true},
		{"mit", "Apache-2.0", true},
		{"apache-2.0", "GPL-2.0-only", false},
		{"gpl-3.0", "GPL-3.0-or-later", true},
		{"gpl-3.0", "AGPL-3.0", false},
		{"openrail", "GPL-3.0", false},
		{"cc-by-nc-4.0", "MIT", false},
		{"", "MIT", false},
		{"mit", "NOASSERTION", false},
	} {
		if got := rating.Compatible(c.model, c.code); got != c.want {
			t.Errorf("Compatible(%q, %q) = %v, want %v", c.model, c.code, got, c.want)
		}
	}
}
