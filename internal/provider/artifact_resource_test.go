package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// Create, read, update of the url in place, import (command and import
// block), destroy. The provider block sets some attributes explicitly; the
// credentials come from the environment.
func TestAccArtifactResource_basic(t *testing.T) {
	testAccPreCheck(t) // starts the registry, whose endpoint the provider block names
	url1, name := testAccURL("model")
	url2 := url1 + "/tree/main"
	provider := fmt.Sprintf(`
provider "registry" {
  endpoint        = %q
  request_timeout = "20s"
  max_retries     = 2
}
`, os.Getenv(envEndpoint))

	var id string
	// The id from the create, compared with the id after the in-place update.
	sameID := statecheck.CompareValue(compare.ValuesSame())
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckArtifactsDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config: provider + testAccArtifactConfig("model", url1),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("registry_artifact.test", plancheck.ResourceActionCreate),
						plancheck.ExpectUnknownValue("registry_artifact.test", tfjsonpath.New("id")),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("id"), captureString(&id)),
					sameID.AddStateValue("registry_artifact.test", tfjsonpath.New("id")),
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("type"), knownvalue.StringExact("model")),
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("url"), knownvalue.StringExact(url1)),
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("name"), knownvalue.StringExact(name)),
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("download_url"), knownvalue.NotNull()),
				},
			},
			{
				// The registry holds what the state says.
				Config: provider + testAccArtifactConfig("model", url1),
				ConfigStateChecks: []statecheck.StateCheck{
					artifactInRegistry("registry_artifact.test", &id, "model", url1, name),
				},
			},
			{
				// A new url updates in place: same id and name.
				Config: provider + testAccArtifactConfig("model", url2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("registry_artifact.test", plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("id"), knownvalue.NotNull()),
						plancheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("name"), knownvalue.StringExact(name)),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("url"), knownvalue.StringExact(url2)),
					sameID.AddStateValue("registry_artifact.test", tfjsonpath.New("id")),
					artifactInRegistry("registry_artifact.test", &id, "model", url2, name),
				},
			},
			{
				ResourceName:      "registry_artifact.test",
				ImportState:       true,
				ImportStateIdFunc: importIDOf("registry_artifact.test"),
				ImportStateVerify: true,
			},
			{
				ResourceName:      "registry_artifact.test",
				ImportState:       true,
				ImportStateKind:   resource.ImportBlockWithID,
				ImportStateIdFunc: importIDOf("registry_artifact.test"),
			},
			{
				// A new type replaces the artifact.
				Config: provider + testAccArtifactConfig("code", url2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("registry_artifact.test", plancheck.ResourceActionDestroyBeforeCreate),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("type"), knownvalue.StringExact("code")),
				},
			},
		},
	})
}

// Drift: an artifact deleted outside Terraform is planned for creation; a
// url changed outside Terraform is planned for an update; each apply
// repairs it and leaves an empty plan.
func TestAccArtifactResource_drift(t *testing.T) {
	url, name := testAccURL("dataset")
	oobURL := url + "-changed-out-of-band"
	config := testAccArtifactConfig("dataset", url)
	var firstID, secondID string
	// The id before the out-of-band delete, and the new artifact's after it.
	newID := statecheck.CompareValue(compare.ValuesDiffer())

	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckArtifactsDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("id"), captureString(&firstID)),
					newID.AddStateValue("registry_artifact.test", tfjsonpath.New("id")),
				},
			},
			{
				PreConfig: func() {
					if err := testAccClient(t).DeleteArtifact(context.Background(), "dataset", firstID); err != nil {
						t.Fatalf("out-of-band delete: %v", err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("registry_artifact.test", plancheck.ResourceActionCreate),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					newID.AddStateValue("registry_artifact.test", tfjsonpath.New("id")),
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("id"), captureString(&secondID)),
					artifactInRegistry("registry_artifact.test", &secondID, "dataset", url, name),
				},
			},
			{
				PreConfig: func() {
					err := testAccClient(t).UpdateArtifact(context.Background(), wire.Artifact{
						Metadata: wire.ArtifactMetadata{Name: name, ID: wire.ID(secondID), Type: "dataset"},
						Data:     wire.ArtifactData{URL: oobURL},
					})
					if err != nil {
						t.Fatalf("out-of-band update: %v", err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("registry_artifact.test", plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("url"), knownvalue.StringExact(url)),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					artifactInRegistry("registry_artifact.test", &secondID, "dataset", url, name),
				},
			},
		},
	})
}

