package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
)

// The registry's trust data: a model's rating, an artifact's cost, a
// model's lineage graph, a license check and an artifact's audit trail
// (OpenAPI 3.4.7). Rating, cost, lineage and license check are BASELINE;
// the audit trail is NON-BASELINE.

// SizeScore is ModelRating.size_score: the size suitability per deployment
// target, each in [0, 1].
type SizeScore struct {
	RaspberryPi float64 `json:"raspberry_pi"`
	JetsonNano  float64 `json:"jetson_nano"`
	DesktopPC   float64 `json:"desktop_pc"`
	AWSServer   float64 `json:"aws_server"`
}

// ModelRating is the answer of GET /artifact/model/{id}/rate. Scores are in
// [0, 1]; each *Latency is the seconds the registry took to compute it.
type ModelRating struct {
	Name                       string    `json:"name"`
	Category                   string    `json:"category"`
	NetScore                   float64   `json:"net_score"`
	NetScoreLatency            float64   `json:"net_score_latency"`
	RampUpTime                 float64   `json:"ramp_up_time"`
	RampUpTimeLatency          float64   `json:"ramp_up_time_latency"`
	BusFactor                  float64   `json:"bus_factor"`
	BusFactorLatency           float64   `json:"bus_factor_latency"`
	PerformanceClaims          float64   `json:"performance_claims"`
	PerformanceClaimsLatency   float64   `json:"performance_claims_latency"`
	License                    float64   `json:"license"`
	LicenseLatency             float64   `json:"license_latency"`
	DatasetAndCodeScore        float64   `json:"dataset_and_code_score"`
	DatasetAndCodeScoreLatency float64   `json:"dataset_and_code_score_latency"`
	DatasetQuality             float64   `json:"dataset_quality"`
	DatasetQualityLatency      float64   `json:"dataset_quality_latency"`
	CodeQuality                float64   `json:"code_quality"`
	CodeQualityLatency         float64   `json:"code_quality_latency"`
	Reproducibility            float64   `json:"reproducibility"`
	ReproducibilityLatency     float64   `json:"reproducibility_latency"`
	Reviewedness               float64   `json:"reviewedness"`
	ReviewednessLatency        float64   `json:"reviewedness_latency"`
	TreeScore                  float64   `json:"tree_score"`
	TreeScoreLatency           float64   `json:"tree_score_latency"`
	SizeScore                  SizeScore `json:"size_score"`
	SizeScoreLatency           float64   `json:"size_score_latency"`
}

// ratingRequired are the fields the spec requires in a ModelRating: an
// answer without one of them is an error, not a silent zero.
var ratingRequired = []string{
	"name", "category", "net_score", "net_score_latency", "ramp_up_time", "ramp_up_time_latency",
	"bus_factor", "bus_factor_latency", "performance_claims", "performance_claims_latency",
	"license", "license_latency", "dataset_and_code_score", "dataset_and_code_score_latency",
	"dataset_quality", "dataset_quality_latency", "code_quality", "code_quality_latency",
	"reproducibility", "reproducibility_latency", "reviewedness", "reviewedness_latency",
	"tree_score", "tree_score_latency", "size_score", "size_score_latency",
}

var sizeScoreRequired = []string{"raspberry_pi", "jetson_nano", "desktop_pc", "aws_server"}

// ArtifactCost is one entry of the answer of GET
// /artifact/{type}/{id}/cost, in MB. StandaloneCost is nil when the
// registry left it out (the spec requires it only with dependency=true).
type ArtifactCost struct {
	StandaloneCost *float64 `json:"standalone_cost,omitempty"`
	TotalCost      float64  `json:"total_cost"`
}

// LineageNode is a node of a model's lineage graph.
type LineageNode struct {
	ArtifactID string `json:"artifact_id"`
	Name       string `json:"name"`
	Source     string `json:"source"`
}

// LineageEdge is a directed edge of a model's lineage graph: from the
// upstream node to the downstream one.
type LineageEdge struct {
	FromNodeArtifactID string `json:"from_node_artifact_id"`
	ToNodeArtifactID   string `json:"to_node_artifact_id"`
	Relationship       string `json:"relationship"`
}

// LineageGraph is the answer of GET /artifact/model/{id}/lineage.
type LineageGraph struct {
	Nodes []LineageNode `json:"nodes"`
	Edges []LineageEdge `json:"edges"`
}

// AuditEntry is one entry of GET /artifact/{type}/{id}/audit. Date is as
// the registry wrote it (ISO 8601, UTC).
type AuditEntry struct {
	User     User             `json:"user"`
	Date     string           `json:"date"`
	Artifact ArtifactMetadata `json:"artifact"`
	Action   string           `json:"action"`
}

