package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifacturl"
)

// maxPages guards POST /artifacts pagination against a server whose offsets
// never end.
const maxPages = 10000

// ArtifactMetadata identifies an artifact.
type ArtifactMetadata struct {
	Name string `json:"name"`
	ID   string `json:"id"`
	Type string `json:"type"`
}

// UnmarshalJSON accepts the id as a string (the spec's schema) or as a
// number (as the spec's examples show it).
func (m *ArtifactMetadata) UnmarshalJSON(b []byte) error {
	var raw struct {
		Name string          `json:"name"`
		ID   json.RawMessage `json:"id"`
		Type string          `json:"type"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	m.Name, m.Type, m.ID = raw.Name, raw.Type, ""
	id := bytes.TrimSpace(raw.ID)
	switch {
	case len(id) == 0 || string(id) == "null":
	case id[0] == '"':
		if err := json.Unmarshal(id, &m.ID); err != nil {
			return fmt.Errorf("artifact id: %w", err)
		}
	default:
		var n json.Number
		if err := json.Unmarshal(id, &n); err != nil {
			return fmt.Errorf("artifact id %s: want a string or a number", id)
		}
		m.ID = n.String()
	}
	return nil
}

// ArtifactData is an artifact's source; DownloadURL is only in answers.
type ArtifactData struct {
	URL         string `json:"url"`
	DownloadURL string `json:"download_url,omitempty"`
}

// Artifact is the envelope of GET, PUT and create.
type Artifact struct {
	Metadata ArtifactMetadata `json:"metadata"`
	Data     ArtifactData     `json:"data"`
}

// ArtifactQuery is one query of POST /artifacts; Name "*" matches all.
type ArtifactQuery struct {
	Name  string   `json:"name"`
	Types []string `json:"types,omitempty"`
}

// ArtifactRegEx is the body of POST /artifact/byRegEx.
type ArtifactRegEx struct {
	Regex string `json:"regex"`
}

// CreateResult is the outcome of CreateArtifact.
type CreateResult struct {
	// Artifact is the created artifact; nil on a 202 without a body.
	Artifact *Artifact
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
// /artifact/{artifactType}. The create is never blindly re-sent (only a 429,
// which the server answers before acting, is retried): after an ambiguous
// failure (no answer, timeout, 5xx) it looks for an artifact of that type
// with that url and adopts it (Adopted); when there is none it returns the
// original error. 409, 424, 400 and other answers are *APIError.
func (c *Client) CreateArtifact(ctx context.Context, artifactType, sourceURL string) (*CreateResult, error) {
	if artifactType == "" {
		return nil, errors.New("artifact type is required")
	}
	cl := call{method: http.MethodPost, path: pathOf("artifact", artifactType), body: ArtifactData{URL: sourceURL}}
	resp, err := c.do(ctx, cl)
	if err != nil {
		if !ambiguous(err) || ctx.Err() != nil {
			return nil, err
		}
		found, findErr := c.FindArtifactByURL(ctx, artifactType, sourceURL)
		if findErr != nil || found == nil {
			// The lookup's own failure would hide why the create failed.
			return nil, err
		}
		return &CreateResult{Artifact: found, Adopted: true}, nil
	}

	if resp.status == http.StatusAccepted {
		res := &CreateResult{Accepted: true}
		var a Artifact
		if len(bytes.TrimSpace(resp.body)) > 0 && json.Unmarshal(resp.body, &a) == nil && a.Metadata.ID != "" {
			res.Artifact = &a
		}
		return res, nil
	}
	var a Artifact
	if err := decode(cl, resp, &a); err != nil {
		return nil, err
	}
	if a.Metadata.ID == "" {
		return nil, fmt.Errorf("%s %s: the registry answered %d without the artifact's id", cl.method, cl.path, resp.status)
	}
	return &CreateResult{Artifact: &a}, nil
}

// ambiguous reports whether a failed create may nonetheless have created
// the artifact: no answer at all (connection dropped, timeout), or a server
// error other than 501 Not Implemented.
func ambiguous(err error) bool {
	var te *transportError
	if errors.As(err, &te) {
		return true
	}
	code := StatusCode(err)
	return code >= 500 && code != http.StatusNotImplemented
}

// GetArtifact reads GET /artifacts/{artifactType}/{id}; a missing artifact is
// an *APIError for which IsNotFound is true.
func (c *Client) GetArtifact(ctx context.Context, artifactType, id string) (*Artifact, error) {
	p, err := artifactPath(artifactType, id)
	if err != nil {
		return nil, err
	}
	cl := call{method: http.MethodGet, path: p, idempotent: true}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	var a Artifact
	if err := decode(cl, resp, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// UpdateArtifact replaces the source of artifact a.Metadata (type, id and
// name must be the stored ones) with a.Data.URL: PUT
// /artifacts/{type}/{id}. 200 and 202 are success.
func (c *Client) UpdateArtifact(ctx context.Context, a Artifact) error {
	p, err := artifactPath(a.Metadata.Type, a.Metadata.ID)
	if err != nil {
		return err
	}
	// download_url is read-only: the server sets it.
	body := Artifact{Metadata: a.Metadata, Data: ArtifactData{URL: a.Data.URL}}
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
func (c *Client) ListArtifacts(ctx context.Context, queries []ArtifactQuery) ([]ArtifactMetadata, error) {
	if len(queries) == 0 {
		return nil, errors.New("at least one artifact query is required (name \"*\" lists all)")
	}
	var (
		out       []ArtifactMetadata
		seen      = map[ArtifactMetadata]bool{}
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
		resp, err := c.do(ctx, cl)
		if err != nil {
			return nil, err
		}
		var items []ArtifactMetadata
		if err := decode(cl, resp, &items); err != nil {
			return nil, err
		}
		for _, m := range items {
			key := ArtifactMetadata{ID: m.ID, Type: m.Type}
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
// /artifact/byName/{name}); none (404) is an empty list.
func (c *Client) ArtifactsByName(ctx context.Context, name string) ([]ArtifactMetadata, error) {
	if name == "" {
		return nil, errors.New("artifact name is required")
	}
	cl := call{method: http.MethodGet, path: pathOf("artifact", "byName", name), idempotent: true}
	return c.metadataList(ctx, cl)
}

// ArtifactsByRegex lists the artifacts whose name or README matches regex
// (POST /artifact/byRegEx); none (404) is an empty list.
func (c *Client) ArtifactsByRegex(ctx context.Context, regex string) ([]ArtifactMetadata, error) {
	if regex == "" {
		return nil, errors.New("regular expression is required")
	}
	cl := call{method: http.MethodPost, path: "/artifact/byRegEx", body: ArtifactRegEx{Regex: regex}, idempotent: true}
	return c.metadataList(ctx, cl)
}

func (c *Client) metadataList(ctx context.Context, cl call) ([]ArtifactMetadata, error) {
	resp, err := c.do(ctx, cl)
	if IsNotFound(err) {
		return []ArtifactMetadata{}, nil
	}
	if err != nil {
		return nil, err
	}
	items := []ArtifactMetadata{}
	if err := decode(cl, resp, &items); err != nil {
		return nil, err
	}
	return items, nil
}

// FindArtifactByURL finds an artifact of artifactType whose source url is
// sourceURL: first among the artifacts named like the url (artifacturl.DeriveName,
// the name the registry gives it), then, when none of those matches, among
// all artifacts of that type. It returns nil, nil when there is none.
func (c *Client) FindArtifactByURL(ctx context.Context, artifactType, sourceURL string) (*Artifact, error) {
	checked := map[string]bool{}
	match := func(candidates []ArtifactMetadata) (*Artifact, error) {
		for _, m := range candidates {
			if m.Type != artifactType || checked[m.ID] {
				continue
			}
			checked[m.ID] = true
			a, err := c.GetArtifact(ctx, artifactType, m.ID)
			if IsNotFound(err) {
				continue // deleted meanwhile
			}
			if err != nil {
				return nil, err
			}
			if sameURL(a.Data.URL, sourceURL) {
				return a, nil
			}
		}
		return nil, nil
	}

	var byNameErr error
	if name, err := artifacturl.DeriveName(sourceURL); err == nil {
		candidates, err := c.ArtifactsByName(ctx, name)
		if err == nil {
			if a, err := match(candidates); a != nil || err != nil {
				return a, err
			}
		} else {
			if ctx.Err() != nil {
				return nil, err
			}
			// byName is NON-BASELINE in the spec: fall back to the list.
			byNameErr = err
		}
	}

	all, err := c.ListArtifacts(ctx, []ArtifactQuery{{Name: "*", Types: []string{artifactType}}})
	if err != nil {
		if byNameErr != nil {
			return nil, fmt.Errorf("looking up %s artifacts by url: %w; and by name: %w", artifactType, err, byNameErr)
		}
		return nil, fmt.Errorf("looking up %s artifacts by url: %w", artifactType, err)
	}
	return match(all)
}

// sameURL compares source urls, ignoring surrounding space and a trailing
// slash.
func sameURL(a, b string) bool {
	norm := func(s string) string { return strings.TrimSuffix(strings.TrimSpace(s), "/") }
	return norm(a) == norm(b)
}

// Health checks GET /health (no token needed).
func (c *Client) Health(ctx context.Context) error {
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/health", idempotent: true, noAuth: true})
	return err
}
