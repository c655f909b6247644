package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
)

// examples/pinned-model as its README runs it, against our registry
// ingesting from the replay: registered without a pin, its output names
// the download link and the digest of what it serves; pinned to that
// digest, only the state changes; pinned to another digest, the plan
// replaces the model and the create fails, naming both digests.
func TestAccPinnedModelExample(t *testing.T) {
	srv := startBundleServer(t, "sqlite")
	t.Setenv(envEndpoint, srv.url)
	t.Setenv(envUsername, defaultadmin.Name)
	t.Setenv(envPassword, srv.password)
	t.Setenv(envToken, "")
	// The example declares the provider's real source address.
	t.Setenv("TF_ACC_PROVIDER_NAMESPACE", "trustworthy-registry")
	api, err := client.New(client.Config{Endpoint: srv.url, Username: defaultadmin.Name, Password: srv.password, IsAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := config.StaticDirectory("../../examples/pinned-model")
	var sha string
	wrong := digestOf([]byte("not the vetted bundle"))

	// A configuration with its own terraform block takes the provider at the
	// step level.
	resource.Test(t, resource.TestCase{Steps: []resource.TestStep{
		{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			ConfigDirectory:          dir,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownOutputValueAtPath("model_download", tfjsonpath.New("sha256"), captureString(&sha)),
				statecheck.ExpectKnownOutputValueAtPath("model_download", tfjsonpath.New("bundle_not_stored"), knownvalue.Null()),
				servesBundle(api, "registry_artifact.model", nil),
				stateCheckFunc(func(state *tfjson.State) error {
					out, _ := state.Values.Outputs["model_download"].Value.(map[string]any)
					attrs := attributes(state, "registry_artifact.model")
					if out["download_url"] != attrs["download_url"] || out["size_bytes"] != attrs["size_bytes"] {
						return fmt.Errorf("output model_download %v, the resource has %v", out, attrs)
					}
					return nil
				}),
			},
		},
		{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			ConfigDirectory:          dir,
			ConfigVariables:          config.Variables{"model_sha256": recordedString{&sha}},
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("registry_artifact.model", plancheck.ResourceActionUpdate),
				},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
		},
		{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			ConfigDirectory:          dir,
			ConfigVariables:          config.Variables{"model_sha256": config.StringVariable(wrong)},
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("registry_artifact.model", plancheck.ResourceActionDestroyBeforeCreate),
				},
			},
			ExpectError: wordsRE(pinMismatchSummary, "not the expected "+wrong, "deleted again"),
		},
	}})
	if a, err := api.FindArtifactByURL(context.Background(), "model", "https://huggingface.co/google-bert/bert-base-uncased"); err != nil || a != nil {
		t.Fatalf("after the failed replacement the registry holds %+v (%v), want nothing", a, err)
	}
}

// recordedString is a string variable whose value an earlier step records.
type recordedString struct{ v *string }

func (s recordedString) MarshalJSON() ([]byte, error) { return json.Marshal(*s.v) }