// UnmarshalJSON accepts artifact ids as strings or numbers, as
// ArtifactMetadata does.
func (n *LineageNode) UnmarshalJSON(b []byte) error {
	var raw struct {
		ArtifactID json.RawMessage `json:"artifact_id"`
		Name       string          `json:"name"`
		Source     string          `json:"source"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	id, err := flexibleID(raw.ArtifactID)
	if err != nil {
		return fmt.Errorf("lineage node artifact_id: %w", err)
	}
	*n = LineageNode{ArtifactID: id, Name: raw.Name, Source: raw.Source}
	return nil
}

// UnmarshalJSON accepts artifact ids as strings or numbers.
func (e *LineageEdge) UnmarshalJSON(b []byte) error {
	var raw struct {
		From         json.RawMessage `json:"from_node_artifact_id"`
		To           json.RawMessage `json:"to_node_artifact_id"`
		Relationship string          `json:"relationship"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	from, err := flexibleID(raw.From)
	if err != nil {
		return fmt.Errorf("lineage edge from_node_artifact_id: %w", err)
	}
	to, err := flexibleID(raw.To)
	if err != nil {
		return fmt.Errorf("lineage edge to_node_artifact_id: %w", err)
	}
	*e = LineageEdge{FromNodeArtifactID: from, ToNodeArtifactID: to, Relationship: raw.Relationship}
	return nil
}

// flexibleID reads an id written as a JSON string or number ("" for
// absent or null).
func flexibleID(raw json.RawMessage) (string, error) {
	id := bytes.TrimSpace(raw)
	switch {
	case len(id) == 0 || string(id) == "null":
		return "", nil
	case id[0] == '"':
		var s string
		err := json.Unmarshal(id, &s)
		return s, err
	default:
		var n json.Number
		if err := json.Unmarshal(id, &n); err != nil {
			return "", fmt.Errorf("%s: want a string or a number", id)
		}
		return n.String(), nil
	}
}

// ModelRating reads GET /artifact/model/{id}/rate. A registry that rates
// asynchronously answers 404 until the rating exists; 500 means it could
// not compute at least one metric.
func (c *Client) ModelRating(ctx context.Context, id string) (*ModelRating, error) {
	if id == "" {
		return nil, errors.New("model id is required")
	}
	cl := call{method: http.MethodGet, path: pathOf("artifact", artifact.TypeModel, id, "rate"), idempotent: true}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := decode(cl, resp, &fields); err != nil {
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
	var r ModelRating
	if err := decode(cl, resp, &r); err != nil {
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
func (c *Client) ArtifactCost(ctx context.Context, artifactType, id string, dependency bool) (map[string]ArtifactCost, error) {
	if artifactType == "" || id == "" {
		return nil, fmt.Errorf("artifact type %q and id %q: both are required", artifactType, id)
	}
	cl := call{
		method: http.MethodGet, path: pathOf("artifact", artifactType, id, "cost"), idempotent: true,
		query: url.Values{"dependency": {strconv.FormatBool(dependency)}},
	}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	var raw map[string]map[string]json.RawMessage
	if err := decode(cl, resp, &raw); err != nil {
		return nil, err
	}
	costs := make(map[string]ArtifactCost, len(raw))
	for artifactID, entry := range raw {
		total, ok, err := number(entry["total_cost"])
		if err != nil || !ok {
			return nil, fmt.Errorf("%s %s: the registry's entry for %q has no numeric total_cost", cl.method, cl.path, artifactID)
		}
		standalone, ok, err := number(entry["standalone_cost"])
		if err != nil {
			return nil, fmt.Errorf("%s %s: the registry's standalone_cost for %q is not a number", cl.method, cl.path, artifactID)
		}
		cost := ArtifactCost{TotalCost: total}
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
func (c *Client) ModelLineage(ctx context.Context, id string) (*LineageGraph, error) {
	if id == "" {
		return nil, errors.New("model id is required")
	}
	cl := call{method: http.MethodGet, path: pathOf("artifact", artifact.TypeModel, id, "lineage"), idempotent: true}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	var g LineageGraph
	if err := decode(cl, resp, &g); err != nil {
		return nil, err
	}
	return &g, nil
}

// LicenseCheckRequest is the body of POST /artifact/model/{id}/license-check.
type LicenseCheckRequest struct {
	GitHubURL string `json:"github_url"`
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
		body: LicenseCheckRequest{GitHubURL: githubURL},
	}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return false, err
	}
	var ok bool
	if err := decode(cl, resp, &ok); err != nil {
		return false, err
	}
	return ok, nil
}

// ArtifactAudit reads GET /artifact/{artifactType}/{id}/audit (NON-BASELINE)
// in the registry's order.
func (c *Client) ArtifactAudit(ctx context.Context, artifactType, id string) ([]AuditEntry, error) {
	if artifactType == "" || id == "" {
		return nil, fmt.Errorf("artifact type %q and id %q: both are required", artifactType, id)
	}
	cl := call{method: http.MethodGet, path: pathOf("artifact", artifactType, id, "audit"), idempotent: true}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	entries := []AuditEntry{}
	if err := decode(cl, resp, &entries); err != nil {
		return nil, err
	}
	return entries, nil
}
