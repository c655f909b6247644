package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
)

// registry_rate_model as a gate in a model's action_trigger: registering a
// good model passes; pointing it at a poor model's url fails the apply
// after the update, which the registry keeps (the action changes nothing).
func TestAccRateModelAction_gate(t *testing.T) {
	reg := startTrustRegistry(t, trustRegistryOptions{mode: server.RatingOff})
	config := func(url string) string {
		return fmt.Sprintf(`
resource "registry_artifact" "model" {
  type = "model"
  url  = %q

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.registry_rate_model.gate]
    }
  }
}

action "registry_rate_model" "gate" {
  config {
    id            = registry_artifact.model.id
    min_net_score = 0.5
  }
}
`, url)
	}
	var id string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   testAccTerraformFeature("actions", tfversion.Version1_14_0),
		Steps: []resource.TestStep{
			{
				Config: config(replayBertURL),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.model", tfjsonpath.New("id"), captureString(&id)),
					statecheck.ExpectKnownValue("registry_artifact.model", tfjsonpath.New("url"), knownvalue.StringExact(replayBertURL)),
					// after_create ran the action: the registry rated the model
					// (RATING_MODE=off rates only on request).
					storeCheck(func() error {
						trail, err := reg.api.ArtifactAudit(context.Background(), "model", id)
						if err != nil {
							return err
						}
						for _, e := range trail {
							if e.Action == "RATE" {
								return nil
							}
						}
						return fmt.Errorf("the audit trail of model %s has no RATE entry: %+v", id, trail)
					}),
				},
			},
			{
				Config:      config(replayPoorURL),
				ExpectError: wordsRE("Error when invoking action", "Model rated below min_net_score", "(bert-base-uncased) has net_score", "below min_net_score 0.5", "still registered"),
			},
			{
				// The update was applied before the action ran: nothing left
				// to change, and the registry holds the new url.
				Config: config(replayPoorURL),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("registry_artifact.model", plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{storeCheck(func() error {
					a, err := reg.api.GetArtifact(context.Background(), "model", id)
					if err != nil {
						return err
					}
					if a.Data.URL != replayPoorURL {
						return fmt.Errorf("the registry holds the url %q, want %q", a.Data.URL, replayPoorURL)
					}
					return nil
				})},
			},
		},
	})
}
