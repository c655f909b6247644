package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/replay"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// Source URLs of the replayed upstream repositories (internal/replay).
const (
	replayBertURL  = "https://huggingface.co/google-bert/bert-base-uncased"
	replaySquadURL = "https://huggingface.co/csarron/bert-base-uncased-squad-v1" // base_model: bert-base-uncased, datasets: squad
	replayPoorURL  = "https://huggingface.co/example-org/tiny-unlicensed-model"  // no license, two-line README, one contributor
	replayDataURL  = "https://huggingface.co/datasets/squad"
	replayGitHub   = "https://github.com/google-research/bert"
)

// trustRegistry is our registry server with its trust pipeline, run in the
// test process on a loopback port, in memory (startInProcessServer), rating
// from the replay of Hugging Face and GitHub (also on loopback). The provider of the test
// reaches it through the REGISTRY_* environment variables, so a
// configuration (or an example) needs no provider block.
type trustRegistry struct {
	endpoint string
	// api is the default admin's client: expected values come from the
	// server's own API, and checks read what it holds.
	api *client.Client
	log *requestLog
}

// trustRegistryOptions configure startTrustRegistry.
type trustRegistryOptions struct {
	mode server.RatingMode
	// upstreamDelay slows every answer of the replay, so that an
	// asynchronous rating surely outlasts the provider's first polls.
	upstreamDelay time.Duration
	// upstreamDown points the server at a closed loopback port instead of
	// the replay: Hugging Face and GitHub are unreachable.
	upstreamDown bool
	// upstreamHeld, when not nil, holds every answer of the replay until
	// it is closed: a rating stays pending as long as the test wants.
	upstreamHeld <-chan struct{}
}

// startTrustRegistry starts the replay and the server (startInProcessServer);
// both stop when the test ends. It skips without TF_ACC, like resource.Test.
func startTrustRegistry(t *testing.T, opts trustRegistryOptions) *trustRegistry {
	t.Helper()
	upstream := closedLoopbackURL(t)
	if !opts.upstreamDown {
		replayServer := httptest.NewServer(delayed(replay.Handler(), opts.upstreamDelay, opts.upstreamHeld)) // listens on 127.0.0.1
		t.Cleanup(replayServer.Close)
		upstream = replayServer.URL
	}
	log := &requestLog{}
	reg := startInProcessServer(t, server.Config{TrustConfig: server.TrustConfig{
		HFEndpoint:      upstream,
		GitHubAPIURL:    upstream,
		RatingMode:      opts.mode,
		UpstreamTimeout: 30 * time.Second,
	}}, log.wrap)

	t.Setenv(envEndpoint, reg.URL)
	t.Setenv(envUsername, inProcessUser)
	t.Setenv(envPassword, inProcessPassword)
	t.Setenv(envToken, "")
	api, err := client.New(client.Config{Endpoint: reg.URL, Username: inProcessUser, Password: inProcessPassword, IsAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	return &trustRegistry{endpoint: reg.URL, api: api, log: log}
}

// closedLoopbackURL is the URL of a loopback port that nothing listens on.
func closedLoopbackURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

// delayed answers with h after d, and not before held is closed (a nil
// channel holds nothing).
func delayed(h http.Handler, d time.Duration, held <-chan struct{}) http.Handler {
	if d == 0 && held == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if held != nil {
			select {
			case <-held:
			case <-r.Context().Done():
				return
			}
		}
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
		h.ServeHTTP(w, r)
	})
}

// requestLog records the method, path and status of every request.
type requestLog struct {
	mu      sync.Mutex
	entries []string
}

func (l *requestLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		l.mu.Lock()
		l.entries = append(l.entries, fmt.Sprintf("%s %s %d", r.Method, r.URL.Path, rec.status))
		l.mu.Unlock()
	})
}

// count is the number of requests "<METHOD> <path> <status>" recorded.
func (l *requestLog) count(method, path string, status int) int {
	want := fmt.Sprintf("%s %s %d", method, path, status)
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.entries {
		if e == want {
			n++
		}
	}
	return n
}

