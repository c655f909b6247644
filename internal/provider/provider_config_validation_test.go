package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/tlstest"
)

// Half a credential pair or half a client certificate pair fails the plan
// (the provider's configuration validation), also when no registry call
// would be made before the apply: a new artifact reads nothing at plan.
// A half from the environment completes the pair.
func TestAccProvider_configPairsFailAtPlan(t *testing.T) {
	for _, env := range []string{envUsername, envPassword, envToken, envClientCertificate, envClientKey} {
		t.Setenv(env, "")
	}
	cert := tlstest.NewCA(t, "Acceptance Test Client CA").Issue(t, tlstest.Options{CommonName: "terraform", Client: true})
	artifact := `
resource "registry_artifact" "never_created" {
  type = "model"
  url  = "https://huggingface.co/acc-test/never-created"
}
`
	provider := func(settings string) string {
		return fmt.Sprintf("provider \"registry\" {\n  endpoint = \"http://127.0.0.1:1\"\n%s\n}\n", settings)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      provider(`  username = "ece30861defaultadminuser"`) + artifact,
				PlanOnly:    true,
				ExpectError: wordsRE("Incomplete registry credentials", `password for user "ece30861defaultadminuser" is not set`, `"password"`, envPassword),
			},
			{
				Config:      provider(`  password = "secret"`) + artifact,
				PlanOnly:    true,
				ExpectError: wordsRE("Incomplete registry credentials", "password is set but no username", `"username"`, envUsername),
			},
			{
				Config:      provider(fmt.Sprintf("  client_certificate = %q", cert.CertPEM)) + artifact,
				PlanOnly:    true,
				ExpectError: wordsRE("Missing client_key", "client_certificate is set (from the provider configuration)", `"client_key"`, envClientKey),
			},
			{
				Config:      provider(`  retry_wait_min = "10s"`) + artifact,
				PlanOnly:    true,
				ExpectError: wordsRE("Retry waits out of order", "retry_wait_min (10s) is above retry_wait_max (5s)"),
			},
			{
				// The password from the environment completes the pair; the
				// plan creates the artifact (no registry call yet).
				PreConfig:          func() { t.Setenv(envPassword, "secret") },
				Config:             provider(`  username = "ece30861defaultadminuser"`) + artifact,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				PreConfig:          func() { t.Setenv(envClientKey, cert.KeyPEM) },
				Config:             provider(`  username = "ece30861defaultadminuser"`+"\n"+fmt.Sprintf("  client_certificate = %q", cert.CertPEM)) + artifact,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}