// Twenty artifacts in parallel (Terraform's default parallelism is 10),
// sharing the provider's client and token.
func TestAccArtifactResource_forEach(t *testing.T) {
	const n = 20
	base, _ := testAccURL("code")
	var urls []string
	for i := range n {
		urls = append(urls, fmt.Sprintf("%s-%02d", base, i))
	}
	list, err := json.Marshal(urls)
	if err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`
resource "registry_artifact" "many" {
  for_each = toset(%s)
  type     = "code"
  url      = each.value

  timeouts {
    create = "2m"
  }
}
`, list)

	checks := []statecheck.StateCheck{
		// Each url is a distinct artifact in the registry.
		registryCheck(func(ctx context.Context, c *client.Client) error {
			seen := map[string]string{}
			for _, u := range urls {
				a, err := c.FindArtifactByURL(ctx, "code", u)
				if err != nil {
					return err
				}
				if a == nil {
					return fmt.Errorf("no artifact with url %s in the registry", u)
				}
				if other, dup := seen[string(a.Metadata.ID)]; dup {
					return fmt.Errorf("urls %s and %s have the same artifact %s", other, u, a.Metadata.ID)
				}
				seen[string(a.Metadata.ID)] = u
			}
			return nil
		}),
	}
	// statecheck addresses cannot index for_each instances, so this check
	// walks the state itself.
	checks = append(checks, stateCheckFunc(func(state *tfjson.State) error {
		byURL := map[string]string{}
		for _, r := range state.Values.RootModule.Resources {
			if r.Address != fmt.Sprintf("registry_artifact.many[%q]", r.Index) {
				continue
			}
			url, _ := r.AttributeValues["url"].(string)
			id, _ := r.AttributeValues["id"].(string)
			name, _ := r.AttributeValues["name"].(string)
			if id == "" || name != url[strings.LastIndex(url, "/")+1:] {
				return fmt.Errorf("%s: id %q, name %q for url %s", r.Address, id, name, url)
			}
			byURL[url] = id
		}
		if len(byURL) != n {
			return fmt.Errorf("%d artifacts in state, want %d", len(byURL), n)
		}
		return nil
	}))

	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:            config,
				ConfigStateChecks: checks,
			},
			{
				// Removed from the configuration, they are deleted. This step
				// also empties the state before the test's final destroy,
				// whose legacy state shim cannot read string-keyed for_each
				// instances (and so CheckDestroy cannot be used here).
				Config: "# Every artifact removed.\n",
				ConfigStateChecks: []statecheck.StateCheck{
					registryCheck(func(ctx context.Context, c *client.Client) error {
						for _, u := range urls {
							a, err := c.FindArtifactByURL(ctx, "code", u)
							if err != nil {
								return err
							}
							if a != nil {
								return fmt.Errorf("artifact %s (%s) is still in the registry", a.Metadata.ID, u)
							}
						}
						return nil
					}),
				},
			},
		},
	})
}

// A url the registry already holds for the type is an error that gives the
// import command with the existing artifact's id.
func TestAccArtifactResource_conflict(t *testing.T) {
	testAccPreCheck(t)
	url, _ := testAccURL("model")
	c := testAccClient(t)
	res, err := c.CreateArtifact(context.Background(), "model", url)
	if err != nil {
		t.Fatalf("creating the existing artifact: %v", err)
	}
	id := res.Artifact.Metadata.ID
	t.Cleanup(func() { _ = c.DeleteArtifact(context.Background(), "model", string(id)) })

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      testAccArtifactConfig("model", url),
				ExpectError: regexp.MustCompile(`(?s)already.*terraform import registry_artifact.<name>\s+model/` + regexp.QuoteMeta(string(id))),
			},
		},
	})
}

