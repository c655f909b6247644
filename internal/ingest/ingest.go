// Package ingest fetches what the registry keeps of an artifact: the
// upstream facts (one entry of the guide's data.hf_data, with readme_text)
// and the bundle, as a stream for store.Blobs.Put.
//
// Where from:
//
//   - Hugging Face models and datasets, through HF_ENDPOINT: the repository
//     info (GET /api/{models|datasets}/{repo}?blobs=true) and README give
//     the facts; the bundle is every file the info lists (GET
//     .../resolve/main/{file}), packed in that order into one tar, written
//     as it is read (io.Pipe), so memory stays bounded whatever its size.
//   - GitHub repositories, through GITHUB_API_URL: the repository and its
//     README give the facts; the bundle is the repository archive (GET
//     /repos/{owner}/{repo}/tarball, gzip-compressed tar).
//   - Any other url: no facts; the bundle is the url itself, fetched only
//     when INGEST_ALLOWED_HOSTS names its host (and every host it redirects
//     to).
//
// The connections follow the host policy of policy.go. Hugging Face and
// GitHub go through internal/upstream (the same bases, headers and
// errors as the trust pipeline); only the streams use this package's
// client.
package ingest

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/upstream"
)

// MaxReadmeBytes caps the README text kept in hf_data (byRegEx searches
// its first MAX_README_BYTES).
const MaxReadmeBytes = 1 << 20

// ErrNotAllowed means the url's host is neither Hugging Face, GitHub nor
// named by INGEST_ALLOWED_HOSTS, so its bundle is not fetched.
var ErrNotAllowed = errors.New("host not allowed")

// Config configures an Ingester.
type Config struct {
	// Upstream reads Hugging Face and GitHub (HF_ENDPOINT, GITHUB_API_URL).
	Upstream *upstream.Client
	// AllowedHosts are the hosts (names or IP addresses, no ports) whose
	// urls are fetched as bundles, at any address (INGEST_ALLOWED_HOSTS).
	AllowedHosts []string
	// MaxBytes is the bundle size cap: a Hugging Face repository whose
	// listed files add up to more is not fetched at all.
	MaxBytes int64
	// HeaderTimeout bounds the wait for the answer's headers of each
	// request of a stream; the caller's context bounds the whole ingest.
	HeaderTimeout time.Duration
}

// Ingester fetches facts and bundles.
type Ingester struct {
	up      *upstream.Client
	hc      *http.Client
	max     int64
	allowed map[string]bool // INGEST_ALLOWED_HOSTS
	trusted map[string]bool // allowed plus the configured upstream hosts
}

// New builds an Ingester.
func New(cfg Config) *Ingester {
	in := &Ingester{up: cfg.Upstream, max: cfg.MaxBytes, allowed: map[string]bool{}, trusted: map[string]bool{}}
	for _, h := range cfg.AllowedHosts {
		h = strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]"))
		if h != "" {
			in.allowed[h], in.trusted[h] = true, true
		}
	}
	for _, h := range cfg.Upstream.Hosts() {
		in.trusted[h] = true
	}
	in.hc = in.newClient(cfg.HeaderTimeout)
	return in
}

// Fetch reads the facts of rawURL and opens its bundle stream, which the
// caller closes. hfData may be set when err is not (the facts were read,
// the bundle cannot be): err then says why no bundle is stored, in words
// for bundle_not_stored; it wraps store.ErrTooLarge when the source lists
// more bytes than the cap, ErrNotAllowed for a host not allowed, and
// upstream.ErrNotFound / ErrUnavailable for an upstream failure.
func (in *Ingester) Fetch(ctx context.Context, rawURL string) (hfData []map[string]any, bundle io.ReadCloser, err error) {
	p, err := artifact.Parse(rawURL)
	if err != nil {
		return nil, nil, err
	}
	switch p.Source {
	case artifact.SourceHuggingFace:
		return in.huggingFace(ctx, p)
	case artifact.SourceGitHub:
		return in.gitHub(ctx, p)
	}
	body, err := in.direct(ctx, rawURL)
	return nil, body, err
}

func repoID(p artifact.Parsed) string {
	if p.Owner == "" {
		return p.Name
	}
	return p.Owner + "/" + p.Name
}

func (in *Ingester) huggingFace(ctx context.Context, p artifact.Parsed) ([]map[string]any, io.ReadCloser, error) {
	repo, dataset := repoID(p), p.Type == artifact.TypeDataset
	var (
		info   upstream.HFRepoInfo
		readme []byte
		err    error
	)
	if dataset {
		info, err = in.up.HFDataset(ctx, repo)
	} else {
		info, err = in.up.HFModel(ctx, repo)
	}
	if err != nil {
		return nil, nil, err
	}
	if dataset {
		readme, err = in.up.HFDatasetReadme(ctx, repo)
	} else {
		readme, err = in.up.HFModelFile(ctx, repo, "README.md")
	}
	if err != nil && !errors.Is(err, upstream.ErrNotFound) {
		return nil, nil, err
	}
	entry := map[string]any{
		"readme_text":  readmeText(readme),
		"pipeline_tag": info.PipelineTag,
		"datasets":     nonNil(info.CardData.Datasets),
		"license":      nonNil(info.CardData.License),
		"base_model":   nonNil(info.CardData.BaseModel),
		"tags":         nonNil(info.Tags),
		"sha":          info.SHA,
	}
	hfData := []map[string]any{entry}
	if total, ok := info.TotalSize(); ok && total > in.max {
		return hfData, nil, fmt.Errorf("%w: Hugging Face lists %d bytes of files for %s, more than BUNDLE_MAX_BYTES (%d)", store.ErrTooLarge, total, repo, in.max)
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		pw.CloseWithError(in.packHF(ctx, tar.NewWriter(pw), dataset, repo, info.Siblings))
	}()
	return hfData, stream{pr, cancel}, nil
}

