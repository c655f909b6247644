package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// maxPages guards POST /artifacts pagination against a server whose offsets
// never end.
const maxPages = 10000

// CreateResult is the outcome of CreateArtifact.
type CreateResult struct {
	// Artifact is the created artifact; nil on a 202 without a body.
	Artifact *wire.Artifact
	// Accepted: the registry answered 202 (rating deferred); the artifact
	// may appear later, or be dropped when its rating fails.
	Accepted bool
	// Adopted: the create failed ambiguously (connection dropped, timeout,
	// 5xx) and the artifact was then found with this type and url.
	Adopted bool
}

func artifactPath(artifactType, id string) (string, error) {
	if artifactType == "" || id == "" {
		return "", fmt.Errorf("artifact type %q and id %q: both are required", artifactType, id)
	}
	return pathOf("artifacts", artifactType, id), nil
}

// CreateArtifact registers the artifact at sourceURL with POST
// /artifact/{artifactType}. A create is never re-sent blindly (a 429, which
// the server answers before acting, and a connection that could not be
// opened are retried like any call). After an ambiguous failure (no answer,
// timeout, 5xx other than 501) it looks the artifact up by its url
// (FindArtifactByURL):
//   - found: the registry did create it; it is adopted (Adopted);
//   - proven absent: the create is sent again, up to the client's
//     MaxRetries, with backoff, within ctx; a 409 to such a second POST
//     means an earlier attempt landed after all, and the artifact is looked
//     up and adopted;
//   - the lookup failed: the error says that whether the artifact was
//     created is unknown, and the create is not re-sent.
//
// A create that was sent is seen through when ctx is canceled (Terraform
// stopping on Ctrl-C): its answer, or the lookup after an ambiguous failure,
// still decides what exists, so that the caller can record it; only ctx's
// deadline bounds it. After ctx is canceled nothing new is sent, and an
// error for which NotSent is true says so.
//
// 409, 424, 400 and other answers are *APIError.
func (c *Client) CreateArtifact(ctx context.Context, artifactType, sourceURL string) (*CreateResult, error) {
	if artifactType == "" {
		return nil, errors.New("artifact type is required")
	}
	cl := call{method: http.MethodPost, path: pathOf("artifact", artifactType), body: wire.ArtifactData{URL: sourceURL}}
	sent, cancel := withoutCancel(ctx)
	defer cancel()
	for attempt := 1; ; attempt++ {
		// The token first, with ctx: a create waiting for it is not sent yet.
		if _, err := c.currentToken(ctx); err != nil {
			return nil, &notSentError{err}
		}
		if err := ctx.Err(); err != nil {
			return nil, &notSentError{fmt.Errorf("%s %s: not sent: %w", cl.method, cl.path, err)}
		}
		resp, err := c.do(sent, cl)
		if err == nil {
			return createResult(cl, resp)
		}
		resent := attempt > 1
		lateConflict := resent && StatusCode(err) == http.StatusConflict
		if sent.Err() != nil || !ambiguous(err) && !lateConflict {
			return nil, err
		}
		found, findErr := c.FindArtifactByURL(sent, artifactType, sourceURL)
		switch {
		case findErr != nil:
			// findErr is not wrapped: its status (say a 404) must not pass
			// for the create's.
			return nil, fmt.Errorf("%w; whether the registry created the %s nonetheless is unknown, because looking it up by its url failed: %s",
				err, artifactType, findErr.Error())
		case found != nil:
			return &CreateResult{Artifact: found, Adopted: true}, nil
		case StatusCode(err) == http.StatusConflict:
			return nil, err
		case attempt > c.createRetries:
			return nil, fmt.Errorf("%w (a lookup by url proved that the registry did not create the %s; gave up after %d attempts)", err, artifactType, attempt)
		}
		// Proven absent: sending the create again cannot make a duplicate.
		if c.logger != nil {
			c.logger.Debug(ctx, "create failed before the registry acted (lookup by url found nothing); sending it again",
				map[string]any{"path": cl.path, "attempt": attempt + 1})
		}
		timer := time.NewTimer(backoff(c.retryWaitMin, c.retryWaitMax, attempt-1, nil))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, err
		case <-timer.C:
		}
	}
}

// withoutCancel is ctx without its cancellation but with its deadline.
func withoutCancel(ctx context.Context) (context.Context, context.CancelFunc) {
	detached := context.WithoutCancel(ctx)
	if deadline, ok := ctx.Deadline(); ok {
		return context.WithDeadline(detached, deadline)
	}
	return context.WithCancel(detached)
}

