package provider

import (
	"fmt"
	"regexp"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
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

	resource.Test(t, resource.TestCase{
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
				Config: twins + `
data "registry_artifacts" "by_name" {
  name = registry_artifact.model.name
}

data "registry_artifacts" "by_name_and_types" {
  name  = registry_artifact.model.name
  types = ["dataset", "code"]
}

data "registry_artifacts" "by_regex" {
  regex = "^${registry_artifact.model.name}$"
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