// packHF writes the repository's files into tw, in the order listed.
func (in *Ingester) packHF(ctx context.Context, tw *tar.Writer, dataset bool, repo string, files []upstream.HFSibling) error {
	for _, f := range files {
		if err := in.packFile(ctx, tw, dataset, repo, f); err != nil {
			return err
		}
	}
	return tw.Close()
}

// epoch is the time of every tar entry, so that the same files give the
// same bundle and digest.
var epoch = time.Unix(0, 0).UTC()

func (in *Ingester) packFile(ctx context.Context, tw *tar.Writer, dataset bool, repo string, f upstream.HFSibling) error {
	res, err := in.up.OpenHFFile(ctx, in.hc, dataset, repo, f.RFilename)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	size := res.ContentLength
	if size < 0 && f.Size != nil {
		size = *f.Size
	}
	if size < 0 {
		return fmt.Errorf("the file %s of %s came from Hugging Face without a length, and its info lists none", f.RFilename, repo)
	}
	if err := tw.WriteHeader(&tar.Header{Name: f.RFilename, Mode: 0o644, Size: size, ModTime: epoch, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return err
	}
	n, err := io.Copy(tw, &transfer{r: res.Body, what: fmt.Sprintf("the file %s of %s from Hugging Face", f.RFilename, repo)})
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("Hugging Face sent %d of the %d bytes of the file %s of %s", n, size, f.RFilename, repo) //nolint:staticcheck // ST1005: a name
	}
	return nil
}

func (in *Ingester) gitHub(ctx context.Context, p artifact.Parsed) ([]map[string]any, io.ReadCloser, error) {
	repo, err := in.up.GitHubRepository(ctx, p.Owner, p.Name)
	if err != nil {
		return nil, nil, err
	}
	readme, err := in.up.GitHubReadme(ctx, p.Owner, p.Name)
	if err != nil && !errors.Is(err, upstream.ErrNotFound) {
		return nil, nil, err
	}
	entry := map[string]any{
		"readme_text": readmeText(readme),
		"full_name":   repo.FullName,
		"description": repo.Description,
	}
	if repo.License != nil {
		entry["license"] = repo.License.SPDXID
	}
	hfData := []map[string]any{entry}
	res, err := in.up.OpenGitHubTarball(ctx, in.hc, p.Owner, p.Name)
	if err != nil {
		return hfData, nil, err
	}
	if res.ContentLength > in.max {
		_ = res.Body.Close()
		return hfData, nil, fmt.Errorf("%w: GitHub's archive of %s/%s is %d bytes, more than BUNDLE_MAX_BYTES (%d)", store.ErrTooLarge, p.Owner, p.Name, res.ContentLength, in.max)
	}
	return hfData, &transfer{r: res.Body, what: fmt.Sprintf("GitHub's archive of %s/%s", p.Owner, p.Name)}, nil
}

// direct fetches a url of an allowed host.
func (in *Ingester) direct(ctx context.Context, rawURL string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(context.WithValue(ctx, directKey{}, true), http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	host := strings.ToLower(req.URL.Hostname())
	if !in.allowed[host] {
		return nil, fmt.Errorf("%w: ingest fetches bundles from Hugging Face, GitHub and the hosts INGEST_ALLOWED_HOSTS names, and %s is not one of them", ErrNotAllowed, host)
	}
	res, err := in.hc.Do(req)
	if err != nil {
		var refused upstream.RefusedError
		if errors.As(err, &refused) {
			return nil, fmt.Errorf("fetching %s: %s", req.URL.Redacted(), refused.Reason)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("fetching %s: no answer within the time limit", req.URL.Redacted())
		}
		return nil, fmt.Errorf("fetching %s: the connection failed", req.URL.Redacted())
	}
	switch {
	case res.StatusCode != http.StatusOK:
		_ = res.Body.Close()
		return nil, fmt.Errorf("fetching %s: the host answered %d", req.URL.Redacted(), res.StatusCode)
	case res.ContentLength > in.max:
		_ = res.Body.Close()
		return nil, fmt.Errorf("%w: %s is %d bytes, more than BUNDLE_MAX_BYTES (%d)", store.ErrTooLarge, req.URL.Redacted(), res.ContentLength, in.max)
	}
	return &transfer{r: res.Body, what: req.URL.Redacted()}, nil
}

// transfer names its stream in its read errors, which a person reads in
// bundle_not_stored.
type transfer struct {
	r    io.ReadCloser
	what string
	n    int64
}

func (t *transfer) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.n += int64(n)
	switch {
	case err == nil, err == io.EOF, errors.Is(err, context.Canceled):
		return n, err
	case errors.Is(err, context.DeadlineExceeded):
		return n, fmt.Errorf("reading %s: the time limit ran out after %d bytes", t.what, t.n)
	}
	return n, fmt.Errorf("reading %s: the transfer broke off after %d bytes", t.what, t.n)
}

func (t *transfer) Close() error { return t.r.Close() }

// stream is the reading end of a packing goroutine; closing it stops the
// goroutine (its next write fails, its requests are cancelled).
type stream struct {
	*io.PipeReader
	cancel context.CancelFunc
}

func (s stream) Close() error {
	s.cancel()
	return s.PipeReader.Close()
}

// readmeText is the README as valid UTF-8 text of at most MaxReadmeBytes
// (a rune cut at the end becomes U+FFFD).
func readmeText(b []byte) string {
	if len(b) > MaxReadmeBytes {
		b = b[:MaxReadmeBytes]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// nonNil keeps an absent list as [] in the stored JSON.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
