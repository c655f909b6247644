package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// seed stores an artifact of typ named name at url without rating it, and
// returns its id.
func (r *inProcessRegistry) seed(t *testing.T, typ, name, url, readme string) string {
	t.Helper()
	rec := store.Record{Metadata: wire.ArtifactMetadata{Name: name, Type: typ}, URL: url, CreatedAt: time.Now()}
	if readme != "" {
		rec.HFData = []map[string]any{{"readme_text": readme}}
	}
	created, err := r.store.Create(context.Background(), rec, wire.ArtifactAuditEntry{Action: store.ActionCreate})
	if err != nil {
		t.Fatal(err)
	}
	return string(created.Metadata.ID)
}

// countRequests counts the requests of method whose path starts with prefix.
func countRequests(n *atomic.Int64, method, prefix string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == method && strings.HasPrefix(r.URL.Path, prefix) {
				n.Add(1)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Each filter of the list resource against a registry that pages its
// answers two artifacts at a time: all artifacts, by types, by name (and
// types), by regex (and types), with full resources.
func TestAccArtifactListResource_filters(t *testing.T) {
	var pages atomic.Int64
	reg := startInProcessRegistry(t, 2, countRequests(&pages, http.MethodPost, "/artifacts"))
	alphaModel := reg.seed(t, "model", "alpha", "https://huggingface.co/acc/alpha", "")
	alphaData := reg.seed(t, "dataset", "alpha", "https://huggingface.co/datasets/acc/alpha", "")
	reg.seed(t, "code", "beta", "https://github.com/acc/beta", "")
	gamma := reg.seed(t, "model", "gamma", "https://huggingface.co/acc/gamma", "a model for bert-like tasks")
	provider := inProcessProviderConfig(reg.URL, "")
	identity := func(typ, id string) map[string]knownvalue.Check {
		return map[string]knownvalue.Check{"type": knownvalue.StringExact(typ), "id": knownvalue.StringExact(id)}
	}

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   testAccTerraformFeature("list resources (terraform query)", tfversion.Version1_14_0),
		Steps: []resource.TestStep{
			{Config: provider},
			{
				Query: true,
				// The provider block is in the first step's configuration.
				Config: `
list "registry_artifact" "all" {
  provider = registry
}
list "registry_artifact" "models" {
  provider = registry
  config {
    types = ["model"]
  }
}
list "registry_artifact" "alpha" {
  provider = registry
  config {
    name = "alpha"
  }
}
list "registry_artifact" "alpha_dataset" {
  provider         = registry
  include_resource = true
  config {
    name  = "alpha"
    types = ["dataset"]
  }
}
list "registry_artifact" "bert_readme" {
  provider = registry
  config {
    regex = "bert"
  }
}
list "registry_artifact" "a_models" {
  provider = registry
  config {
    regex = "a$"
    types = ["model"]
  }
}
`,
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("registry_artifact.all", 4),
					querycheck.ExpectLength("registry_artifact.models", 2),
					querycheck.ExpectIdentity("registry_artifact.models", identity("model", alphaModel)),
					querycheck.ExpectIdentity("registry_artifact.models", identity("model", gamma)),
					querycheck.ExpectLength("registry_artifact.alpha", 2),
					querycheck.ExpectIdentity("registry_artifact.alpha", identity("dataset", alphaData)),
					querycheck.ExpectIdentity("registry_artifact.alpha", identity("model", alphaModel)),
					querycheck.ExpectLength("registry_artifact.alpha_dataset", 1),
					querycheck.ExpectResourceDisplayName("registry_artifact.alpha_dataset",
						queryfilter.ByResourceIdentity(identity("dataset", alphaData)),
						knownvalue.StringExact("dataset alpha ("+alphaData+")")),
					querycheck.ExpectResourceKnownValues("registry_artifact.alpha_dataset",
						queryfilter.ByResourceIdentity(identity("dataset", alphaData)),
						[]querycheck.KnownValueCheck{
							{Path: tfjsonpath.New("url"), KnownValue: knownvalue.StringExact("https://huggingface.co/datasets/acc/alpha")},
							{Path: tfjsonpath.New("name"), KnownValue: knownvalue.StringExact("alpha")},
							{Path: tfjsonpath.New("adopt_existing"), KnownValue: knownvalue.Bool(false)},
						}),
					querycheck.ExpectLength("registry_artifact.bert_readme", 1),
					querycheck.ExpectIdentity("registry_artifact.bert_readme", identity("model", gamma)),
					querycheck.ExpectLength("registry_artifact.a_models", 2),
					stateless(func() error {
						// 4 artifacts, 2 per page: every page of "all" and "models".
						if n := pages.Load(); n < 3 {
							return fmt.Errorf("POST /artifacts was called %d times; the 2 pages of all artifacts need 2 calls besides the other lists", n)
						}
						return nil
					}),
				},
			},
		},
	})
}

// stateless is a query check of something other than the query's results.
type stateless func() error

func (f stateless) CheckQuery(_ context.Context, _ querycheck.CheckQueryRequest, resp *querycheck.CheckQueryResponse) {
	resp.Error = f()
}

