package provider

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/prereq"
)

// With no provider block at all, the environment configures the provider.
func TestAccProvider_environmentOnly(t *testing.T) {
	url, name := testAccURL("model")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckArtifactsDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config: testAccArtifactConfig("model", url),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("name"), knownvalue.StringExact(name)),
				},
			},
		},
	})
}

// A wrong password is a clear error that names the credentials, creates
// nothing, and shows the password neither in the error nor in the
// provider's logs (at TRACE). The password comes from REGISTRY_PASSWORD, so
// that the test harness's own log of the configuration does not hold it.
func TestAccProvider_wrongPassword(t *testing.T) {
	testAccPreCheck(t)
	c := testAccClient(t) // with the right password, for the check
	url, _ := testAccURL("model")
	wrong := "wrong-" + strings.ReplaceAll(url[strings.LastIndex(url, "/")+1:], "-", "")
	t.Setenv(envPassword, wrong)
	t.Setenv(envToken, "")
	logDir := t.TempDir()
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_LOG_PATH_MASK", filepath.Join(logDir, "%s.log"))
	var sawError atomic.Bool

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ErrorCheck: func(err error) error {
			sawError.Store(true)
			msg := err.Error()
			if strings.Contains(msg, wrong) {
				return fmt.Errorf("the error shows the password: %w", err)
			}
			if !regexp.MustCompile(`(?s)401.*username.*password`).MatchString(msg) {
				return fmt.Errorf("the error does not say that the credentials were refused: %w", err)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{Config: testAccArtifactConfig("model", url)},
		},
	})
	if !sawError.Load() {
		t.Fatal("apply with a wrong password succeeded")
	}
	logs, err := os.ReadFile(filepath.Join(logDir, t.Name()+".log"))
	if err != nil {
		t.Fatalf("reading the provider's log: %v", err)
	}
	if !strings.Contains(string(logs), "path=/authenticate") {
		t.Fatalf("the provider's log does not show the authentication request, so it proves nothing:\n%s", logs)
	}
	if strings.Contains(string(logs), wrong) {
		t.Error("the provider's log shows the password")
	}
	testAccCheckNoArtifact(t, c, "model", url, "with a wrong password")
}

// A 401 from /authenticate is final for the provider process: 25
// resources of one apply (more than Terraform's parallelism of 10, so not
// all at once) fail with the same error after one /authenticate call (finding 3 of issue 19: one apply sent 34, which also locked the
// admin out for everyone else).
func TestAccProvider_wrongPasswordAuthenticatesOnce(t *testing.T) {
	var authCalls atomic.Int32
	reg := startInProcessRegistry(t, 100, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/authenticate" {
				authCalls.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	})
	var b strings.Builder
	fmt.Fprintf(&b, "provider \"registry\" {\n  endpoint = %q\n  username = %q\n  password = \"not-the-password\"\n}\n", reg.URL, inProcessUser)
	const resources = 25
	for i := range resources {
		url, _ := testAccURL("model")
		fmt.Fprintf(&b, "resource \"registry_artifact\" \"m%d\" {\n  type = \"model\"\n  url  = %q\n}\n", i, url)
	}
	var sawError atomic.Bool
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ErrorCheck: func(err error) error {
			sawError.Store(true)
			if n := strings.Count(err.Error(), "wrong user name or password"); n != resources {
				return fmt.Errorf("%d errors say that the credentials were refused, want %d: %w", n, resources, err)
			}
			return nil
		},
		Steps: []resource.TestStep{{Config: b.String()}},
	})
	if !sawError.Load() {
		t.Fatal("apply with a wrong password succeeded")
	}
	if n := authCalls.Load(); n != 1 {
		t.Errorf("%d /authenticate calls, want 1", n)
	}
	if err := reg.checkHolds(t); err != nil {
		t.Error(err)
	}
}

// A ready token (here from REGISTRY_TOKEN) replaces username and password.
func TestAccProvider_token(t *testing.T) {
	testAccPreCheck(t)
	token, err := testAccClient(t).Token(context.Background())
	if err != nil {
		t.Fatalf("obtaining a token: %v", err)
	}
	if token == "" {
		prereq.Missing(t, "the registry has no authentication (/authenticate answers 501): nothing to test")
	}
	t.Setenv(envToken, token)
	t.Setenv(envUsername, "")
	t.Setenv(envPassword, "")
	url, name := testAccURL("code")

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckArtifactsDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config: testAccArtifactConfig("code", url),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("name"), knownvalue.StringExact(name)),
				},
			},
		},
	})
}

// An endpoint that another resource outputs is unknown while that resource
// is (re)planned: the plan neither fails nor loses the artifact, which keeps
// its state until the apply, when the endpoint is known; a data source,
// which has no state to keep, gets an error that says how to defer it.
func TestAccProvider_unknownEndpoint(t *testing.T) {
	testAccPreCheck(t) // starts the registry, whose endpoint the configuration names
	url, name := testAccURL("model")
	config := func(generation int, extra string) string {
		return fmt.Sprintf(`
resource "terraform_data" "endpoint" {
  input            = %q
  triggers_replace = [%d]
}

provider "registry" {
  endpoint = terraform_data.endpoint.output
}
`, os.Getenv(envEndpoint), generation) + testAccArtifactConfig("model", url) + extra
	}

	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckArtifactsDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config: config(1, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("name"), knownvalue.StringExact(name)),
				},
			},
			{
				Config: config(2, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("terraform_data.endpoint", plancheck.ResourceActionReplace),
						plancheck.ExpectResourceAction("registry_artifact.test", plancheck.ResourceActionNoop),
					},
				},
			},
			{
				Config: config(3, `
data "registry_artifact" "test" {
  type = "model"
  id   = registry_artifact.test.id
}
`),
				ExpectError: regexp.MustCompile(`(?s)not known yet.*depends_on`),
			},
			{
				Config: config(3, `
data "registry_artifact" "test" {
  type = "model"
  id   = registry_artifact.test.id

  depends_on = [terraform_data.endpoint]
}
`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.registry_artifact.test", tfjsonpath.New("name"), knownvalue.StringExact(name)),
				},
			},
		},
	})
}
