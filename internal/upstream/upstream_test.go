package upstream_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/replay"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/upstream"
)

func newClient(t *testing.T, base string, mod func(*upstream.Config)) *upstream.Client {
	t.Helper()
	cfg := upstream.Config{HFEndpoint: base, GitHubAPIURL: base, Timeout: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := upstream.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The documented shapes of the recordings decode into what the rating reads.
func TestReadsRecordedShapes(t *testing.T) {
	rp := replay.NewServer()
	defer rp.Close()
	c := newClient(t, rp.URL, nil)
	ctx := context.Background()

	info, err := c.HFModel(ctx, "google-bert/bert-base-uncased")
	if err != nil {
		t.Fatal(err)
	}
	if info.CardData.License[0] != "apache-2.0" || len(info.CardData.Datasets) != 2 || info.PipelineTag != "fill-mask" {
		t.Errorf("model info: %+v", info)
	}
	if b, ok := info.TotalSize(); !ok || b < 2e9 {
		t.Errorf("total size %d (%v)", b, ok)
	}
	tuned, err := c.HFModel(ctx, "csarron/bert-base-uncased-squad-v1")
	if err != nil || len(tuned.CardData.BaseModel) != 1 || tuned.CardData.BaseModel[0] != "bert-base-uncased" {
		t.Errorf("base_model of the fine-tune: %+v %v", tuned.CardData.BaseModel, err)
	}
	wiki, err := c.HFDataset(ctx, "wikipedia")
	if err != nil || len(wiki.CardData.License) != 2 { // a list in the card
		t.Errorf("dataset with a license list: %+v %v", wiki.CardData.License, err)
	}
	if readme, err := c.HFModelFile(ctx, "google-bert/bert-base-uncased", "README.md"); err != nil || !strings.Contains(string(readme), "github.com/google-research/bert") {
		t.Errorf("README: %v", err)
	}
	repo, err := c.GitHubRepository(ctx, "openai", "whisper")
	if err != nil || repo.License == nil || repo.License.SPDXID != "MIT" || repo.Size == 0 {
		t.Errorf("repository: %+v %v", repo, err)
	}
	if cs, err := c.GitHubContributors(ctx, "openai", "whisper"); err != nil || len(cs) < 5 || cs[0].Contributions == 0 {
		t.Errorf("contributors: %+v %v", cs, err)
	}
	if pulls, err := c.GitHubClosedPulls(ctx, "openai", "whisper"); err != nil || len(pulls) == 0 || pulls[0].MergedAt == nil {
		t.Errorf("pulls: %+v %v", pulls, err)
	}
	if _, err := c.GitHubRepoLicense(ctx, "example-org", "tiny-unlicensed-model"); !errors.Is(err, upstream.ErrNotFound) {
		t.Errorf("license of an unlicensed repository: %v, want ErrNotFound", err)
	}
}

// Outages, slowness, oversized and malformed answers are errors that say
// what failed, never facts.
func TestFailuresAreErrors(t *testing.T) {
	ctx := context.Background()
	var gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/slow"):
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		case strings.HasPrefix(r.URL.Path, "/api/models/big"):
			_, _ = w.Write([]byte(`{"id":"` + strings.Repeat("x", 2048) + `"}`))
		case strings.HasPrefix(r.URL.Path, "/api/models/html"):
			_, _ = w.Write([]byte(`<html>rate limited</html>`))
		case strings.HasPrefix(r.URL.Path, "/repos/"):
			gotAuth = r.Header.Get("Authorization")
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	c := newClient(t, srv.URL, func(c *upstream.Config) { c.MaxBytes = 1024; c.GitHubToken = "secret-token" })
	cases := map[string]error{}
	_, cases["oversized"] = c.HFModel(ctx, "big/model")
	_, cases["not JSON"] = c.HFModel(ctx, "html/model")
	_, cases["503"] = c.GitHubRepository(ctx, "o", "r")
	for name, err := range cases {
		var ue *upstream.Error
		if !errors.Is(err, upstream.ErrUnavailable) || !errors.As(err, &ue) || ue.URL == "" {
			t.Errorf("%s: %v, want an ErrUnavailable naming the URL", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret-token") {
			t.Errorf("%s: the error shows the token: %v", name, err)
		}
	}
	if gotAuth != "Bearer secret-token" {
		t.Errorf("GitHub got Authorization %q, want the bearer token", gotAuth)
	}
	if _, err := c.HFModel(ctx, "no/such"); !errors.Is(err, upstream.ErrNotFound) {
		t.Errorf("404: %v, want ErrNotFound", err)
	}

	slow := newClient(t, srv.URL+"/slow", func(c *upstream.Config) { c.Timeout = 100 * time.Millisecond })
	start := time.Now()
	_, err := slow.HFModel(ctx, "a/b")
	if !errors.Is(err, upstream.ErrUnavailable) || !strings.Contains(err.Error(), "no answer within 100ms") {
		t.Errorf("slow upstream: %v", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("the timeout did not cut the call short (%s)", time.Since(start))
	}

	down := newClient(t, "http://127.0.0.1:1", nil)
	if _, err := down.GitHubRepository(ctx, "o", "r"); !errors.Is(err, upstream.ErrUnavailable) || !strings.Contains(err.Error(), "could not be reached") {
		t.Errorf("unreachable upstream: %v", err)
	}
}

func TestConfigRejectsBadBases(t *testing.T) {
	if _, err := upstream.New(upstream.Config{HFEndpoint: "huggingface.co"}); err == nil || !strings.Contains(err.Error(), "HF_ENDPOINT") {
		t.Errorf("a base without a scheme: %v", err)
	}
	if _, err := upstream.New(upstream.Config{GitHubAPIURL: "ftp://x"}); err == nil || !strings.Contains(err.Error(), "GITHUB_API_URL") {
		t.Errorf("a non-http base: %v", err)
	}
}

// Redirects are followed within the configured upstream's host only: a 302
// to another host is an error naming it, and that host is never called.
func TestRedirectsStayOnTheUpstreamHost(t *testing.T) {
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		_, _ = w.Write([]byte(`{"id":"org/m"}`))
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/models/org/away":
			http.Redirect(w, r, other.URL+"/api/models/org/m", http.StatusFound)
		case "/repos/o/away":
			http.Redirect(w, r, other.URL+"/repos/o/r", http.StatusFound)
		case "/api/models/org/moved":
			http.Redirect(w, r, "/api/models/org/m", http.StatusFound)
		case "/api/models/org/m":
			_, _ = w.Write([]byte(`{"id":"org/m"}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, func(c *upstream.Config) { c.GitHubToken = "secret-token" })
	ctx := context.Background()
	otherHost := strings.TrimPrefix(other.URL, "http://")
	_, errHF := c.HFModel(ctx, "org/away")
	_, errGH := c.GitHubRepository(ctx, "o", "away")
	for name, err := range map[string]error{"HF_ENDPOINT": errHF, "GITHUB_API_URL": errGH} {
		if !errors.Is(err, upstream.ErrUnavailable) || !strings.Contains(fmt.Sprint(err), otherHost) {
			t.Errorf("%s redirecting to another host: %v, want ErrUnavailable naming %s", name, err, otherHost)
		}
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the other host was called %d times", n)
	}
	if info, err := c.HFModel(ctx, "org/moved"); err != nil || info.ID != "org/m" {
		t.Errorf("a redirect within the upstream's host: %+v %v, want it followed", info, err)
	}
}
