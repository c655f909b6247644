// Package upstream reads the facts the registry's trust pipeline rates
// from: the Hugging Face Hub and the GitHub REST API, over HTTP, from two
// configurable bases (HF_ENDPOINT and GITHUB_API_URL), so that a replay of
// the same endpoints (internal/replay) serves it offline.
//
// It reads only these endpoints, with the response shapes their providers
// document:
//
//   - Hugging Face Hub API (https://huggingface.co/docs/hub/api, "GET
//     /api/models/{repo_id}" and "GET /api/datasets/{repo_id}"; the fields
//     are those of ModelInfo and DatasetInfo in
//     https://huggingface.co/docs/huggingface_hub/package_reference/hf_api):
//     GET /api/models/{repo_id}?blobs=true and
//     GET /api/datasets/{repo_id}?blobs=true, whose siblings carry each
//     file's size when blobs=true; and the raw files
//     GET /{repo_id}/resolve/main/{README.md|config.json} and
//     GET /datasets/{repo_id}/resolve/main/README.md
//     (https://huggingface.co/docs/hub/en/models-downloading).
//   - GitHub REST API (https://docs.github.com/en/rest):
//     GET /repos/{owner}/{repo} (repos/repos#get-a-repository; size is in
//     KiB), /repos/{owner}/{repo}/contributors
//     (repos/repos#list-repository-contributors, sorted by contributions),
//     /repos/{owner}/{repo}/license
//     (licenses/licenses#get-the-license-for-a-repository; 404 when the
//     repository has no license file), /repos/{owner}/{repo}/pulls?state=closed&per_page=100
//     (pulls/pulls#list-pull-requests; merged_at is null for a pull request
//     closed unmerged) and /repos/{owner}/{repo}/pulls/{number}/reviews
//     (pulls/reviews#list-reviews-for-a-pull-request).
//
// Every call has a timeout and a size cap. Errors say which upstream and
// which URL failed; ErrNotFound means the upstream answered 404, and
// ErrUnavailable that it could not be reached or answered an error, so
// that callers never mistake an outage for a fact.
package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults of Config.
const (
	DefaultHFEndpoint   = "https://huggingface.co"
	DefaultGitHubAPIURL = "https://api.github.com"
	DefaultTimeout      = 10 * time.Second
	// DefaultMaxBytes caps one response body: model cards and API answers
	// are far smaller; anything larger is not what this package expects.
	DefaultMaxBytes = 4 << 20
)

var (
	// ErrNotFound: the upstream answered 404 (no such repository or file).
	ErrNotFound = errors.New("not found upstream")
	// ErrUnavailable: the upstream could not be reached, timed out, or
	// answered something other than 200 or 404.
	ErrUnavailable = errors.New("upstream unavailable")
)

// Error is a failed upstream call.
type Error struct {
	Upstream string // "Hugging Face" or "GitHub"
	URL      string
	Status   int // 0 when no answer arrived
	Reason   string
	kind     error
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("%s answered %d for %s: %s", e.Upstream, e.Status, e.URL, e.Reason)
	}
	return fmt.Sprintf("%s could not be reached at %s: %s", e.Upstream, e.URL, e.Reason)
}

func (e *Error) Unwrap() error { return e.kind }

// Config says where the upstreams are.
type Config struct {
	// HFEndpoint is the Hugging Face base (HF_ENDPOINT).
	HFEndpoint string
	// GitHubAPIURL is the GitHub REST API base (GITHUB_API_URL).
	GitHubAPIURL string
	// GitHubToken, when set, is sent as a bearer token (GITHUB_TOKEN).
	GitHubToken string
	// Timeout of one call (default 10s).
	Timeout time.Duration
	// MaxBytes caps one response body (default 4 MiB).
	MaxBytes int64
	// HTTPClient defaults to a client without a global timeout (each call
	// has its own).
	HTTPClient *http.Client
}

// Client calls the upstreams.
type Client struct {
	cfg Config
	hc  *http.Client
}

// New checks cfg and fills its defaults.
func New(cfg Config) (*Client, error) {
	if cfg.HFEndpoint == "" {
		cfg.HFEndpoint = DefaultHFEndpoint
	}
	if cfg.GitHubAPIURL == "" {
		cfg.GitHubAPIURL = DefaultGitHubAPIURL
	}
	for name, v := range map[string]string{"HF_ENDPOINT": cfg.HFEndpoint, "GITHUB_API_URL": cfg.GitHubAPIURL} {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%s %q is not an http(s) URL such as %s", name, v, map[string]string{"HF_ENDPOINT": DefaultHFEndpoint, "GITHUB_API_URL": DefaultGitHubAPIURL}[name])
		}
	}
	cfg.HFEndpoint = strings.TrimRight(cfg.HFEndpoint, "/")
	cfg.GitHubAPIURL = strings.TrimRight(cfg.GitHubAPIURL, "/")
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		*hc = *cfg.HTTPClient
	}
	hc.CheckRedirect = sameHostRedirects
	return &Client{cfg: cfg, hc: hc}, nil
}

