package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// otherRegistry makes our server answer like other implementations of the
// same API (OpenAPI 3.4.7) that users met:
//   - an unknown route answers the web framework's HTML page, 404 or 405
//     (Express: "Cannot DELETE /artifacts/model/...");
//   - no DELETE /artifacts/{type}/{id} (NON-BASELINE) until deleteRouted;
//   - no GET /artifact/byName/{name} (NON-BASELINE);
//   - PUT answers 200 text/plain "OK"; with putKeepsURL without storing the
//     new url;
//   - PUT /authenticate answers 501 (no authentication; the middleware
//     sends its own token to our server);
//   - POST /artifacts sends an offset header on every page, the last one
//     included, so that a client must stop on an empty page;
//   - ids are numbers (1731000000123), not strings;
//   - every JSON object carries fields the spec does not know.
type otherRegistry struct {
	next         http.Handler
	token        string
	putKeepsURL  bool
	deleteRouted atomic.Bool

	mu         sync.Mutex
	toNumeric  map[string]string
	toOriginal map[string]string
}

func newOtherRegistry(t *testing.T, next http.Handler, putKeepsURL bool) *otherRegistry {
	t.Helper()
	body := fmt.Sprintf(`{"user":{"name":%q,"is_admin":true},"secret":{"password":%q}}`, inProcessUser, inProcessPassword)
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, httptest.NewRequest(http.MethodPut, "/authenticate", strings.NewReader(body)))
	var token string
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &token) != nil {
		t.Fatalf("the middleware could not authenticate: %d %s", rec.Code, rec.Body)
	}
	return &otherRegistry{next: next, token: token, putKeepsURL: putKeepsURL, toNumeric: map[string]string{}, toOriginal: map[string]string{}}
}

// frameworkPage answers like Express for a route it does not know.
func frameworkPage(w http.ResponseWriter, r *http.Request, status int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot %s %s</pre>\n</body>\n</html>\n",
		r.Method, html.EscapeString(r.URL.Path))
}

func (o *otherRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/authenticate":
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusNotImplemented)
		_, _ = io.WriteString(w, "Not Implemented")
		return
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/artifacts/") && !o.deleteRouted.Load(),
		strings.HasPrefix(r.URL.Path, "/artifact/byName/"):
		frameworkPage(w, r, http.StatusNotFound)
		return
	case r.Method == http.MethodPut && o.putKeepsURL:
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "OK")
		return
	}

	in := r.Clone(r.Context())
	in.Header.Set("X-Authorization", o.token)
	in.Header.Set("Authorization", o.token)
	if seg := strings.Split(r.URL.Path, "/"); len(seg) == 4 && seg[1] == "artifacts" {
		seg[3] = o.original(seg[3])
		in.URL.Path, in.URL.RawPath = strings.Join(seg, "/"), ""
	}
	body, _ := io.ReadAll(r.Body)
	if r.Method == http.MethodPut {
		// The client sends the numeric id back in metadata.id.
		var a map[string]any
		if json.Unmarshal(body, &a) == nil {
			if md, ok := a["metadata"].(map[string]any); ok {
				if id, ok := md["id"].(string); ok {
					md["id"] = o.original(id)
				}
			}
			body, _ = json.Marshal(a)
		}
	}
	in.Body, in.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))

	rec := httptest.NewRecorder()
	o.next.ServeHTTP(rec, in)
	out := rec.Body.Bytes()
	switch {
	case rec.Code == http.StatusNotFound && bytes.Contains(out, []byte("no endpoint")),
		rec.Code == http.StatusMethodNotAllowed:
		frameworkPage(w, r, rec.Code)
		return
	case r.Method == http.MethodPut && rec.Code == http.StatusOK:
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "OK")
		return
	}
	if r.Method == http.MethodPost && r.URL.Path == "/artifacts" && rec.Code == http.StatusOK && rec.Header().Get("offset") == "" {
		var items []any
		start, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		if json.Unmarshal(out, &items) == nil {
			rec.Header().Set("offset", strconv.Itoa(start+len(items)))
		}
	}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			out, _ = json.Marshal(o.rewrite(v))
		}
	}
	for k, vs := range rec.Header() {
		if k != "Content-Length" {
			w.Header()[k] = vs
		}
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(out)
}

// rewrite turns string ids into numbers and adds unknown fields to every
// object.
func (o *otherRegistry) rewrite(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if id, ok := x.(string); ok && k == "id" {
				t[k] = json.Number(o.numeric(id))
				continue
			}
			t[k] = o.rewrite(x)
		}
		t["x_vendor_build"] = "2025.11.3"
		t["x_vendor"] = map[string]any{"region": "eu-west-1", "tags": []any{"a", 1, nil}}
		return t
	case []any:
		for i := range t {
			t[i] = o.rewrite(t[i])
		}
	}
	return v
}

func (o *otherRegistry) numeric(id string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n, ok := o.toNumeric[id]; ok {
		return n
	}
	n := strconv.Itoa(1731000000123 + len(o.toNumeric))
	o.toNumeric[id], o.toOriginal[n] = n, id
	return n
}

func (o *otherRegistry) original(id string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if orig, ok := o.toOriginal[id]; ok {
		return orig
	}
	return id
}

var numericID = regexp.MustCompile(`^[0-9]{13}$`)