// withPrefix lists the recorded requests that start with prefix.
func (l *requestLog) withPrefix(prefix string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.entries {
		if strings.HasPrefix(e, prefix) {
			out = append(out, e)
		}
	}
	return out
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// seed registers an artifact through the API (not through Terraform) and
// returns its id.
func (r *trustRegistry) seed(t *testing.T, artifactType, url string) string {
	t.Helper()
	res, err := r.api.CreateArtifact(context.Background(), artifactType, url)
	if err != nil {
		t.Fatalf("registering the %s %s: %v", artifactType, url, err)
	}
	if res.Artifact == nil {
		t.Fatalf("registering the %s %s: the registry answered 202; seed needs a registry that rates synchronously or not at all", artifactType, url)
	}
	return string(res.Artifact.Metadata.ID)
}

// exactChecks turns a JSON object the server's API gave (a rating, a cost
// entry) into one state check per field of address: numbers, strings and
// booleans compared exactly, objects field by field.
func exactChecks(t *testing.T, address string, v any) []statecheck.StateCheck {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	checks := make([]statecheck.StateCheck, 0, len(fields))
	for name, value := range fields {
		checks = append(checks, statecheck.ExpectKnownValue(address, tfjsonpath.New(name), exactValue(t, value)))
	}
	return checks
}

func exactValue(t *testing.T, v any) knownvalue.Check {
	t.Helper()
	switch v := v.(type) {
	case float64:
		return knownvalue.Float64Exact(v)
	case string:
		return knownvalue.StringExact(v)
	case bool:
		return knownvalue.Bool(v)
	case map[string]any:
		m := make(map[string]knownvalue.Check, len(v))
		for k, e := range v {
			m[k] = exactValue(t, e)
		}
		return knownvalue.ObjectExact(m)
	}
	t.Fatalf("no exact check for %T", v)
	return nil
}

// registryHolds checks that the registry holds the registry_artifact at
// address as its state says: same id, type, url and name.
func registryHolds(api *client.Client, address string) statecheck.StateCheck {
	return stateCheckFunc(func(state *tfjson.State) error {
		attrs := attributes(state, address)
		if attrs == nil {
			return fmt.Errorf("%s is not in state", address)
		}
		attr := func(name string) string { s, _ := attrs[name].(string); return s }
		a, err := api.GetArtifact(context.Background(), attr("type"), attr("id"))
		if err != nil {
			return fmt.Errorf("%s is in state with id %q, but the registry does not hold it: %w", address, attr("id"), err)
		}
		if a.Data.URL != attr("url") || a.Metadata.Name != attr("name") {
			return fmt.Errorf("%s: state has url %q and name %q, the registry %q and %q", address, attr("url"), attr("name"), a.Data.URL, a.Metadata.Name)
		}
		return nil
	})
}

// stateValue stores the string attribute of address into *dst, for checks
// after resource.Test.
func stateValue(address, attribute string, dst *string) statecheck.StateCheck {
	return stateCheckFunc(func(state *tfjson.State) error {
		v, ok := attributes(state, address)[attribute].(string)
		if !ok {
			return fmt.Errorf("%s.%s is not a string in state", address, attribute)
		}
		*dst = v
		return nil
	})
}

// attributes are the attribute values of address in state (nil when absent).
func attributes(state *tfjson.State, address string) map[string]any {
	for _, r := range state.Values.RootModule.Resources {
		if r.Address == address {
			return r.AttributeValues
		}
	}
	return nil
}

// stateNumber reads a number of the state (terraform-json keeps numbers as
// json.Number).
func stateNumber(v any) (float64, error) {
	switch n := v.(type) {
	case json.Number:
		return n.Float64()
	case float64:
		return n, nil
	}
	return 0, fmt.Errorf("%v is not a number", v)
}

// trustTestCase is a resource.TestCase against the in-process registry
// (the provider finds it through the environment set by startTrustRegistry).
func trustTestCase(steps ...resource.TestStep) resource.TestCase {
	return resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps}
}

// costsCheck is a check of the costs map of registry_artifact_cost: the
// entries the server's API gave, each exactly. An entry without a standalone
// cost has it null, except without dependencies, where it is the total.
func costsCheck(costs map[string]wire.ArtifactCostEntry, dependency bool) knownvalue.Check {
	m := map[string]knownvalue.Check{}
	for id, c := range costs {
		var standalone knownvalue.Check = knownvalue.Null()
		switch {
		case c.StandaloneCost != nil:
			standalone = knownvalue.Float64Exact(*c.StandaloneCost)
		case !dependency:
			standalone = knownvalue.Float64Exact(c.TotalCost)
		}
		m[id] = knownvalue.ObjectExact(map[string]knownvalue.Check{
			"standalone_cost": standalone,
			"total_cost":      knownvalue.Float64Exact(c.TotalCost),
		})
	}
	return knownvalue.MapExact(m)
}

// lineageChecks check that the nodes and edges of the registry_model_lineage
// at address are the server's graph g, in its order.
func lineageChecks(address string, g *wire.ArtifactLineageGraph) []statecheck.StateCheck {
	nodes := make([]knownvalue.Check, len(g.Nodes))
	for i, n := range g.Nodes {
		nodes[i] = knownvalue.ObjectExact(map[string]knownvalue.Check{
			"artifact_id": knownvalue.StringExact(string(n.ArtifactID)),
			"name":        knownvalue.StringExact(n.Name),
			"source":      knownvalue.StringExact(n.Source),
		})
	}
	edges := make([]knownvalue.Check, len(g.Edges))
	for i, e := range g.Edges {
		edges[i] = knownvalue.ObjectExact(map[string]knownvalue.Check{
			"from_node_artifact_id": knownvalue.StringExact(string(e.FromNodeArtifactID)),
			"to_node_artifact_id":   knownvalue.StringExact(string(e.ToNodeArtifactID)),
			"relationship":          knownvalue.StringExact(e.Relationship),
		})
	}
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue(address, tfjsonpath.New("nodes"), knownvalue.ListExact(nodes)),
		statecheck.ExpectKnownValue(address, tfjsonpath.New("edges"), knownvalue.ListExact(edges)),
	}
}

// auditEntriesCheck is a check of the entries of registry_artifact_audit:
// the server's trail, oldest first.
func auditEntriesCheck(trail []wire.ArtifactAuditEntry) knownvalue.Check {
	entries := make([]knownvalue.Check, len(trail))
	for i, e := range trail {
		entries[i] = knownvalue.ObjectExact(map[string]knownvalue.Check{
			"user_name":     knownvalue.StringExact(e.User.Name),
			"user_is_admin": knownvalue.Bool(e.User.IsAdmin),
			"date":          knownvalue.StringExact(e.Date),
			"action":        knownvalue.StringExact(e.Action),
		})
	}
	return knownvalue.ListExact(entries)
}

// deferredChecks are state checks made when they run, from what the
// registry answers then: the expected values of a step whose artifacts an
// earlier step of the same test created.
type deferredChecks func() ([]statecheck.StateCheck, error)

func (f deferredChecks) CheckState(ctx context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	checks, err := f()
	if err != nil {
		resp.Error = err
		return
	}
	var errs []error
	for _, c := range checks {
		var r statecheck.CheckStateResponse
		c.CheckState(ctx, req, &r)
		errs = append(errs, r.Error)
	}
	resp.Error = errors.Join(errs...)
}
