package provider

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// testAccTerraformFeature is the TerraformVersionChecks of a test of a
// Terraform feature that came with version minimum and that OpenTofu (1.12)
// does not have (list resources, actions): the test skips
// under an older Terraform and under OpenTofu, naming the version and the
// feature, also with REGISTRY_ACC_STRICT=1, since these CLIs lack the
// feature rather than a prerequisite of the machine.
func testAccTerraformFeature(feature string, minimum *version.Version) []tfversion.TerraformVersionCheck {
	return []tfversion.TerraformVersionCheck{
		skipOnOpenTofu{feature: feature},
		tfversion.SkipBelow(minimum),
	}
}

// skipOnOpenTofu skips under OpenTofu, which the acceptance tests run with
// TF_ACC_PROVIDER_HOST=registry.opentofu.org and a tofu binary (see
// GNUmakefile's testacc-tofu).
type skipOnOpenTofu struct{ feature string }

func (s skipOnOpenTofu) CheckTerraformVersion(_ context.Context, req tfversion.CheckTerraformVersionRequest, resp *tfversion.CheckTerraformVersionResponse) {
	if usingOpenTofu() {
		resp.Skip = "OpenTofu " + req.TerraformVersion.String() + " has no " + s.feature + " (a Terraform feature)"
	}
}

func usingOpenTofu() bool {
	return strings.Contains(os.Getenv("TF_ACC_PROVIDER_HOST"), "opentofu") ||
		strings.HasPrefix(filepath.Base(os.Getenv("TF_ACC_TERRAFORM_PATH")), "tofu")
}
