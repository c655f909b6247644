package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// The identity {type, id} is set on create and on refresh, and imports the
// artifact by an import block's identity, by the import ID in an import
// block and by terraform import.
func TestAccArtifactResource_identity(t *testing.T) {
	url, name := testAccURL("dataset")
	config := testAccArtifactConfig("dataset", url)
	var id string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		// Terraform 1.12 and OpenTofu 1.12 have resource identities.
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		CheckDestroy:           testAccCheckArtifactsDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("id"), captureString(&id)),
					statecheck.ExpectIdentity("registry_artifact.test", map[string]knownvalue.Check{
						"type": knownvalue.StringExact("dataset"),
						"id":   knownvalue.NotNull(),
					}),
					statecheck.ExpectIdentityValueMatchesState("registry_artifact.test", tfjsonpath.New("id")),
					statecheck.ExpectIdentityValueMatchesState("registry_artifact.test", tfjsonpath.New("type")),
					artifactInRegistry("registry_artifact.test", &id, "dataset", url, name),
				},
			},
			{
				ResourceName:    "registry_artifact.test",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
			{
				ResourceName:      "registry_artifact.test",
				ImportState:       true,
				ImportStateKind:   resource.ImportBlockWithID,
				ImportStateIdFunc: importIDOf("registry_artifact.test"),
			},
			{
				ResourceName:      "registry_artifact.test",
				ImportState:       true,
				ImportStateIdFunc: importIDOf("registry_artifact.test"),
				ImportStateVerify: true,
			},
			{
				// An identity that is no artifact's id fails with the
				// import ID's rule.
				Config: config + `
import {
  to       = registry_artifact.other
  identity = { type = "model", id = "not an id" }
}
resource "registry_artifact" "other" {
  type = "model"
  url  = "https://huggingface.co/acc-test/other"
}
`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid import ID.*"model/not an id"`),
			},
		},
	})
}

// State written by a provider version without identities gets the identity
// at the next refresh, without a change to plan.
func TestAccArtifactResource_identityUpgrade(t *testing.T) {
	url, _ := testAccURL("code")
	config := testAccArtifactConfig("code", url)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck: func() { testAccPreCheck(t) },
		// Terraform 1.12 and OpenTofu 1.12 have resource identities.
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		CheckDestroy:           testAccCheckArtifactsDestroyed(t),
		Steps: []resource.TestStep{
			{
				ProtoV6ProviderFactories: providerWithoutIdentities(),
				Config:                   config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("id"), knownvalue.NotNull()),
				},
			},
			{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Config:                   config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("registry_artifact.test", plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity("registry_artifact.test", map[string]knownvalue.Check{
						"type": knownvalue.StringExact("code"),
						"id":   knownvalue.NotNull(),
					}),
					statecheck.ExpectIdentityValueMatchesState("registry_artifact.test", tfjsonpath.New("id")),
				},
			},
		},
	})
}

// providerWithoutIdentities serves the provider as a version before
// resource identities: the same resources without identity schemas.
func providerWithoutIdentities() map[string]func() (tfprotov6.ProviderServer, error) {
	p, ok := New("test")().(*RegistryProvider)
	if !ok {
		panic(fmt.Sprintf("New returned %T", New("test")()))
	}
	return map[string]func() (tfprotov6.ProviderServer, error){
		"registry": providerserver.NewProtocol6WithError(registryProviderWithoutIdentities{p}),
	}
}

type registryProviderWithoutIdentities struct{ *RegistryProvider }

func (p registryProviderWithoutIdentities) Resources(ctx context.Context) []func() fwresource.Resource {
	var out []func() fwresource.Resource
	for _, newResource := range p.RegistryProvider.Resources(ctx) {
		out = append(out, func() fwresource.Resource { return resourceWithoutIdentity{newResource()} })
	}
	return out
}

// ListResources is empty: a list resource needs its resource's identity.
func (p registryProviderWithoutIdentities) ListResources(context.Context) []func() list.ListResource {
	return nil
}

var _ provider.Provider = registryProviderWithoutIdentities{}

// resourceWithoutIdentity hides the wrapped resource's identity schema.
type resourceWithoutIdentity struct{ r fwresource.Resource }

func (w resourceWithoutIdentity) Metadata(ctx context.Context, req fwresource.MetadataRequest, resp *fwresource.MetadataResponse) {
	w.r.Metadata(ctx, req, resp)
}

func (w resourceWithoutIdentity) Schema(ctx context.Context, req fwresource.SchemaRequest, resp *fwresource.SchemaResponse) {
	w.r.Schema(ctx, req, resp)
}

func (w resourceWithoutIdentity) Configure(ctx context.Context, req fwresource.ConfigureRequest, resp *fwresource.ConfigureResponse) {
	if c, ok := w.r.(fwresource.ResourceWithConfigure); ok {
		c.Configure(ctx, req, resp)
	}
}

func (w resourceWithoutIdentity) Create(ctx context.Context, req fwresource.CreateRequest, resp *fwresource.CreateResponse) {
	w.r.Create(ctx, req, resp)
}

func (w resourceWithoutIdentity) Read(ctx context.Context, req fwresource.ReadRequest, resp *fwresource.ReadResponse) {
	w.r.Read(ctx, req, resp)
}

func (w resourceWithoutIdentity) Update(ctx context.Context, req fwresource.UpdateRequest, resp *fwresource.UpdateResponse) {
	w.r.Update(ctx, req, resp)
}

func (w resourceWithoutIdentity) Delete(ctx context.Context, req fwresource.DeleteRequest, resp *fwresource.DeleteResponse) {
	w.r.Delete(ctx, req, resp)
}
