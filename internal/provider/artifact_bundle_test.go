package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// bundleReports makes the in-process registry report the stored bundles
// the test sets, by source url: the provider's side of sha256 and
// expected_sha256, whatever the registry stores.
type bundleReports struct {
	mu    sync.Mutex
	byURL map[string]wire.ArtifactData
}

func (b *bundleReports) stored(url, sha256 string, size int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.byURL[url] = wire.ArtifactData{Bundle: &wire.ArtifactBundle{Sha256: sha256, SizeBytes: size}}
}

func (b *bundleReports) notStored(url, reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.byURL[url] = wire.ArtifactData{BundleNotStored: reason}
}

// wrap rewrites the bundle facts of the artifacts the registry answers
// with (a create, a GET).
func (b *bundleReports) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		create := r.Method == http.MethodPost && strings.Count(r.URL.Path, "/") == 2 && strings.HasPrefix(r.URL.Path, "/artifact/")
		read := r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/artifacts/")
		if !create && !read {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var a wire.Artifact
		if rec.Code < 300 && json.Unmarshal(body, &a) == nil && a.Metadata.ID != "" {
			b.mu.Lock()
			d, ok := b.byURL[a.Data.URL]
			b.mu.Unlock()
			if ok {
				a.Data.Bundle, a.Data.BundleNotStored = d.Bundle, d.BundleNotStored
				body, _ = json.Marshal(a)
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

// expectDrift is a plan check that the refresh found the string attribute
// of address changed outside Terraform from *before to *after (pointers:
// values an earlier step may record).
type expectDrift struct {
	address, attribute string
	before, after      *string
}

func (e expectDrift) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceDrift {
		if rc.Address != e.address || rc.Change == nil {
			continue
		}
		before, _ := rc.Change.Before.(map[string]any)
		after, _ := rc.Change.After.(map[string]any)
		if before[e.attribute] != *e.before || after[e.attribute] != *e.after {
			resp.Error = fmt.Errorf("%s changed outside Terraform: %s %v -> %v, want %s -> %s",
				e.address, e.attribute, before[e.attribute], after[e.attribute], *e.before, *e.after)
		}
		return
	}
	resp.Error = fmt.Errorf("the plan shows no change of %s made outside Terraform", e.address)
}

// The provider's side of stored bundles, against a registry that reports
// the digests this test sets: sha256 and size_bytes in state (null with
// bundle_not_stored's reason when none is stored); a wrong pin fails the
// create and leaves nothing in the registry or in state; a changed stored
// digest shows as a change outside Terraform, and with the pin as a
// replacement; removing the pin changes nothing in the registry; import.
func TestAccArtifactResource_bundlePin(t *testing.T) {
	reports := &bundleReports{byURL: map[string]wire.ArtifactData{}}
	reg := startInProcessRegistry(t, 0, reports.wrap)
	pinnedURL, _ := testAccURL("model")
	unpinnedURL, _ := testAccURL("dataset")
	missingURL, _ := testAccURL("code")
	const reason = "the bundle is larger than BUNDLE_MAX_BYTES (1048576 bytes)"
	// Variables: the drift checks take their addresses.
	var (
		digestA = "a000000000000000000000000000000000000000000000000000000000000001"
		digestB = "b000000000000000000000000000000000000000000000000000000000000002"
		digestC = "c000000000000000000000000000000000000000000000000000000000000003"
		digestD = "d000000000000000000000000000000000000000000000000000000000000004"
	)
	reports.stored(pinnedURL, digestB, 11)
	reports.stored(unpinnedURL, digestC, 22)
	reports.notStored(missingURL, reason)

	config := func(pin string) string {
		pinned := fmt.Sprintf("resource \"registry_artifact\" \"pinned\" {\n  type = \"model\"\n  url  = %q\n}\n", pinnedURL)
		if pin != "" {
			pinned = strings.Replace(pinned, "\n}", fmt.Sprintf("\n  expected_sha256 = %q\n}", pin), 1)
		}
		return inProcessProviderConfig(reg.URL, "") + pinned + fmt.Sprintf(`
resource "registry_artifact" "unpinned" {
  type = "dataset"
  url  = %q
}

resource "registry_artifact" "missing" {
  type = "code"
  url  = %q
}
`, unpinnedURL, missingURL)
	}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	wrongPin := wordsRE(pinMismatchSummary, "SHA-256 "+digestB+" (11 bytes)", "not the expected "+digestA, "deleted again", "nothing is left")

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             reg.emptyAfterDestroy(t),
		Steps: []resource.TestStep{
			{
				// The registry stores B for the model pinned to A.
				Config:      config(digestA),
				ExpectError: wrongPin,
			},
			{
				PreConfig: func() {
					// The failed create left nothing behind; the others exist.
					if err := reg.checkHolds(t, "dataset "+unpinnedURL, "code "+missingURL); err != nil {
						t.Fatal(err)
					}
					reports.stored(pinnedURL, digestA, 11)
				},
				Config: config(digestA),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("registry_artifact.pinned", plancheck.ResourceActionCreate),
						plancheck.ExpectUnknownValue("registry_artifact.pinned", tfjsonpath.New("sha256")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.pinned", tfjsonpath.New("sha256"), knownvalue.StringExact(digestA)),
					statecheck.ExpectKnownValue("registry_artifact.pinned", tfjsonpath.New("size_bytes"), knownvalue.Int64Exact(11)),
					statecheck.ExpectKnownValue("registry_artifact.pinned", tfjsonpath.New("bundle_not_stored"), knownvalue.Null()),
					statecheck.ExpectKnownValue("registry_artifact.unpinned", tfjsonpath.New("sha256"), knownvalue.StringExact(digestC)),
					statecheck.ExpectKnownValue("registry_artifact.unpinned", tfjsonpath.New("size_bytes"), knownvalue.Int64Exact(22)),
					statecheck.ExpectKnownValue("registry_artifact.missing", tfjsonpath.New("sha256"), knownvalue.Null()),
					statecheck.ExpectKnownValue("registry_artifact.missing", tfjsonpath.New("size_bytes"), knownvalue.Null()),
					statecheck.ExpectKnownValue("registry_artifact.missing", tfjsonpath.New("bundle_not_stored"), knownvalue.StringExact(reason)),
					reg.holdsExactly(t, "model "+pinnedURL, "dataset "+unpinnedURL, "code "+missingURL),
				},
			},
			{
				// The stored bundles change behind Terraform's back: the
				// unpinned artifact's new digest is a change outside
				// Terraform; the pinned one is replaced, and its new bundle
				// fails the pin again.
				PreConfig: func() {
					reports.stored(pinnedURL, digestB, 11)
					reports.stored(unpinnedURL, digestD, 33)
				},
				Config: config(digestA),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("registry_artifact.pinned", plancheck.ResourceActionDestroyBeforeCreate),
						plancheck.ExpectResourceAction("registry_artifact.unpinned", plancheck.ResourceActionNoop),
						plancheck.ExpectResourceAction("registry_artifact.missing", plancheck.ResourceActionNoop),
						expectDrift{"registry_artifact.unpinned", "sha256", &digestC, &digestD},
						expectDrift{"registry_artifact.pinned", "sha256", &digestA, &digestB},
					},
				},
				ExpectError: wrongPin,
			},
			{
				PreConfig: func() {
					if err := reg.checkHolds(t, "dataset "+unpinnedURL, "code "+missingURL); err != nil {
						t.Fatal(err)
					}
				},
				// Without the pin the model is registered with what the
				// registry stores.
				Config: config(""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.pinned", tfjsonpath.New("sha256"), knownvalue.StringExact(digestB)),
					statecheck.ExpectKnownValue("registry_artifact.unpinned", tfjsonpath.New("sha256"), knownvalue.StringExact(digestD)),
					statecheck.ExpectKnownValue("registry_artifact.unpinned", tfjsonpath.New("size_bytes"), knownvalue.Int64Exact(33)),
					sameID.AddStateValue("registry_artifact.pinned", tfjsonpath.New("id")),
				},
			},
			{
				// Pinning what is stored updates only the state.
				Config: config(digestB),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("registry_artifact.pinned", plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue("registry_artifact.pinned", tfjsonpath.New("sha256"), knownvalue.StringExact(digestB)),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue("registry_artifact.pinned", tfjsonpath.New("id")),
					reg.holdsExactly(t, "model "+pinnedURL, "dataset "+unpinnedURL, "code "+missingURL),
				},
			},
			{
				ResourceName:            "registry_artifact.pinned",
				ImportState:             true,
				ImportStateIdFunc:       importIDOf("registry_artifact.pinned"),
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"expected_sha256"},
			},
			{
				ResourceName:      "registry_artifact.missing",
				ImportState:       true,
				ImportStateIdFunc: importIDOf("registry_artifact.missing"),
				ImportStateVerify: true,
			},
		},
	})
}
