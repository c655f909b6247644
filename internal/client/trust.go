package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// The registry's trust data: a model's rating, an artifact's cost, a
// model's lineage graph, a license check and an artifact's audit trail
// (OpenAPI 3.4.7). Rating, cost, lineage and license check are BASELINE;
// the audit trail is NON-BASELINE.

// ratingRequired and sizeScoreRequired are the fields the spec requires in
// a ModelRating and its size_score: an answer without one of them is an
// error, not a silent zero.
var (
	ratingRequired    = requiredFields[wire.ModelRating]()
	sizeScoreRequired = requiredFields[wire.SizeScore]()
)

// requiredFields lists the JSON names of T's fields that are not
// omitempty: the generated wire types mark exactly the spec's optional
// fields omitempty.
func requiredFields[T any]() []string {
	var names []string
	for f := range reflect.TypeFor[T]().Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" && !strings.Contains(opts, "omitempty") {
			names = append(names, name)
		}
	}
	return names
}

// ModelRating reads GET /artifact/model/{id}/rate. A registry that rates
// asynchronously answers 404 until the rating exists; 500 means it could
// not compute at least one metric.
func (c *Client) ModelRating(ctx context.Context, id string) (*wire.ModelRating, error) {
	if id == "" {
		return nil, errors.New("model id is required")
	}
	cl := call{method: http.MethodGet, path: pathOf("artifact", artifact.TypeModel, id, "rate"), idempotent: true}
	fields, resp, err := doJSON[map[string]json.RawMessage](ctx, c, cl)
	if err != nil {
		return nil, err
	}
	if missing := missingFields(fields, ratingRequired); len(missing) > 0 {
		return nil, fmt.Errorf("%s %s: the registry's rating lacks the required field(s) %v", cl.method, cl.path, missing)
	}
	var size map[string]json.RawMessage
	if err := json.Unmarshal(fields["size_score"], &size); err != nil {
		return nil, fmt.Errorf("%s %s: the registry's size_score is not an object: %w", cl.method, cl.path, err)
	}
	if missing := missingFields(size, sizeScoreRequired); len(missing) > 0 {
		return nil, fmt.Errorf("%s %s: the registry's size_score lacks the required field(s) %v", cl.method, cl.path, missing)
	}
	r, err := decodeJSON[wire.ModelRating](cl, resp)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// missingFields lists the names in required that fields lacks or holds as
// null.
func missingFields(fields map[string]json.RawMessage, required []string) []string {
	var missing []string
	for _, k := range required {
		if v, ok := fields[k]; !ok || string(bytes.TrimSpace(v)) == "null" {
			missing = append(missing, k)
		}
	}
	return missing
}

// ArtifactCost reads GET /artifact/{artifactType}/{id}/cost: the answer maps
// artifact ids to costs in MB. Without dependency it holds the artifact
// alone; with it, also each dependency the registry holds.
func (c *Client) ArtifactCost(ctx context.Context, artifactType, id string, dependency bool) (wire.ArtifactCost, error) {
	if artifactType == "" || id == "" {
		return nil, fmt.Errorf("artifact type %q and id %q: both are required", artifactType, id)
	}
	cl := call{
		method: http.MethodGet, path: pathOf("artifact", artifactType, id, "cost"), idempotent: true,
		query: url.Values{"dependency": {strconv.FormatBool(dependency)}},
	}
	raw, _, err := doJSON[map[string]map[string]json.RawMessage](ctx, c, cl)
	if err != nil {
		return nil, err
	}
	costs := make(wire.ArtifactCost, len(raw))
	for artifactID, entry := range raw {
		total, ok, err := number(entry["total_cost"])
		if err != nil || !ok {
			return nil, fmt.Errorf("%s %s: the registry's entry for %q has no numeric total_cost", cl.method, cl.path, artifactID)
		}
		standalone, ok, err := number(entry["standalone_cost"])
		if err != nil {
			return nil, fmt.Errorf("%s %s: the registry's standalone_cost for %q is not a number", cl.method, cl.path, artifactID)
		}
		cost := wire.ArtifactCostEntry{TotalCost: total}
		if ok {
			cost.StandaloneCost = &standalone
		}
		costs[artifactID] = cost
	}
	return costs, nil
}

// number reads an optional JSON number: ok is false when it is absent or
// null.
func number(raw json.RawMessage) (v float64, ok bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, false, err
	}
	return v, true, nil
}

// ModelLineage reads GET /artifact/model/{id}/lineage. 400 means the
// registry cannot compute the graph from the model's metadata.
func (c *Client) ModelLineage(ctx context.Context, id string) (*wire.ArtifactLineageGraph, error) {
	if id == "" {
		return nil, errors.New("model id is required")
	}
	cl := call{method: http.MethodGet, path: pathOf("artifact", artifact.TypeModel, id, "lineage"), idempotent: true}
	g, _, err := doJSON[wire.ArtifactLineageGraph](ctx, c, cl)
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// LicenseCheck asks POST /artifact/model/{id}/license-check whether the
// model's license is compatible with the GitHub project's for fine-tuning
// and inference. The call changes nothing on the registry, so it is retried
// like a read. 404: no such model or GitHub project; 502: the registry could
// not reach GitHub.
func (c *Client) LicenseCheck(ctx context.Context, id, githubURL string) (bool, error) {
	if id == "" || githubURL == "" {
		return false, fmt.Errorf("model id %q and GitHub url %q: both are required", id, githubURL)
	}
	cl := call{
		method: http.MethodPost, path: pathOf("artifact", artifact.TypeModel, id, "license-check"), idempotent: true,
		body: wire.SimpleLicenseCheckRequest{GithubURL: githubURL},
	}
	ok, _, err := doJSON[bool](ctx, c, cl)
	return ok, err
}

// ArtifactAudit reads GET /artifact/{artifactType}/{id}/audit (NON-BASELINE)
// in the registry's order.
func (c *Client) ArtifactAudit(ctx context.Context, artifactType, id string) ([]wire.ArtifactAuditEntry, error) {
	if artifactType == "" || id == "" {
		return nil, fmt.Errorf("artifact type %q and id %q: both are required", artifactType, id)
	}
	cl := call{method: http.MethodGet, path: pathOf("artifact", artifactType, id, "audit"), idempotent: true}
	entries, _, err := doList[wire.ArtifactAuditEntry](ctx, c, cl)
	return entries, err
}