// otherHostError refuses a redirect away from the upstream's host: a
// compromised or misconfigured upstream must not send the server's calls
// (and a GitHub token) to a host nobody configured.
type otherHostError struct{ host string }

func (e otherHostError) Error() string { return "redirect to another host refused: " + e.host }

// sameHostRedirects follows up to 10 redirects within the host (and port)
// of the configured upstream that the call went to.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if !strings.EqualFold(req.URL.Host, via[0].URL.Host) {
		return otherHostError{host: req.URL.Host}
	}
	return nil
}

// RefusedError is a connection or redirect that a caller's client refused
// by its policy (internal/ingest's host rules); Reason says which and why.
type RefusedError struct{ Reason string }

func (e RefusedError) Error() string { return e.Reason }

const (
	hubName    = "Hugging Face"
	githubName = "GitHub"
)

// get fetches base+path and returns the body of a 200.
func (c *Client) get(ctx context.Context, upstream, base, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	res, err := c.open(ctx, c.hc, upstream, base, path)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	u := base + path
	body, err := io.ReadAll(io.LimitReader(res.Body, c.cfg.MaxBytes+1))
	if err != nil {
		return nil, &Error{Upstream: upstream, URL: u, Status: res.StatusCode, Reason: "reading the answer failed", kind: ErrUnavailable}
	}
	if int64(len(body)) > c.cfg.MaxBytes {
		return nil, &Error{Upstream: upstream, URL: u, Status: res.StatusCode, Reason: fmt.Sprintf("answer larger than %d bytes", c.cfg.MaxBytes), kind: ErrUnavailable}
	}
	return body, nil
}

// open sends GET base+path with hc and returns the answer of a 200, whose
// body the caller closes; any other answer is an Error. The deadline is
// ctx's: a stream (internal/ingest) may take longer than one call.
func (c *Client) open(ctx context.Context, hc *http.Client, upstream, base, path string) (*http.Response, error) {
	u := base + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &Error{Upstream: upstream, URL: u, Reason: "invalid request URL", kind: ErrUnavailable}
	}
	if upstream == githubName {
		req.Header.Set("Accept", "application/vnd.github+json")
		req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
		if c.cfg.GitHubToken != "" {
			req.Header.Set("Authorization", "Bearer "+c.cfg.GitHubToken)
		}
	}
	res, err := hc.Do(req)
	if err != nil {
		reason := "connection failed"
		var other otherHostError
		var refused RefusedError
		switch {
		case errors.Is(err, context.DeadlineExceeded) && hc == c.hc:
			reason = fmt.Sprintf("no answer within %s", c.cfg.Timeout)
		case errors.Is(err, context.DeadlineExceeded):
			reason = "no answer within the time limit"
		case errors.As(err, &other):
			reason = fmt.Sprintf("it redirected to another host, %s, which is not followed (only redirects within the configured upstream's host are)", other.host)
		case errors.As(err, &refused):
			reason = refused.Reason
		}
		return nil, &Error{Upstream: upstream, URL: u, Reason: reason, kind: ErrUnavailable}
	}
	switch {
	case res.StatusCode == http.StatusNotFound:
		_ = res.Body.Close()
		return nil, &Error{Upstream: upstream, URL: u, Status: res.StatusCode, Reason: "no such repository or file", kind: ErrNotFound}
	case res.StatusCode != http.StatusOK:
		_ = res.Body.Close()
		return nil, &Error{Upstream: upstream, URL: u, Status: res.StatusCode, Reason: "unexpected status", kind: ErrUnavailable}
	}
	return res, nil
}

func (c *Client) getJSON(ctx context.Context, upstream, base, path string, v any) error {
	body, err := c.get(ctx, upstream, base, path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &Error{Upstream: upstream, URL: base + path, Status: http.StatusOK, Reason: "the answer is not the documented JSON shape", kind: ErrUnavailable}
	}
	return nil
}

// escapeRepo escapes each segment of owner/name.
func escapeRepo(repo string) string {
	segs := strings.Split(repo, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