// A registry without GET /artifact/byName (NON-BASELINE) still lists by
// name, through POST /artifacts; one without POST /artifact/byRegEx fails a
// regex list with an error that names the missing route.
func TestAccArtifactListResource_unroutedEndpoints(t *testing.T) {
	reg := startInProcessRegistry(t, 0, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/artifact/byName/") || r.URL.Path == "/artifact/byRegEx" {
				frameworkPage(w, r, http.StatusNotFound)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	id := reg.seed(t, "model", "alpha", "https://huggingface.co/acc/alpha", "")
	reg.seed(t, "model", "beta", "https://huggingface.co/acc/beta", "")
	provider := inProcessProviderConfig(reg.URL, "")

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   testAccTerraformFeature("list resources (terraform query)", tfversion.Version1_14_0),
		Steps: []resource.TestStep{
			{Config: provider},
			{
				Query: true,
				// The provider block is in the first step's configuration.
				Config: `
list "registry_artifact" "alpha" {
  provider = registry
  config {
    name = "alpha"
  }
}
`,
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("registry_artifact.alpha", 1),
					querycheck.ExpectIdentity("registry_artifact.alpha", map[string]knownvalue.Check{
						"type": knownvalue.StringExact("model"), "id": knownvalue.StringExact(id),
					}),
				},
			},
			{
				Query: true,
				// The provider block is in the first step's configuration.
				Config: `
list "registry_artifact" "regex" {
  provider = registry
  config {
    regex = "^al"
  }
}
`,
				ExpectError: wordsRE("Cannot list registry_artifact", `Searching artifacts by the regular expression "^al" failed`,
					"registry does not serve POST /artifact/byRegEx (it answered 404 Not Found", "this registry does not offer this part of the API"),
			},
		},
	})
}

// `terraform query -generate-config-out` adopts a registry of 300
// artifacts: the generated configuration imports every artifact with the
// following apply, which plans no change afterwards, creates and deletes
// nothing, and pages through POST /artifacts.
func TestAccArtifactListResource_adoptRegistry(t *testing.T) {
	dir := t.TempDir()
	tf := testAccTerraformCLI(t, dir, "list resources (terraform query)", tfversion.Version1_14_0)
	t.Parallel()

	var pages, writes atomic.Int64
	reg := startInProcessServer(t, server.Config{PageSize: 50}, func(next http.Handler) http.Handler {
		return countRequests(&pages, http.MethodPost, "/artifacts")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			read := r.Method == http.MethodGet || r.URL.Path == "/authenticate" ||
				r.Method == http.MethodPost && (r.URL.Path == "/artifacts" || r.URL.Path == "/artifact/byRegEx")
			if !read {
				writes.Add(1)
			}
			next.ServeHTTP(w, r)
		}))
	})
	const n = 300
	want := map[string]string{} // id: "type url"
	for i := range n {
		typ := []string{"model", "dataset", "code"}[i%3]
		url := fmt.Sprintf("https://huggingface.co/acc-adopt/artifact-%03d", i)
		want[reg.seed(t, typ, fmt.Sprintf("artifact-%03d", i), url, "")] = typ + " " + url
	}
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("main.tf", inProcessProviderConfig(reg.URL, ""))
	write("adopt.tfquery.hcl", `
list "registry_artifact" "all" {
  provider = registry
  limit    = 1000
}
`)
	run := func(args ...string) string {
		t.Helper()
		out, _, err := tf.run(t, args)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	run("init", "-no-color")
	run("query", "-no-color", "-generate-config-out=generated.tf")
	generated, err := os.ReadFile(filepath.Join(dir, "generated.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if got := regexp.MustCompile(`(?m)^import \{`).FindAll(generated, -1); len(got) != n {
		t.Fatalf("generated.tf has %d import blocks, want %d:\n%.2000s", len(got), n, generated)
	}
	if got := regexp.MustCompile(`(?m)^resource "registry_artifact" `).FindAll(generated, -1); len(got) != n {
		t.Fatalf("generated.tf has %d registry_artifact blocks, want %d", len(got), n)
	}
	if pages.Load() < n/50 {
		t.Errorf("the query made %d POST /artifacts calls; %d artifacts in pages of 50 need at least %d", pages.Load(), n, n/50)
	}
	if out := run("apply", "-no-color", "-auto-approve"); !strings.Contains(out, fmt.Sprintf("%d imported, 0 added, 0 changed, 0 destroyed", n)) {
		t.Errorf("terraform apply of the generated configuration did not import exactly the %d artifacts:\n%s", n, lastLines(out, 5))
	}
	if out, code, err := tf.run(t, []string{"plan", "-no-color", "-detailed-exitcode"}, 2); err != nil || code != 0 {
		t.Errorf("the plan after the import is not empty (exit code %d, %v):\n%s", code, err, lastLines(out, 30))
	}
	var state tfjson.State
	if err := json.Unmarshal([]byte(run("show", "-json")), &state); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, res := range state.Values.RootModule.Resources {
		got[fmt.Sprint(res.AttributeValues["id"])] = fmt.Sprintf("%v %v", res.AttributeValues["type"], res.AttributeValues["url"])
	}
	if !maps.Equal(got, want) {
		t.Errorf("the state holds %d artifacts, not the %d of the registry", len(got), len(want))
	}
	// The registry holds exactly the seeded artifacts, and nothing wrote to it.
	if err := reg.checkHolds(t, slices.Collect(maps.Values(want))...); err != nil {
		t.Error(err)
	}
	if w := writes.Load(); w != 0 {
		t.Errorf("the registry received %d writes during the adoption, want none", w)
	}
}

// lastLines is the end of a command's output, for an error message.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