// Malformed import IDs name the expected form.
func TestAccArtifactResource_importInvalidID(t *testing.T) {
	url, _ := testAccURL("model")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `
import {
  to = registry_artifact.test
  id = "widget/123"
}
` + testAccArtifactConfig("model", url),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid import ID.*"widget/123".*<type>/<id>`),
			},
			{
				Config:        testAccArtifactConfig("model", url),
				ResourceName:  "registry_artifact.test",
				ImportState:   true,
				ImportStateId: "3847247294",
				ExpectError:   regexp.MustCompile(`(?s)"3847247294".*<type>/<id>`),
			},
		},
	})
}

// An invalid url, type or provider setting fails at plan time, before any
// API call.
func TestAccArtifactResource_invalidConfig(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      testAccArtifactConfig("model", "huggingface.co/google-bert/bert-base-uncased"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid URL.*not an absolute http\(s\)\s+URL`),
			},
			{
				Config:      testAccArtifactConfig("weights", "https://huggingface.co/acc-test/x"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)type.*must be one of`),
			},
			{
				Config: `
provider "registry" {
  request_timeout = "soon"
}
` + testAccArtifactConfig("model", "https://huggingface.co/acc-test/x"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid duration.*"soon" is not a positive duration`),
			},
		},
	})
}

// In S3 mode, the registry writes artifacts/<id>/metadata.json in the
// format of the operations guide.
func TestAccArtifactResource_s3Metadata(t *testing.T) {
	testAccPreCheck(t)
	env := map[string]string{}
	for _, k := range []string{"REGISTRY_S3_ENDPOINT", "REGISTRY_S3_BUCKET", "VERSITYGW_ENDPOINT", "VERSITYGW_ACCESS_KEY", "VERSITYGW_SECRET_KEY"} {
		env[k] = teststack.Getenv(t, k, "the S3-mode test needs a registry server in S3 mode and its versitygw bucket")
	}
	url, name := testAccURL("model")
	var id string

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: fmt.Sprintf(`
provider "registry" {
  endpoint = %q
}
`, env["REGISTRY_S3_ENDPOINT"]) + testAccArtifactConfig("model", url),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("id"), captureString(&id)),
					s3MetadataCheck{env: env, id: &id, name: name, url: url, typ: "model", user: os.Getenv(envUsername)},
				},
			},
		},
	})
}

func TestParseArtifactImportID(t *testing.T) {
	for _, raw := range []string{"model/3847247294", "dataset/abc-123", "code/x"} {
		if _, _, err := parseArtifactImportID(raw); err != nil {
			t.Errorf("parseArtifactImportID(%q): %v", raw, err)
		}
	}
	for _, raw := range []string{"", "model", "model/", "/123", "widget/123", "model/12/3", "model/a b", "Model/123"} {
		_, _, err := parseArtifactImportID(raw)
		if err == nil || !strings.Contains(err.Error(), "<type>/<id>") {
			t.Errorf("parseArtifactImportID(%q) = %v, want an error naming <type>/<id>", raw, err)
		}
	}
}