// createResult reads a create's 2xx answer.
func createResult(cl call, resp *response) (*CreateResult, error) {
	if resp.status == http.StatusAccepted {
		res := &CreateResult{Accepted: true}
		var a wire.Artifact
		if len(bytes.TrimSpace(resp.body)) > 0 && json.Unmarshal(resp.body, &a) == nil && a.Metadata.ID != "" {
			res.Artifact = &a
		}
		return res, nil
	}
	a, err := decodeJSON[wire.Artifact](cl, resp)
	if err != nil {
		return nil, err
	}
	if a.Metadata.ID == "" {
		return nil, fmt.Errorf("%s %s: the registry answered %d without the artifact's id", cl.method, cl.path, resp.status)
	}
	return &CreateResult{Artifact: &a}, nil
}

// ambiguous reports whether a failed create may nonetheless have created
// the artifact: no answer at all (connection dropped, timeout) to a request
// that was sent, or a server error other than 501 Not Implemented.
func ambiguous(err error) bool {
	if NotSent(err) {
		return false
	}
	var te *transportError
	if errors.As(err, &te) {
		return true
	}
	code := StatusCode(err)
	return code >= 500 && code != http.StatusNotImplemented
}

// GetArtifact reads GET /artifacts/{artifactType}/{id}; a missing artifact is
// an *APIError for which IsNotFound is true.
func (c *Client) GetArtifact(ctx context.Context, artifactType, id string) (*wire.Artifact, error) {
	p, err := artifactPath(artifactType, id)
	if err != nil {
		return nil, err
	}
	a, _, err := doJSON[wire.Artifact](ctx, c, call{method: http.MethodGet, path: p, idempotent: true})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// UpdateArtifact replaces the source of artifact a.Metadata (type, id and
// name must be the stored ones) with a.Data.URL: PUT
// /artifacts/{type}/{id}. 200 and 202 are success.
func (c *Client) UpdateArtifact(ctx context.Context, a wire.Artifact) error {
	p, err := artifactPath(a.Metadata.Type, string(a.Metadata.ID))
	if err != nil {
		return err
	}
	// download_url is read-only: the server sets it.
	body := wire.Artifact{Metadata: a.Metadata, Data: wire.ArtifactData{URL: a.Data.URL}}
	_, err = c.do(ctx, call{method: http.MethodPut, path: p, body: body, idempotent: true})
	return err
}

// DeleteArtifact deletes with DELETE /artifacts/{artifactType}/{id}; a
// missing artifact is an *APIError for which IsNotFound is true.
func (c *Client) DeleteArtifact(ctx context.Context, artifactType, id string) error {
	p, err := artifactPath(artifactType, id)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, call{method: http.MethodDelete, path: p, idempotent: true})
	return err
}

// ListArtifacts runs POST /artifacts and follows the pagination to the end:
// each answer's "offset" header is the next request's ?offset=. It stops
// when the header is absent or repeats an offset already requested, or on an
// empty page. An artifact a misbehaving server repeats is returned once.
func (c *Client) ListArtifacts(ctx context.Context, queries []wire.ArtifactQuery) ([]wire.ArtifactMetadata, error) {
	if len(queries) == 0 {
		return nil, errors.New("at least one artifact query is required (name \"*\" lists all)")
	}
	var (
		out       []wire.ArtifactMetadata
		seen      = map[wire.ArtifactMetadata]bool{}
		requested = map[string]bool{}
		offset    string
	)
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, fmt.Errorf("POST /artifacts: pagination did not end after %d pages", maxPages)
		}
		requested[offset] = true
		cl := call{method: http.MethodPost, path: "/artifacts", body: queries, idempotent: true}
		if offset != "" {
			cl.query = url.Values{"offset": {offset}}
		}
		items, resp, err := doJSON[[]wire.ArtifactMetadata](ctx, c, cl)
		if err != nil {
			return nil, err
		}
		for _, m := range items {
			key := wire.ArtifactMetadata{ID: m.ID, Type: m.Type}
			if !seen[key] {
				seen[key] = true
				out = append(out, m)
			}
		}
		next := strings.TrimSpace(resp.header.Get("offset"))
		if len(items) == 0 || next == "" || requested[next] {
			return out, nil
		}
		offset = next
	}
}

