package provider

import (
	"fmt"
	"regexp"
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

// A registry that rates before storing (RATING_MODE=sync) and cannot reach
// Hugging Face answers the create with 424 for a reason that is not a
// rating: the error quotes the reason and does not claim that the model
// was disqualified.
func TestAccArtifactResource_424NotAboutRating(t *testing.T) {
	reg := startTrustRegistry(t, trustRegistryOptions{mode: server.RatingSync, upstreamDown: true})
	resource.Test(t, trustTestCase(resource.TestStep{
		Config:      "provider \"registry\" {\n  max_retries = 0\n}\n" + testAccArtifactConfig("model", replayBertURL),
		ExpectError: regexp.MustCompile(`(?s)Artifact not registered \(424 Failed Dependency\).*reason:\s+"the\s+artifact\s+is\s+not\s+registered:\s+its\s+rating\s+could\s+not\s+be\s+computed`),
	}))
	testAccCheckNoArtifact(t, reg.api, "model", replayBertURL, "although the registry answered 424")
}
