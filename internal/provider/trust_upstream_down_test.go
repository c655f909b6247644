package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
)

// With Hugging Face and GitHub unreachable from the registry, the trust
// data sources fail with the registry's 500 or 502, naming the failed call;
// no value is reported.
func TestAccTrustDataSources_upstreamDown(t *testing.T) {
	reg := startTrustRegistry(t, trustRegistryOptions{mode: server.RatingOff, upstreamDown: true})
	id := reg.seed(t, "model", replayBertURL)
	// No retries of the 502, so that each step fails at once.
	provider := "provider \"registry\" {\n  max_retries = 0\n}\n"

	resource.Test(t, trustTestCase(
		resource.TestStep{
			Config: provider + fmt.Sprintf("data \"registry_model_rating\" \"bert\" {\n  id = %q\n}\n", id),
			ExpectError: wordsRE("Registry could not compute the rating",
				"GET /artifact/model/"+id+"/rate: 500 Internal Server Error", "no value rather than a guessed one"),
		},
		resource.TestStep{
			Config: provider + fmt.Sprintf("data \"registry_artifact_cost\" \"bert\" {\n  type = \"model\"\n  id   = %q\n}\n", id),
			ExpectError: wordsRE("Registry could not compute the cost",
				"GET /artifact/model/"+id+"/cost: 500 Internal Server Error"),
		},
		resource.TestStep{
			Config: provider + fmt.Sprintf("data \"registry_license_check\" \"bert\" {\n  id         = %q\n  github_url = %q\n}\n", id, replayGitHub),
			ExpectError: wordsRE("Registry could not reach its upstream source",
				"POST /artifact/model/"+id+"/license-check: 502 Bad Gateway", "Hugging Face, GitHub"),
		},
	))
}
