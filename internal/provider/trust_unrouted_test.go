package provider

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// A registry that does not route the trust endpoints (the framework's HTML
// 404 for the audit trail, which is NON-BASELINE; 405 for the rating):
// the data sources say that the registry lacks the endpoint.
func TestAccTrustDataSources_unroutedEndpoint(t *testing.T) {
	reg := startInProcessRegistry(t, 0, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case strings.HasSuffix(r.URL.Path, "/audit"):
				frameworkPage(w, r, http.StatusNotFound)
			case strings.HasSuffix(r.URL.Path, "/rate"):
				frameworkPage(w, r, http.StatusMethodNotAllowed)
			default:
				next.ServeHTTP(w, r)
			}
		})
	})
	model := inProcessProviderConfig(reg.URL, "") + fmt.Sprintf(`
resource "registry_artifact" "bert" {
  type = "model"
  url  = %q
}
`, replayBertURL)

	// The summary alone tells the cases apart; that the text never says
	// "not found" is checked by TestTrustReadDiagnosticUnroutedHTML404.
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: model + `
data "registry_artifact_audit" "bert" {
  type = "model"
  id   = registry_artifact.bert.id
}
`,
				ExpectError: wordsRE("Registry does not offer this endpoint", "registry_artifact_audit needs GET /artifact/{artifact_type}/{id}/audit",
					"NON-BASELINE endpoint", "does not route it: the registry does not serve GET /artifact/model/", "/audit (it answered 404 Not Found: HTML error page: Error: Cannot GET"),
			},
			{
				Config: model + `
data "registry_model_rating" "bert" {
  id = registry_artifact.bert.id
}
`,
				ExpectError: wordsRE("Registry does not offer this endpoint", "registry_model_rating needs GET /artifact/model/{id}/rate",
					"BASELINE endpoint", "(it answered 405 Method Not Allowed"),
			},
			{Config: model},
		},
	})
}