// A deferred rating (202) is waited out: 404 until the artifact exists.
func TestWaitForArtifact(t *testing.T) {
	var gets atomic.Int32
	c := fakeRegistry(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/artifacts/model/42" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusBadRequest)
			return
		}
		if gets.Add(1) < 3 {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"description":"Artifact does not exist."}`)
			return
		}
		_, _ = io.WriteString(w, `{"metadata":{"name":"x","id":"42","type":"model"},"data":{"url":"https://huggingface.co/o/x"}}`)
	})
	a, err := waitForArtifact(context.Background(), c, "model", "https://huggingface.co/o/x", "42", time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if a.Metadata.ID != "42" || gets.Load() != 3 {
		t.Fatalf("got %+v after %d GETs, want id 42 after 3", a, gets.Load())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	gets.Store(-1000)
	if _, err := waitForArtifact(ctx, c, "model", "", "42", time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waitForArtifact past the deadline: %v, want context.DeadlineExceeded", err)
	}
}

// A 202 without a body gives no id: the artifact is found by its url among
// the artifacts with its derived name, once it exists.
func TestWaitForArtifactWithoutID(t *testing.T) {
	const url = "https://huggingface.co/o/x"
	var lookups atomic.Int32
	c := fakeRegistry(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/artifact/byName/x":
			if lookups.Add(1) < 2 {
				http.Error(w, `{"description":"No such artifact."}`, http.StatusNotFound)
				return
			}
			_, _ = io.WriteString(w, `[{"name":"x","id":"8","type":"dataset"},{"name":"x","id":"6","type":"model"},{"name":"x","id":"7","type":"model"}]`)
		case r.Method == http.MethodGet && r.URL.Path == "/artifacts/model/6":
			_, _ = io.WriteString(w, `{"metadata":{"name":"x","id":"6","type":"model"},"data":{"url":"https://huggingface.co/other/x"}}`)
		case r.Method == http.MethodGet && r.URL.Path == "/artifacts/model/7":
			_, _ = io.WriteString(w, `{"metadata":{"name":"x","id":"7","type":"model"},"data":{"url":"`+url+`"}}`)
		default:
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusBadRequest)
		}
	})
	a, err := waitForArtifact(context.Background(), c, "model", url, "", time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if a.Metadata.ID != "7" || lookups.Load() != 2 {
		t.Fatalf("got %+v after %d lookups, want id 7 after 2", a, lookups.Load())
	}
}

func TestCreateErrorDiagnostic(t *testing.T) {
	c := fakeRegistry(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/artifact/model":
			w.WriteHeader(http.StatusFailedDependency)
			_, _ = io.WriteString(w, `{"description":"net_score 0.1 below 0.5"}`)
		default:
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusBadRequest)
		}
	})
	_, err := c.CreateArtifact(context.Background(), "model", "https://huggingface.co/o/x")
	if client.StatusCode(err) != http.StatusFailedDependency {
		t.Fatalf("CreateArtifact: %v, want a 424", err)
	}
	d := (&ArtifactResource{data: &ProviderData{}}).createErrorDiagnostic(context.Background(), c, "model", "https://huggingface.co/o/x", err)
	if d.Summary() != "Artifact not registered (424 Failed Dependency)" || !strings.Contains(d.Detail(), `reason: "net_score 0.1 below 0.5"`) ||
		!strings.Contains(d.Detail(), "https://huggingface.co/o/x") || !strings.Contains(d.Detail(), "disqualified rating") {
		t.Fatalf("diagnostic %q: %q", d.Summary(), d.Detail())
	}
}

// Delete tells the truth: the artifact leaves state only when the registry
// says it is gone in its own terms and a GET agrees; an unrouted DELETE
// (DELETE is NON-BASELINE) is an error that says so while a GET still
// returns the artifact.
func TestArtifactResourceDelete(t *testing.T) {
	const (
		jsonMissing = `{"description":"Artifact does not exist."}`
		expressPage = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head><body><pre>Cannot DELETE /artifacts/model/42</pre></body></html>`
		artifact    = `{"metadata":{"name":"x","id":"42","type":"model"},"data":{"url":"https://huggingface.co/o/x"}}`
	)
	type answer struct {
		status      int
		contentType string
		body        string
	}
	var (
		del, get      atomic.Pointer[answer]
		deletes, gets atomic.Int32
	)
	r, value, s := artifactResourceWith(t, func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/artifacts/model/42" {
			http.Error(w, "unexpected "+req.Method+" "+req.URL.Path, http.StatusBadRequest)
			return
		}
		a := get.Load()
		gets.Add(1)
		if req.Method == http.MethodDelete {
			a = del.Load()
			gets.Add(-1)
			deletes.Add(1)
		}
		w.Header().Set("Content-Type", a.contentType)
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	})
	state := tfsdk.State{Schema: s, Raw: value(map[string]tftypes.Value{
		"id":   tftypes.NewValue(tftypes.String, "42"),
		"type": tftypes.NewValue(tftypes.String, "model"),
		"url":  tftypes.NewValue(tftypes.String, "https://huggingface.co/o/x"),
		"name": tftypes.NewValue(tftypes.String, "x"),
	})}
	var (
		deleted    = answer{200, "", ""}
		missing    = answer{404, "application/json", jsonMissing}
		htmlRoute  = answer{404, "text/html; charset=utf-8", expressPage}
		notAllowed = answer{405, "text/html", "<html><title>405 Method Not Allowed</title></html>"}
		notImpl    = answer{501, "application/json", `{"error":"not implemented"}`}
		present    = answer{200, "application/json", artifact}
		badRequest = answer{400, "application/json", `{"error":"bad id"}`}
	)
	// The normal path costs one DELETE and one GET; a DELETE that did not
	// delete is believed after delete_confirm_reads (3) GETs find nothing.
	for _, tt := range []struct {
		name                  string
		del, get              answer
		wantDeletes, wantGets int32
		wantError             string // "" when the delete succeeds
		wantDetail            []string
	}{
		{"deleted, GET confirms", deleted, missing, 1, 1, "", nil},
		{"already gone (JSON 404), three GETs confirm", missing, missing, 1, 3, "", nil},
		{"unrouted DELETE, three GETs find nothing", htmlRoute, missing, 1, 3, "", nil},
		{"HTML 404 on DELETE, artifact still there", htmlRoute, present, 1, 1, "Registry does not support deleting artifacts",
			[]string{"Cannot DELETE /artifacts/model/42", "NON-BASELINE", "terraform state rm", "still in the registry"}},
		{"405 on DELETE", notAllowed, present, 1, 1, "Registry does not support deleting artifacts", []string{"405 Method Not Allowed"}},
		{"501 on DELETE", notImpl, present, 1, 1, "Registry does not support deleting artifacts", []string{"501 Not Implemented"}},
		{"2xx but GET still returns it", deleted, present, 1, 1, "Cannot delete registry_artifact", []string{"success", "still returns"}},
		{"JSON 404 but GET still returns it", missing, present, maxDeleteRounds, maxDeleteRounds, "Cannot delete registry_artifact",
			[]string{"model/42", "keep disagreeing", "3 DELETEs", "404 Not Found", "stays in the Terraform state"}},
		{"other failure", badRequest, present, 1, 0, "Cannot delete registry_artifact", []string{"400 Bad Request: bad id"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			del.Store(&tt.del)
			get.Store(&tt.get)
			deletes.Store(0)
			gets.Store(0)
			resp := fwresource.DeleteResponse{State: state}
			r.Delete(context.Background(), fwresource.DeleteRequest{State: state}, &resp)
			if deletes.Load() != tt.wantDeletes || gets.Load() != tt.wantGets {
				t.Errorf("%d DELETEs and %d GETs, want %d and %d", deletes.Load(), gets.Load(), tt.wantDeletes, tt.wantGets)
			}
			if tt.wantError == "" {
				if resp.Diagnostics.HasError() {
					t.Fatalf("diagnostics %v, want none", resp.Diagnostics)
				}
				return
			}
			if !resp.Diagnostics.HasError() {
				t.Fatal("want an error: the artifact must stay in state")
			}
			d := resp.Diagnostics.Errors()[0]
			if d.Summary() != tt.wantError {
				t.Errorf("summary %q, want %q", d.Summary(), tt.wantError)
			}
			for _, want := range tt.wantDetail {
				if !strings.Contains(d.Detail(), want) {
					t.Errorf("detail %q: want %q in it", d.Detail(), want)
				}
			}
		})
	}
}

