package client

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// trustServer answers one trust call with status and body, after checking
// the request's method, path and query (or body).
func trustServer(t *testing.T, method, path, wantQuery, wantBody string, status int, body string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ := io.ReadAll(r.Body)
		if r.Method != method || r.URL.EscapedPath() != path || r.URL.RawQuery != wantQuery || strings.TrimSpace(string(got)) != wantBody {
			t.Errorf("request %s %s?%s %s, want %s %s?%s %s", r.Method, r.URL.EscapedPath(), r.URL.RawQuery, got, method, path, wantQuery, wantBody)
			w.WriteHeader(http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{Endpoint: srv.URL, Token: "bearer trust-test-token", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ratingJSON is a complete ModelRating, with fields removed or replaced.
func ratingJSON(t *testing.T, drop string) string {
	t.Helper()
	m := map[string]any{"name": "bert-base-uncased", "category": "MODEL"}
	for _, k := range ratingRequired {
		if _, ok := m[k]; !ok {
			m[k] = 0.5
		}
	}
	m["net_score"] = 0.81
	m["size_score"] = map[string]any{"raspberry_pi": 0.1, "jetson_nano": 0.2, "desktop_pc": 0.9, "aws_server": 1}
	delete(m, drop)
	if size, ok := m["size_score"].(map[string]any); ok {
		delete(size, drop)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestModelRating(t *testing.T) {
	c := trustServer(t, "GET", "/artifact/model/42/rate", "", "", 200, ratingJSON(t, ""))
	r, err := c.ModelRating(context.Background(), "42")
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "bert-base-uncased" || r.NetScore != 0.81 || r.SizeScore.AWSServer != 1 || r.SizeScore.JetsonNano != 0.2 || r.TreeScoreLatency != 0.5 {
		t.Fatalf("rating %+v", r)
	}
}

// A rating without a required field is an error that names it, never a
// silent zero score.
func TestModelRatingMissingField(t *testing.T) {
	for _, drop := range []string{"bus_factor", "size_score_latency", "jetson_nano"} {
		c := trustServer(t, "GET", "/artifact/model/42/rate", "", "", 200, ratingJSON(t, drop))
		_, err := c.ModelRating(context.Background(), "42")
		if err == nil || !strings.Contains(err.Error(), drop) {
			t.Errorf("without %s: %v, want an error naming it", drop, err)
		}
	}
}

func TestModelRatingStatuses(t *testing.T) {
	for _, status := range []int{400, 404, 500, 501} {
		c := trustServer(t, "GET", "/artifact/model/42/rate", "", "", status, `{"error":"could not compute bus_factor"}`)
		_, err := c.ModelRating(context.Background(), "42")
		if StatusCode(err) != status || !strings.Contains(err.Error(), "could not compute bus_factor") {
			t.Errorf("answer %d: %v", status, err)
		}
	}
}

func TestArtifactCost(t *testing.T) {
	c := trustServer(t, "GET", "/artifact/model/1/cost", "dependency=true", "", 200,
		`{"1":{"standalone_cost":412.5,"total_cost":1255.0},"2":{"standalone_cost":280,"total_cost":280},"3":{"total_cost":562.5}}`)
	costs, err := c.ArtifactCost(context.Background(), "model", "1", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(costs) != 3 || costs["1"].TotalCost != 1255 || *costs["1"].StandaloneCost != 412.5 || costs["3"].StandaloneCost != nil {
		t.Fatalf("costs %+v", costs)
	}

	c = trustServer(t, "GET", "/artifact/code/1/cost", "dependency=false", "", 200, `{"1":{"standalone_cost":"big","total_cost":1}}`)
	if _, err := c.ArtifactCost(context.Background(), "code", "1", false); err == nil || !strings.Contains(err.Error(), "standalone_cost") {
		t.Fatalf("non-numeric standalone_cost: %v", err)
	}
	c = trustServer(t, "GET", "/artifact/code/1/cost", "dependency=false", "", 200, `{"1":{}}`)
	if _, err := c.ArtifactCost(context.Background(), "code", "1", false); err == nil || !strings.Contains(err.Error(), "total_cost") {
		t.Fatalf("missing total_cost: %v", err)
	}
}

// Ids may be numbers, as in the spec's examples.
func TestModelLineage(t *testing.T) {
	c := trustServer(t, "GET", "/artifact/model/3847247294/lineage", "", "", 200, `{
  "nodes": [{"artifact_id": 3847247294, "name": "audience-classifier", "source": "config_json", "metadata": {"sha": "x"}},
            {"artifact_id": "9078563412", "name": "bert-base-uncased", "source": "config_json"}],
  "edges": [{"from_node_artifact_id": 9078563412, "to_node_artifact_id": 3847247294, "relationship": "base_model"}]}`)
	g, err := c.ModelLineage(context.Background(), "3847247294")
	if err != nil {
		t.Fatal(err)
	}
	want := wire.ArtifactLineageGraph{
		Nodes: []wire.ArtifactLineageNode{
			{ArtifactID: "3847247294", Name: "audience-classifier", Source: "config_json", Metadata: map[string]any{"sha": "x"}},
			{ArtifactID: "9078563412", Name: "bert-base-uncased", Source: "config_json"},
		},
		Edges: []wire.ArtifactLineageEdge{{FromNodeArtifactID: "9078563412", ToNodeArtifactID: "3847247294", Relationship: "base_model"}},
	}
	if !reflect.DeepEqual(*g, want) {
		t.Fatalf("graph %+v, want %+v", *g, want)
	}
}

func TestLicenseCheck(t *testing.T) {
	c := trustServer(t, "POST", "/artifact/model/7/license-check", "", `{"github_url":"https://github.com/google-research/bert"}`, 200, "false")
	ok, err := c.LicenseCheck(context.Background(), "7", "https://github.com/google-research/bert")
	if err != nil || ok {
		t.Fatalf("LicenseCheck = %v, %v; want false", ok, err)
	}
	c = trustServer(t, "POST", "/artifact/model/7/license-check", "", `{"github_url":"https://github.com/x/y"}`, 502, `{"error":"GitHub unreachable"}`)
	if _, err := c.LicenseCheck(context.Background(), "7", "https://github.com/x/y"); StatusCode(err) != 502 {
		t.Fatalf("LicenseCheck on 502: %v", err)
	}
}

func TestArtifactAudit(t *testing.T) {
	c := trustServer(t, "GET", "/artifact/dataset/5/audit", "", "", 200, `[
  {"user":{"name":"Lina Torres","is_admin":true},"date":"2024-07-11T14:22:05Z","artifact":{"name":"squad","id":5,"type":"dataset"},"action":"CREATE"},
  {"user":{"name":"Casey Morgan","is_admin":false},"date":"2024-09-02T01:12:30Z","artifact":{"name":"squad","id":"5","type":"dataset"},"action":"RATE"}]`)
	entries, err := c.ArtifactAudit(context.Background(), "dataset", "5")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].User.Name != "Lina Torres" || !entries[0].User.IsAdmin || entries[1].Action != "RATE" || entries[0].Artifact.ID != "5" {
		t.Fatalf("entries %+v", entries)
	}
}

// A registry's null is an empty trail, not a nil one.
func TestArtifactAuditNull(t *testing.T) {
	c := trustServer(t, "GET", "/artifact/code/5/audit", "", "", 200, "null")
	entries, err := c.ArtifactAudit(context.Background(), "code", "5")
	if err != nil || entries == nil || len(entries) != 0 {
		t.Fatalf("ArtifactAudit on null = %#v, %v; want an empty, non-nil list", entries, err)
	}
}
