package provider

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
)

// sparseRegistry is a registry that offers only the BASELINE artifact
// routes a small implementation starts with: no GET /artifact/byName, no
// POST /artifacts (both answered with Express's page for an unknown route),
// and no POST /artifact/byRegEx, which its POST /artifact/{artifact_type}
// route answers instead, refusing "byRegEx" as a type.
func sparseRegistry(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/artifact/byName/"), r.Method == http.MethodPost && r.URL.Path == "/artifacts":
			frameworkPage(w, r, http.StatusNotFound)
		case r.Method == http.MethodPost && r.URL.Path == "/artifact/byRegEx":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid artifact_type: byRegEx (want model, dataset or code)"}`))
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// On a registry without the lookup routes, the errors point the right way
// (issue 19): a regex search answered by the create route says that the
// registry may not offer regex search, not that the pattern is bad; and a
// 409 whose artifact the provider cannot look up gives advice that can
// work there, not the registry_artifacts data source (which needs POST
// /artifacts).
func TestAccSparseRegistry_errorsPointTheRightWay(t *testing.T) {
	reg := startInProcessRegistry(t, 100, sparseRegistry)
	url, _ := testAccURL("model")
	c, err := client.New(client.Config{Endpoint: reg.URL, Username: inProcessUser, Password: inProcessPassword, IsAdmin: true, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateArtifact(context.Background(), "model", url); err != nil {
		t.Fatal(err)
	}
	provider := inProcessProviderConfig(reg.URL, "max_retries = 0")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: provider + `data "registry_artifacts" "re" {
  regex = "bert.*"
}
`,
				ExpectError: wordsRE("Registry may not offer regex search", "POST /artifact/byRegEx: 400 Bad Request: invalid artifact_type",
					"complaint is about an artifact type, not the pattern", "Search by name and types instead"),
			},
			{
				Config: provider + testAccArtifactConfig("model", url),
				ExpectError: regexp.MustCompile(`(?s)Artifact already exists.*cannot\s+be\s+found\s+through\s+its\s+API.*POST\s+/artifacts.*` +
					`Get\s+the\s+id\s+from\s+the\s+registry's\s+operators.*terraform\s+import\s+registry_artifact.<name>\s+model/<id>`),
			},
		},
	})
	if err := reg.checkHolds(t, "model "+url); err != nil {
		t.Error(err)
	}
}