func otherRegistryConfig(endpoint, modelURL, datasetURL, codeURL string) string {
	return inProcessProviderConfig(endpoint, "") + fmt.Sprintf(`
resource "registry_artifact" "model" {
  type = "model"
  url  = %q
}

resource "registry_artifact" "dataset" {
  type = "dataset"
  url  = %q
}

resource "registry_artifact" "code" {
  type = "code"
  url  = %q
}

# By name: this registry has no byName route, so the name query of
# POST /artifacts answers.
data "registry_artifact" "dataset" {
  name = registry_artifact.dataset.name
  type = "dataset"
}

# Every artifact: pages of 2, with an offset header on every page.
data "registry_artifacts" "all" {
  depends_on = [registry_artifact.model, registry_artifact.dataset, registry_artifact.code]
}
`, modelURL, datasetURL, codeURL)
}

// Against a registry that follows the spec but lacks its NON-BASELINE
// endpoints and answers in other forms: create, read by name, list, update
// and import work; destroy cannot delete, so it fails, says why, and leaves
// both the state and the registry as they were (problems 1 and 2 of issue
// 8).
func TestAccOtherRegistry_lifecycle(t *testing.T) {
	var o *otherRegistry
	reg := startInProcessRegistry(t, 2, func(h http.Handler) http.Handler {
		o = newOtherRegistry(t, h, false)
		return o
	})
	modelURL, _ := testAccURL("model")
	datasetURL, _ := testAccURL("dataset")
	codeURL, _ := testAccURL("code")
	newModelURL := modelURL + "-v2"
	config := otherRegistryConfig(reg.URL, modelURL, datasetURL, codeURL)
	updated := otherRegistryConfig(reg.URL, newModelURL, datasetURL, codeURL)
	missing := updated + `
data "registry_artifact" "missing" {
  name = "no-such-dataset"
  type = "dataset"
}
`

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			return reg.checkHolds(t)
		},
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.model", tfjsonpath.New("id"), knownvalue.StringRegexp(numericID)),
					statecheck.ExpectKnownValue("registry_artifact.code", tfjsonpath.New("id"), knownvalue.StringRegexp(numericID)),
					statecheck.CompareValuePairs("data.registry_artifact.dataset", tfjsonpath.New("id"),
						"registry_artifact.dataset", tfjsonpath.New("id"), compare.ValuesSame()),
					statecheck.ExpectKnownValue("data.registry_artifact.dataset", tfjsonpath.New("url"), knownvalue.StringExact(datasetURL)),
					statecheck.ExpectKnownValue("data.registry_artifacts.all", tfjsonpath.New("artifacts"), knownvalue.ListSizeExact(3)),
					reg.holdsExactly(t, "model "+modelURL, "dataset "+datasetURL, "code "+codeURL),
				},
			},
			{
				// PUT answers 200 text/plain "OK": accepted.
				Config: updated,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("registry_artifact.model", plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.model", tfjsonpath.New("url"), knownvalue.StringExact(newModelURL)),
					reg.holdsExactly(t, "model "+newModelURL, "dataset "+datasetURL, "code "+codeURL),
				},
			},
			{
				// "Not found" only when the registry says so (its name query).
				Config:      missing,
				ExpectError: regexp.MustCompile(`The\s+registry\s+has\s+no\s+artifact\s+of\s+type\s+dataset\s+named\s+"no-such-dataset"`),
			},
			{
				ResourceName:      "registry_artifact.code",
				ImportStateIdFunc: importIDOf("registry_artifact.code"),
				ImportState:       true,
				ImportStateVerify: true,
				Config:            updated,
			},
			{
				Config:      updated,
				Destroy:     true,
				ExpectError: regexp.MustCompile(`(?s)Registry does not support deleting artifacts.*Cannot\s+DELETE\s+/artifacts/.*NON-BASELINE.*terraform\s+state\s+rm`),
			},
			{
				// The failed destroy kept every artifact in state and in the
				// registry: nothing to do.
				Config: updated,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					reg.holdsExactly(t, "model "+newModelURL, "dataset "+datasetURL, "code "+codeURL),
				},
			},
			{
				// The registry gains DELETE: the test's final destroy deletes
				// everything (CheckDestroy).
				PreConfig: func() { o.deleteRouted.Store(true) },
				Config:    updated,
			},
		},
	})
}

// A registry that answers a PUT with 200 but keeps the old url: the update
// is an error with both urls, not an endless diff, and the state records
// the url the registry holds (problem 3).
func TestAccOtherRegistry_updateNotKept(t *testing.T) {
	reg := startInProcessRegistry(t, 100, func(h http.Handler) http.Handler {
		o := newOtherRegistry(t, h, true)
		o.deleteRouted.Store(true)
		return o
	})
	oldURL, _ := testAccURL("model")
	newURL := oldURL + "-v2"
	config := func(url string) string {
		return inProcessProviderConfig(reg.URL, "") + testAccArtifactConfig("model", url)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			return reg.checkHolds(t)
		},
		Steps: []resource.TestStep{
			{
				Config:            config(oldURL),
				ConfigStateChecks: []statecheck.StateCheck{reg.holdsExactly(t, "model "+oldURL)},
			},
			{
				Config: config(newURL),
				ExpectError: regexp.MustCompile(`(?s)Registry kept another url.*` + regexp.QuoteMeta(strconv.Quote(oldURL)) +
					`.*` + regexp.QuoteMeta(strconv.Quote(newURL))),
			},
			{
				// The state holds the registry's url: the old configuration
				// plans nothing.
				Config: config(oldURL),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{reg.holdsExactly(t, "model "+oldURL)},
			},
		},
	})
}
