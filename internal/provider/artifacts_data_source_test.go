package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

func TestAccArtifactsDataSource(t *testing.T) {
	twins, name := testAccTwinArtifacts()
	same := compare.ValuesSame()
	// Sorted by name, type, id: the dataset comes first.
	bothTwins := knownvalue.ListExact([]knownvalue.Check{
		knownvalue.ObjectExact(map[string]knownvalue.Check{
			"id": knownvalue.NotNull(), "name": knownvalue.StringExact(name), "type": knownvalue.StringExact("dataset"),
		}),
		knownvalue.ObjectExact(map[string]knownvalue.Check{
			"id": knownvalue.NotNull(), "name": knownvalue.StringExact(name), "type": knownvalue.StringExact("model"),
		}),
	})
	artifact := func(i int) tfjsonpath.Path { return tfjsonpath.New("artifacts").AtSliceIndex(i).AtMapKey("id") }

	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckArtifactsDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config: twins + `
data "registry_artifacts" "conflict" {
  name  = "x"
  regex = "x"
}
`,
				ExpectError: regexp.MustCompile(`(?s)Invalid Attribute Combination.*"regex"`),
			},
			{
				Config: twins + `
data "registry_artifacts" "bad_type" {
  types = ["weights"]
}
`,
				ExpectError: regexp.MustCompile(`(?s)types.*must be one of`),
			}, {
				// depends_on: the name comes from the model, but the dataset
				// twin must exist too before these are read (OpenTofu may read
				// them between the two creates).
				Config: twins + `
data "registry_artifacts" "by_name" {
  name       = registry_artifact.model.name
  depends_on = [registry_artifact.dataset]
}

data "registry_artifacts" "by_name_and_types" {
  name       = registry_artifact.model.name
  types      = ["dataset", "code"]
  depends_on = [registry_artifact.dataset]
}

data "registry_artifacts" "by_regex" {
  regex      = "^${registry_artifact.model.name}$"
  depends_on = [registry_artifact.dataset]
}

data "registry_artifacts" "all" {
  depends_on = [registry_artifact.model, registry_artifact.dataset]
}

data "registry_artifacts" "none" {
  name = "${registry_artifact.model.name}-none"
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.registry_artifacts.by_name", tfjsonpath.New("artifacts"), bothTwins),
					statecheck.CompareValuePairs("data.registry_artifacts.by_name", artifact(0), "registry_artifact.dataset", tfjsonpath.New("id"), same),
					statecheck.CompareValuePairs("data.registry_artifacts.by_name", artifact(1), "registry_artifact.model", tfjsonpath.New("id"), same),

					statecheck.ExpectKnownValue("data.registry_artifacts.by_name_and_types", tfjsonpath.New("artifacts"), knownvalue.ListSizeExact(1)),
					statecheck.CompareValuePairs("data.registry_artifacts.by_name_and_types", artifact(0), "registry_artifact.dataset", tfjsonpath.New("id"), same),

					statecheck.ExpectKnownValue("data.registry_artifacts.by_regex", tfjsonpath.New("artifacts"), bothTwins),

					statecheck.ExpectKnownValue("data.registry_artifacts.all", tfjsonpath.New("name"), knownvalue.StringExact("*")),
					statecheck.ExpectKnownValue("data.registry_artifacts.all", tfjsonpath.New("artifacts"), knownvalue.ListPartial(map[int]knownvalue.Check{
						1: knownvalue.NotNull(), // at least the twins
					})),
					containsBothTwins("data.registry_artifacts.all"),

					statecheck.ExpectKnownValue("data.registry_artifacts.none", tfjsonpath.New("artifacts"), knownvalue.ListSizeExact(0)),
				},
			},
		},
	})
}

// containsBothTwins checks that the list of every artifact holds the twins'
// ids, i.e. that "*" reads all pages.
func containsBothTwins(address string) statecheck.StateCheck {
	return stateCheckFunc(func(state *tfjson.State) error {
		var list []any
		ids := map[string]bool{}
		for _, r := range state.Values.RootModule.Resources {
			switch r.Address {
			case address:
				list, _ = r.AttributeValues["artifacts"].([]any)
			case "registry_artifact.model", "registry_artifact.dataset":
				id, _ := r.AttributeValues["id"].(string)
				ids[id] = false
			}
		}
		for _, item := range list {
			obj, _ := item.(map[string]any)
			id, _ := obj["id"].(string)
			if _, ok := ids[id]; ok {
				ids[id] = true
			}
		}
		for id, found := range ids {
			if !found {
				return fmt.Errorf("%s: artifact %s missing from %d artifacts", address, id, len(list))
			}
		}
		return nil
	})
}

// A query whose answer spans several pages returns all of them. Nine models
// from different owners share a name; the stack's registry serves 7 per page
// (PAGE_SIZE=7), which the test checks, so that it proves the paging.
func TestAccArtifactsDataSource_pagination(t *testing.T) {
	const n = 9
	_, name := testAccURL("model")
	config := fmt.Sprintf(`
resource "registry_artifact" "page" {
  count = %d
  type  = "model"
  url   = "https://huggingface.co/acc-owner-${count.index}/%s"
}
`, n, name)
	ids := make([]knownvalue.Check, n)
	for i := range ids {
		ids[i] = knownvalue.ObjectExact(map[string]knownvalue.Check{
			"id": knownvalue.NotNull(), "name": knownvalue.StringExact(name), "type": knownvalue.StringExact("model"),
		})
	}

	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckArtifactsDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config: config + fmt.Sprintf(`
data "registry_artifacts" "paged" {
  name       = %q
  types      = ["model"]
  depends_on = [registry_artifact.page]
}
`, name),
				ConfigStateChecks: []statecheck.StateCheck{
					registryPagesQuery(name),
					statecheck.ExpectKnownValue("data.registry_artifacts.paged", tfjsonpath.New("artifacts"), knownvalue.ListExact(ids)),
					sameIDs("data.registry_artifacts.paged", "registry_artifact.page"),
				},
			},
		},
	})
}

// registryPagesQuery checks that the registry's first answer to the query
// by name is a partial page (it has an offset header), i.e. that reading
// the whole answer needs pagination.
func registryPagesQuery(name string) statecheck.StateCheck {
	return registryCheck(func(ctx context.Context, c *client.Client) error {
		token, err := c.Token(ctx)
		if err != nil {
			return err
		}
		body, err := json.Marshal([]wire.ArtifactQuery{{Name: name, Types: []string{"model"}}})
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, os.Getenv(envEndpoint)+"/artifacts", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Authorization", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var page []wire.ArtifactMetadata
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
			return fmt.Errorf("POST /artifacts: %d: %w", resp.StatusCode, err)
		}
		if resp.Header.Get("offset") == "" {
			return fmt.Errorf("the registry answered all %d artifacts in one page: run it with a PAGE_SIZE below 9 (the test stack uses 7) so that this test follows pagination", len(page))
		}
		return nil
	})
}

// sameIDs checks that the data source lists exactly the ids of the counted
// resource's instances.
func sameIDs(dataSource, resourceAddr string) statecheck.StateCheck {
	return stateCheckFunc(func(state *tfjson.State) error {
		want, got := map[string]bool{}, map[string]bool{}
		for _, r := range state.Values.RootModule.Resources {
			switch {
			case r.Address == dataSource:
				list, _ := r.AttributeValues["artifacts"].([]any)
				for _, item := range list {
					obj, _ := item.(map[string]any)
					id, _ := obj["id"].(string)
					got[id] = true
				}
			case strings.HasPrefix(r.Address, resourceAddr+"["):
				id, _ := r.AttributeValues["id"].(string)
				want[id] = true
			}
		}
		if len(want) == 0 || fmt.Sprint(want) != fmt.Sprint(got) {
			return fmt.Errorf("%s lists ids %v, want those of %s: %v", dataSource, got, resourceAddr, want)
		}
		return nil
	})
}
