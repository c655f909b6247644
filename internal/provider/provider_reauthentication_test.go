package provider

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
)

// Against a registry whose tokens live one second, an apply that outlasts
// its token still succeeds: the second artifact is created after a pause,
// with the token that the first create obtained and the registry now
// refuses, so the provider must authenticate again.
func TestAccProvider_reauthenticatesWhenTheTokenExpires(t *testing.T) {
	testAccPreCheck(t)
	endpoint := teststack.StartServer(t, "", "TOKEN_TTL=1s").URL

	// The precondition: this server really refuses a token after a second.
	probe, err := client.New(client.Config{
		Endpoint: endpoint, Username: os.Getenv(envUsername), Password: os.Getenv(envPassword), IsAdmin: true, MaxRetries: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	token, err := probe.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if status, err := registryStatus(endpoint, token); err != nil || status != 403 {
		t.Fatalf("a 1.5 s old token got %d (%v) from a registry with TOKEN_TTL=1s, want 403", status, err)
	}

	firstURL, _ := testAccURL("model")
	secondURL, _ := testAccURL("dataset")
	config := fmt.Sprintf(`
provider "registry" {
  endpoint = %q
}

resource "registry_artifact" "first" {
  type = "model"
  url  = %q
}

# Outlasts the token that the first create authenticated for.
resource "terraform_data" "pause" {
  triggers_replace = [registry_artifact.first.id]
  provisioner "local-exec" {
    command = "sleep 3"
  }
}

resource "registry_artifact" "second" {
  type       = "dataset"
  url        = %q
  depends_on = [terraform_data.pause]
}
`, endpoint, firstURL, secondURL)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.second", tfjsonpath.New("id"), knownvalue.StringRegexp(artifact.IDPattern)),
					statecheck.ExpectKnownValue("registry_artifact.second", tfjsonpath.New("url"), knownvalue.StringExact(secondURL)),
				},
			},
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}
