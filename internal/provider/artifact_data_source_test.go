package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// testAccTwinArtifacts is a model and a dataset that share a name: the
// registry derives both names from the last segment of their URLs.
func testAccTwinArtifacts() (config, name string) {
	modelURL, name := testAccURL("model")
	datasetURL := "https://huggingface.co/datasets/acc-test/" + name
	return fmt.Sprintf(`
resource "registry_artifact" "model" {
  type = "model"
  url  = %q
}

resource "registry_artifact" "dataset" {
  type = "dataset"
  url  = %q
}
`, modelURL, datasetURL), name
}

func TestAccArtifactDataSource(t *testing.T) {
	twins, name := testAccTwinArtifacts()
	same := compare.ValuesSame()

	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckArtifactsDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config: twins + `
data "registry_artifact" "both" {
  type = "model"
  id   = "1"
  name = "x"
}
`,
				ExpectError: regexp.MustCompile(`(?s)Invalid Attribute Combination.*Exactly one of these attributes must be configured:\s+\[id,name\]`),
			},
			{
				Config: twins + `
data "registry_artifact" "id_without_type" {
  id = "1"
}
`,
				ExpectError: regexp.MustCompile(`(?s)Invalid Attribute Combination.*"type"\s+must\s+be\s+specified`),
			}, {
				Config: twins + `
data "registry_artifact" "by_id" {
  type = "model"
  id   = registry_artifact.model.id
}

data "registry_artifact" "by_name_and_type" {
  name = registry_artifact.dataset.name
  type = "dataset"
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.CompareValuePairs("data.registry_artifact.by_id", tfjsonpath.New("name"), "registry_artifact.model", tfjsonpath.New("name"), same),
					statecheck.CompareValuePairs("data.registry_artifact.by_id", tfjsonpath.New("url"), "registry_artifact.model", tfjsonpath.New("url"), same),
					statecheck.CompareValuePairs("data.registry_artifact.by_id", tfjsonpath.New("download_url"), "registry_artifact.model", tfjsonpath.New("download_url"), same),
					statecheck.CompareValuePairs("data.registry_artifact.by_name_and_type", tfjsonpath.New("id"), "registry_artifact.dataset", tfjsonpath.New("id"), same),
					statecheck.CompareValuePairs("data.registry_artifact.by_name_and_type", tfjsonpath.New("url"), "registry_artifact.dataset", tfjsonpath.New("url"), same),
					statecheck.ExpectKnownValue("data.registry_artifact.by_name_and_type", tfjsonpath.New("type"), knownvalue.StringExact("dataset")),
				},
			},
			{
				// Without a type, the name matches both: the error lists them.
				Config: twins + `
data "registry_artifact" "ambiguous" {
  name = registry_artifact.model.name
}
`,
				ExpectError: regexp.MustCompile(`(?s)Several artifacts match.*2 artifacts named\s+"` + regexp.QuoteMeta(name) +
					`":\s+(model|dataset)/[A-Za-z0-9-]+,\s+(model|dataset)/[A-Za-z0-9-]+`),
			},
			{
				Config: twins + `
data "registry_artifact" "missing" {
  name = "${registry_artifact.model.name}-missing"
  type = "code"
}
`,
				ExpectError: regexp.MustCompile(`(?s)Artifact not found.*no artifact of type code named`),
			},
			{
				// Leaves a configuration that the final destroy can use.
				Config: twins,
			},
		},
	})
}