// Create after a 202: the artifact is polled until it exists; when it does
// not appear within the create timeout, the error says so and what to do.
func TestArtifactResourceCreateAccepted(t *testing.T) {
	const url = "https://huggingface.co/o/x"
	var gets, appearAfter atomic.Int32
	r, value, s := artifactResourceWith(t, func(w http.ResponseWriter, req *http.Request) {
		switch {
		case req.Method == http.MethodPost && req.URL.Path == "/artifact/model":
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, `{"metadata":{"name":"x","id":"42","type":"model"},"data":{"url":"`+url+`"}}`)
		case req.Method == http.MethodGet && req.URL.Path == "/artifacts/model/42":
			if n := appearAfter.Load(); n == 0 || gets.Add(1) < n {
				http.Error(w, `{"description":"Artifact does not exist."}`, http.StatusNotFound)
				return
			}
			_, _ = io.WriteString(w, `{"metadata":{"name":"x","id":"42","type":"model"},"data":{"url":"`+url+`","download_url":"http://d/42"}}`)
		default:
			http.Error(w, "unexpected "+req.Method+" "+req.URL.Path, http.StatusBadRequest)
		}
	})
	objType := s.Type().TerraformType(context.Background()).(tftypes.Object)
	timeoutsType := objType.AttributeTypes["timeouts"].(tftypes.Object)
	create := func() fwresource.CreateResponse {
		return createModel(context.Background(), r, value, s, url, map[string]tftypes.Value{
			"timeouts": tftypes.NewValue(timeoutsType, map[string]tftypes.Value{
				"create": tftypes.NewValue(tftypes.String, "1500ms"),
				"update": tftypes.NewValue(tftypes.String, nil),
			}),
		})
	}

	t.Run("appears", func(t *testing.T) {
		appearAfter.Store(2)
		resp := create()
		if resp.Diagnostics.HasError() {
			t.Fatal(resp.Diagnostics)
		}
		var got artifactResourceModel
		resp.Diagnostics.Append(resp.State.Get(context.Background(), &got)...)
		if got.ID.ValueString() != "42" || got.Name.ValueString() != "x" || got.DownloadURL.ValueString() != "http://d/42" {
			t.Errorf("state %+v after %d GETs", got, gets.Load())
		}
	})
	t.Run("never appears", func(t *testing.T) {
		appearAfter.Store(0)
		resp := create()
		if !resp.Diagnostics.HasError() {
			t.Fatal("want an error")
		}
		d := resp.Diagnostics.Errors()[0]
		if d.Summary() != "Artifact not registered" || !strings.Contains(d.Detail(), "202") ||
			!strings.Contains(d.Detail(), "timeouts.create") || !strings.Contains(d.Detail(), "1.5s") {
			t.Errorf("diagnostic %q: %q", d.Summary(), d.Detail())
		}
		if !resp.State.Raw.IsNull() {
			t.Error("an artifact that never appeared is in state")
		}
	})
}

