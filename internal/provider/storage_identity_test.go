package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// The identity {bucket} is set on create and imports the bucket by an
// import block's identity as well as by its name.
func TestAccStorageResource_identity(t *testing.T) {
	srv := testAccMoto(t)
	var bucket string
	var buckets []string
	config := srv.config(`resource "registry_storage" "test" {}`)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		// Terraform 1.12 and OpenTofu 1.12 have resource identities.
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		CheckDestroy:           srv.checkDestroyed(&buckets),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					record(&bucket, &buckets),
					statecheck.ExpectIdentity(storageAddr, map[string]knownvalue.Check{"bucket": knownvalue.NotNull()}),
					statecheck.ExpectIdentityValueMatchesState(storageAddr, tfjsonpath.New("bucket")),
				},
			},
			{
				Config:          config,
				ResourceName:    storageAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
			{
				Config:          config,
				ResourceName:    storageAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
			},
		},
	})
}
