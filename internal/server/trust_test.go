package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/rating"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/replay"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
)

// Source urls of the replay's recordings (internal/replay/testdata).
const (
	bertURL      = "https://huggingface.co/google-bert/bert-base-uncased"
	fineTunedURL = "https://huggingface.co/csarron/bert-base-uncased-squad-v1"
	whisperURL   = "https://huggingface.co/openai/whisper-tiny"
	poorURL      = "https://huggingface.co/example-org/tiny-unlicensed-model"
	squadURL     = "https://huggingface.co/datasets/rajpurkar/squad"
	bertCodeURL  = "https://github.com/google-research/bert"
	whisperCode  = "https://github.com/openai/whisper"
	poorCodeURL  = "https://github.com/example-org/tiny-unlicensed-model"
)

// startReplay serves the recorded upstream answers on loopback.
func startReplay(t testing.TB) *httptest.Server {
	t.Helper()
	rp := replay.NewServer()
	t.Cleanup(rp.Close)
	return rp
}

// withUpstream points the server's trust pipeline at base.
func withUpstream(base string, mode RatingMode) harnessOption {
	return func(c *Config) {
		c.HFEndpoint, c.GitHubAPIURL, c.RatingMode = base, base, mode
		c.UpstreamTimeout = 5 * time.Second
	}
}

func (h *harness) rate(token, id string) (response, rating.Rating) {
	h.t.Helper()
	res := h.do(http.MethodGet, "/artifact/model/"+id+"/rate", nil, token)
	var r rating.Rating
	if res.status == http.StatusOK {
		res.decode(h.t, &r)
	}
	return res, r
}

// storedRating reads the rating straight from the backend.
func (h *harness) storedRating(id string) (store.Record, rating.Rating, bool) {
	h.t.Helper()
	rec, err := h.st.Get(context.Background(), id)
	if err != nil {
		return rec, rating.Rating{}, false
	}
	var r rating.Rating
	if len(rec.Rating) == 0 {
		return rec, r, false
	}
	if err := json.Unmarshal(rec.Rating, &r); err != nil {
		h.t.Fatalf("stored rating of %s is not JSON: %v", id, err)
	}
	return rec, r, true
}

func checkRatingRange(t *testing.T, r rating.Rating) {
	t.Helper()
	for name, v := range map[string]float64{
		"net_score": r.NetScore, "ramp_up_time": r.RampUpTime, "bus_factor": r.BusFactor,
		"performance_claims": r.PerformanceClaims, "license": r.License, "dataset_and_code_score": r.DatasetAndCodeScore,
		"dataset_quality": r.DatasetQuality, "code_quality": r.CodeQuality, "reproducibility": r.Reproducibility,
		"reviewedness": r.Reviewedness, "tree_score": r.TreeScore, "size_score.raspberry_pi": r.SizeScore.RaspberryPi,
		"size_score.aws_server": r.SizeScore.AWSServer,
	} {
		if v < 0 || v > 1 {
			t.Errorf("%s = %v, outside [0, 1]", name, v)
		}
	}
}

func TestRatingModeOffRatesOnFirstRead(t *testing.T) {
	rp := startReplay(t)
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc, withUpstream(rp.URL, RatingOff))
		tok := h.login(DefaultAdminName, adminPassword)
		bert := h.create(tok, "model", bertURL)
		if _, _, ok := h.storedRating(bert.Metadata.ID); ok {
			t.Fatal("mode off stored a rating at ingest")
		}
		res, r := h.rate(tok, bert.Metadata.ID)
		if res.status != http.StatusOK {
			t.Fatalf("rate: %d %s", res.status, res.body)
		}
		checkRatingRange(t, r)
		if r.Name != "bert-base-uncased" || r.Category != "fill-mask" || r.License != 1 || r.NetScore < DefaultRatingMinNetScore {
			t.Errorf("bert-base-uncased rated %+v", r)
		}
		_, stored, ok := h.storedRating(bert.Metadata.ID)
		if !ok || stored != r {
			t.Fatalf("the backend holds %+v (present %v), /rate answered %+v", stored, ok, r)
		}
		// The second read is the stored rating, not a recomputation.
		if _, again := h.rate(tok, bert.Metadata.ID); again != r {
			t.Errorf("second /rate %+v differs from the first %+v", again, r)
		}
		entries, _ := h.st.Audit(context.Background(), bert.Metadata.ID)
		rates := 0
		for _, e := range entries {
			if e.Action == store.ActionRate {
				rates++
			}
		}
		if rates != 1 {
			t.Errorf("audit has %d RATE entries, want 1: %+v", rates, entries)
		}
	})
}

func TestRatingModeSync(t *testing.T) {
	rp := startReplay(t)
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc, withUpstream(rp.URL, RatingSync))
		tok := h.login(userName, userPassword)
		res := h.do(http.MethodPost, "/artifact/model", map[string]string{"url": poorURL}, tok)
		if res.status != http.StatusFailedDependency {
			t.Fatalf("poor model: %d %s, want 424", res.status, res.body)
		}
		if msg := res.errorMessage(t); !strings.Contains(msg, "net_score") || !strings.Contains(msg, "license=0.00") {
			t.Errorf("the 424 message %q does not name net_score and the failing license score", msg)
		}
		all, _ := h.st.List(context.Background())
		if len(all) != 0 {
			t.Fatalf("the disqualified model was stored: %+v", all)
		}
		bert := h.create(tok, "model", bertURL)
		_, stored, ok := h.storedRating(bert.Metadata.ID)
		if !ok || stored.NetScore < DefaultRatingMinNetScore {
			t.Fatalf("bert stored without its rating: %+v", stored)
		}
		if _, r := h.rate(tok, bert.Metadata.ID); r != stored {
			t.Errorf("/rate %+v is not the stored rating %+v", r, stored)
		}
		// Datasets and code are never disqualified.
		h.create(tok, "dataset", squadURL)
		h.create(tok, "code", poorCodeURL)
	})
}