// Against a registry that rates before storing (RATING_MODE=sync): the poor
// model is refused with the 424 diagnostic and is neither in state nor on
// the server; bert-base-uncased, in the same apply, is created.
func TestAccArtifactResource_ratingSync(t *testing.T) {
	reg := startTrustRegistry(t, trustRegistryOptions{mode: server.RatingSync})
	bert := fmt.Sprintf("resource \"registry_artifact\" \"bert\" {\n  type = \"model\"\n  url  = %q\n}\n", replayBertURL)
	poor := fmt.Sprintf("resource \"registry_artifact\" \"poor\" {\n  type = \"model\"\n  url  = %q\n}\n", replayPoorURL)

	resource.Test(t, trustTestCase(
		resource.TestStep{
			Config: bert + poor,
			ExpectError: wordsRE("Artifact not registered (424 Failed Dependency)", `registration of the model at "`+replayPoorURL+`"`,
				"registered nothing", `reason: "the artifact is not registered: net_score`, "below the minimum", "disqualified rating"),
		},
		resource.TestStep{
			// Without the poor model the plan is empty: it is not in state
			// (a destroy would be planned), and bert was created.
			Config: bert,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				registryHolds(reg.api, "registry_artifact.bert"),
				statecheck.ExpectKnownValue("registry_artifact.bert", tfjsonpath.New("name"), knownvalue.StringExact("bert-base-uncased")),
			},
		},
	))
	testAccCheckNoArtifact(t, reg.api, "model", replayPoorURL, "although its rating disqualified it")
	if n := reg.log.count("POST", "/artifact/model", http.StatusFailedDependency); n != 1 {
		t.Errorf("the registry answered %d creates with 424, want 1: %v", n, reg.log.withPrefix("POST /artifact/model"))
	}
}