// ArtifactsByName lists the artifacts named name (GET
// /artifact/byName/{name}); the registry's JSON 404 is an empty list. When
// the registry does not route byName (NON-BASELINE), the error is one for
// which IsUnrouted is true; ArtifactsNamed falls back then.
func (c *Client) ArtifactsByName(ctx context.Context, name string) ([]wire.ArtifactMetadata, error) {
	if name == "" {
		return nil, errors.New("artifact name is required")
	}
	cl := call{method: http.MethodGet, path: pathOf("artifact", "byName", name), idempotent: true}
	return c.metadataList(ctx, cl)
}

// ArtifactsNamed lists the artifacts named name whose type is one of types
// (any type when types is empty). It asks GET /artifact/byName/{name}, and
// when the registry does not route that (NON-BASELINE), the name query of
// POST /artifacts (BASELINE), all its pages. When both fail, the error names
// both calls; an unrouted endpoint is never reported as "no artifact".
func (c *Client) ArtifactsNamed(ctx context.Context, name string, types ...string) ([]wire.ArtifactMetadata, error) {
	found, err := c.ArtifactsByName(ctx, name)
	if IsUnrouted(err) {
		byNameErr := err
		found, err = c.ListArtifacts(ctx, []wire.ArtifactQuery{{Name: name, Types: types}})
		if err != nil {
			return nil, fmt.Errorf("%s, and the name query failed too: %w", UnroutedDetail(byNameErr), err)
		}
	}
	if err != nil {
		return nil, err
	}
	if len(types) == 0 {
		return found, nil
	}
	out := []wire.ArtifactMetadata{}
	for _, m := range found {
		if slices.Contains(types, m.Type) {
			out = append(out, m)
		}
	}
	return out, nil
}

// ArtifactsByRegex lists the artifacts whose name or README matches regex
// (POST /artifact/byRegEx); none (404) is an empty list.
func (c *Client) ArtifactsByRegex(ctx context.Context, regex string) ([]wire.ArtifactMetadata, error) {
	if regex == "" {
		return nil, errors.New("regular expression is required")
	}
	cl := call{method: http.MethodPost, path: "/artifact/byRegEx", body: wire.ArtifactRegEx{Regex: regex}, idempotent: true}
	return c.metadataList(ctx, cl)
}

// metadataList reads a list of artifacts, a 404 being an empty list.
func (c *Client) metadataList(ctx context.Context, cl call) ([]wire.ArtifactMetadata, error) {
	items, _, err := doList[wire.ArtifactMetadata](ctx, c, cl)
	if IsNotFound(err) {
		return []wire.ArtifactMetadata{}, nil
	}
	return items, err
}

// FindArtifactByURL finds the artifact of artifactType whose source url is
// sourceURL, or returns nil, nil when the registry proves there is none. It
// costs one ArtifactsNamed call for the name the registry derives from the
// url (artifact.DeriveName) plus one GET per candidate of that type and
// name: with byName routed, 1 + candidates calls however many artifacts the
// registry holds. Only a url from which no name can be derived makes it read
// every artifact of the type, page by page, logging its progress.
func (c *Client) FindArtifactByURL(ctx context.Context, artifactType, sourceURL string) (*wire.Artifact, error) {
	var candidates []wire.ArtifactMetadata
	if name, err := artifact.DeriveName(sourceURL); err == nil {
		if candidates, err = c.ArtifactsNamed(ctx, name, artifactType); err != nil {
			return nil, fmt.Errorf("looking up the %s artifacts named %q: %w", artifactType, name, err)
		}
	} else {
		if c.logger != nil {
			c.logger.Debug(ctx, "no name can be derived from the url; reading every artifact of the type to find it",
				map[string]any{"type": artifactType})
		}
		if candidates, err = c.ListArtifacts(ctx, []wire.ArtifactQuery{{Name: "*", Types: []string{artifactType}}}); err != nil {
			return nil, fmt.Errorf("looking up %s artifacts by url: %w", artifactType, err)
		}
	}
	checked := map[wire.ID]bool{}
	for i, m := range candidates {
		if m.Type != artifactType || checked[m.ID] {
			continue
		}
		checked[m.ID] = true
		if c.logger != nil && i > 0 && i%100 == 0 {
			c.logger.Debug(ctx, "looking up an artifact by url", map[string]any{"type": artifactType, "checked": i, "candidates": len(candidates)})
		}
		a, err := c.GetArtifact(ctx, artifactType, string(m.ID))
		if IsNotFound(err) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		if artifact.SameURL(a.Data.URL, sourceURL) {
			return a, nil
		}
	}
	return nil, nil
}

// Health checks GET /health (no token needed).
func (c *Client) Health(ctx context.Context) error {
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/health", idempotent: true, noAuth: true})
	return err
}