// Against a registry that rates after storing (RATING_MODE=async, with a
// slow upstream so the rating takes seconds): the create waits through the
// 202 and the 404s until the artifact exists, and the state is complete.
// A disqualified model is dropped by the registry: the create ends in the
// "not registered" diagnostic at its create timeout, and nothing is in state.
func TestAccArtifactResource_ratingAsync(t *testing.T) {
	reg := startTrustRegistry(t, trustRegistryOptions{mode: server.RatingAsync, upstreamDelay: 300 * time.Millisecond})
	bert := fmt.Sprintf("resource \"registry_artifact\" \"bert\" {\n  type = \"model\"\n  url  = %q\n}\n", replayBertURL)
	poor := fmt.Sprintf("resource \"registry_artifact\" \"poor\" {\n  type = \"model\"\n  url  = %q\n  timeouts {\n    create = \"8s\"\n  }\n}\n", replayPoorURL)
	var bertID string

	resource.Test(t, trustTestCase(
		resource.TestStep{
			Config: bert,
			ConfigStateChecks: []statecheck.StateCheck{
				registryHolds(reg.api, "registry_artifact.bert"),
				statecheck.ExpectKnownValue("registry_artifact.bert", tfjsonpath.New("id"), knownvalue.StringRegexp(artifact.IDPattern)),
				statecheck.ExpectKnownValue("registry_artifact.bert", tfjsonpath.New("name"), knownvalue.StringExact("bert-base-uncased")),
				statecheck.ExpectKnownValue("registry_artifact.bert", tfjsonpath.New("download_url"), knownvalue.NotNull()),
				stateValue("registry_artifact.bert", "id", &bertID),
			},
		},
		resource.TestStep{
			Config: bert + poor,
			ExpectError: wordsRE("Artifact not registered", `accepted the model at "`+replayPoorURL+`" for a deferred rating (202)`,
				"did not appear within the create timeout (8s)", "drops an artifact whose rating fails"),
		},
		resource.TestStep{
			// The poor model is not in state: without it the plan is empty.
			Config: bert,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
		},
	))

	// The provider did wait: 202 for both creates, then 404s for bert's id
	// before the 200 that ended the wait.
	if n := reg.log.count("POST", "/artifact/model", http.StatusAccepted); n != 2 {
		t.Errorf("%d creates answered 202, want 2: %v", n, reg.log.withPrefix("POST /artifact/model"))
	}
	if n := reg.log.count("GET", "/artifacts/model/"+bertID, http.StatusNotFound); n < 1 {
		t.Errorf("no 404 for bert (id %q) before it was rated, so the wait was not exercised: %v", bertID, reg.log.withPrefix("GET /artifacts/model/"))
	}
	testAccCheckNoArtifact(t, reg.api, "model", replayPoorURL, "although its deferred rating disqualified it")
	t.Logf("the registry's answers to the creates and reads: %v", append(reg.log.withPrefix("POST /artifact/model"), reg.log.withPrefix("GET /artifacts/model/")...))
}
