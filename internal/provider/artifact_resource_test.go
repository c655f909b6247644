package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	tfjson "github.com/hashicorp/terraform-json"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/s3bucket"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
)

func testAccArtifactConfig(typ, url string) string {
	return fmt.Sprintf(`
resource "registry_artifact" "test" {
  type = %q
  url  = %q
}
`, typ, url)
}

// captureString is a knownvalue check that stores the value, so that later
// steps (out-of-band changes, import IDs) can use it.
func captureString(dst *string) knownvalue.Check {
	return knownvalue.StringFunc(func(v string) error {
		if v == "" {
			return errors.New("empty value")
		}
		*dst = v
		return nil
	})
}

// testAccCheckNoArtifact fails the test when the registry holds an artifact
// of artifactType at url; why says how it should not have been created.
func testAccCheckNoArtifact(t *testing.T, c *client.Client, artifactType, url, why string) {
	t.Helper()
	a, err := c.FindArtifactByURL(context.Background(), artifactType, url)
	if err != nil {
		t.Fatal(err)
	}
	if a != nil {
		t.Fatalf("an artifact was created %s: %+v", why, a)
	}
}

// testAccCheckArtifactsDestroyed checks that every registry_artifact of the
// final state is gone from the registry.
func testAccCheckArtifactsDestroyed(t *testing.T) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		c := testAccClient(t)
		for _, rs := range s.RootModule().Resources {
			if rs.Type != "registry_artifact" {
				continue
			}
			typ, id := rs.Primary.Attributes["type"], rs.Primary.ID
			_, err := c.GetArtifact(context.Background(), typ, id)
			if err == nil {
				return fmt.Errorf("artifact %s/%s still exists after destroy", typ, id)
			}
			if !client.IsNotFound(err) {
				return fmt.Errorf("checking artifact %s/%s: %w", typ, id, err)
			}
		}
		return nil
	}
}

func importIDOf(address string) resource.ImportStateIdFunc {
	return func(s *terraform.State) (string, error) {
		rs, ok := s.RootModule().Resources[address]
		if !ok {
			return "", fmt.Errorf("%s not in state", address)
		}
		return rs.Primary.Attributes["type"] + "/" + rs.Primary.ID, nil
	}
}

// Create, read, update of the url in place, import (command and import
// block), destroy. The provider block sets some attributes explicitly; the
// credentials come from the environment.
func TestAccArtifactResource_basic(t *testing.T) {
	url1, name := testAccURL("model")
	url2 := url1 + "/tree/main"
	provider := fmt.Sprintf(`
provider "registry" {
  endpoint        = %q
  request_timeout = "20s"
  max_retries     = 2
}
`, os.Getenv(envEndpoint))

	var id string
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckArtifactsDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config: provider + testAccArtifactConfig("model", url1),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("registry_artifact.test", plancheck.ResourceActionCreate),
						plancheck.ExpectUnknownValue("registry_artifact.test", tfjsonpath.New("id")),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("id"), captureString(&id)),
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("type"), knownvalue.StringExact("model")),
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("url"), knownvalue.StringExact(url1)),
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("name"), knownvalue.StringExact(name)),
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("download_url"), knownvalue.NotNull()),
				},
			},
			{
				// The registry holds what the state says.
				Config: provider + testAccArtifactConfig("model", url1),
				ConfigStateChecks: []statecheck.StateCheck{
					artifactInRegistry("registry_artifact.test", &id, "model", url1, name),
				},
			},
			{
				// A new url updates in place: same id and name.
				Config: provider + testAccArtifactConfig("model", url2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("registry_artifact.test", plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("id"), knownvalue.NotNull()),
						plancheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("name"), knownvalue.StringExact(name)),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("url"), knownvalue.StringExact(url2)),
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("id"), knownvalue.StringFunc(func(v string) error {
						if v != id {
							return fmt.Errorf("id changed from %s to %s on an in-place update", id, v)
						}
						return nil
					})),
					artifactInRegistry("registry_artifact.test", &id, "model", url2, name),
				},
			},
			{
				ResourceName:      "registry_artifact.test",
				ImportState:       true,
				ImportStateIdFunc: importIDOf("registry_artifact.test"),
				ImportStateVerify: true,
			},
			{
				ResourceName:      "registry_artifact.test",
				ImportState:       true,
				ImportStateKind:   resource.ImportBlockWithID,
				ImportStateIdFunc: importIDOf("registry_artifact.test"),
			},
			{
				// A new type replaces the artifact.
				Config: provider + testAccArtifactConfig("code", url2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("registry_artifact.test", plancheck.ResourceActionDestroyBeforeCreate),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("type"), knownvalue.StringExact("code")),
				},
			},
		},
	})
}

// artifactInRegistry checks through the API that the artifact with *id has
// the given type, url and name.
func artifactInRegistry(address string, id *string, typ, url, name string) statecheck.StateCheck {
	return registryCheck(func(ctx context.Context, c *client.Client) error {
		a, err := c.GetArtifact(ctx, typ, *id)
		if err != nil {
			return fmt.Errorf("%s: reading %s/%s from the registry: %w", address, typ, *id, err)
		}
		if a.Data.URL != url || a.Metadata.Name != name || a.Metadata.Type != typ {
			return fmt.Errorf("%s: the registry holds %+v, want type %s, url %s, name %s", address, a, typ, url, name)
		}
		return nil
	})
}

// stateCheckFunc is a state check over the whole state.
type stateCheckFunc func(state *tfjson.State) error

func (f stateCheckFunc) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	if req.State == nil || req.State.Values == nil || req.State.Values.RootModule == nil {
		resp.Error = errors.New("no state")
		return
	}
	resp.Error = f(req.State)
}

// registryCheck is a state check that asks the registry itself.
type registryCheck func(ctx context.Context, c *client.Client) error

func (f registryCheck) CheckState(ctx context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	c, err := client.New(client.Config{
		Endpoint: os.Getenv(envEndpoint),
		Username: os.Getenv(envUsername),
		Password: os.Getenv(envPassword),
		Token:    os.Getenv(envToken),
		IsAdmin:  true,
	})
	if err != nil {
		resp.Error = err
		return
	}
	resp.Error = f(ctx, c)
}

// Drift: an artifact deleted outside Terraform is planned for creation; a
// url changed outside Terraform is planned for an update; each apply
// repairs it and leaves an empty plan.
func TestAccArtifactResource_drift(t *testing.T) {
	url, name := testAccURL("dataset")
	oobURL := url + "-changed-out-of-band"
	config := testAccArtifactConfig("dataset", url)
	var firstID, secondID string

	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckArtifactsDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("id"), captureString(&firstID)),
				},
			},
			{
				PreConfig: func() {
					if err := testAccClient(t).DeleteArtifact(context.Background(), "dataset", firstID); err != nil {
						t.Fatalf("out-of-band delete: %v", err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("registry_artifact.test", plancheck.ResourceActionCreate),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("id"), knownvalue.StringFunc(func(v string) error {
						if v == firstID {
							return fmt.Errorf("id %s is the deleted artifact's; want a new one", v)
						}
						secondID = v
						return nil
					})),
					artifactInRegistry("registry_artifact.test", &secondID, "dataset", url, name),
				},
			},
			{
				PreConfig: func() {
					err := testAccClient(t).UpdateArtifact(context.Background(), client.Artifact{
						Metadata: client.ArtifactMetadata{Name: name, ID: secondID, Type: "dataset"},
						Data:     client.ArtifactData{URL: oobURL},
					})
					if err != nil {
						t.Fatalf("out-of-band update: %v", err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("registry_artifact.test", plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("url"), knownvalue.StringExact(url)),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					artifactInRegistry("registry_artifact.test", &secondID, "dataset", url, name),
				},
			},
		},
	})
}

// Twenty artifacts in parallel (Terraform's default parallelism is 10),
// sharing the provider's client and token.
func TestAccArtifactResource_forEach(t *testing.T) {
	const n = 20
	base, _ := testAccURL("code")
	var urls []string
	for i := range n {
		urls = append(urls, fmt.Sprintf("%s-%02d", base, i))
	}
	list, err := json.Marshal(urls)
	if err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`
resource "registry_artifact" "many" {
  for_each = toset(%s)
  type     = "code"
  url      = each.value

  timeouts {
    create = "2m"
  }
}
`, list)

	checks := []statecheck.StateCheck{
		// Each url is a distinct artifact in the registry.
		registryCheck(func(ctx context.Context, c *client.Client) error {
			seen := map[string]string{}
			for _, u := range urls {
				a, err := c.FindArtifactByURL(ctx, "code", u)
				if err != nil {
					return err
				}
				if a == nil {
					return fmt.Errorf("no artifact with url %s in the registry", u)
				}
				if other, dup := seen[a.Metadata.ID]; dup {
					return fmt.Errorf("urls %s and %s have the same artifact %s", other, u, a.Metadata.ID)
				}
				seen[a.Metadata.ID] = u
			}
			return nil
		}),
	}
	// statecheck addresses cannot index for_each instances, so this check
	// walks the state itself.
	checks = append(checks, stateCheckFunc(func(state *tfjson.State) error {
		byURL := map[string]string{}
		for _, r := range state.Values.RootModule.Resources {
			if r.Address != fmt.Sprintf("registry_artifact.many[%q]", r.Index) {
				continue
			}
			url, _ := r.AttributeValues["url"].(string)
			id, _ := r.AttributeValues["id"].(string)
			name, _ := r.AttributeValues["name"].(string)
			if id == "" || name != url[strings.LastIndex(url, "/")+1:] {
				return fmt.Errorf("%s: id %q, name %q for url %s", r.Address, id, name, url)
			}
			byURL[url] = id
		}
		if len(byURL) != n {
			return fmt.Errorf("%d artifacts in state, want %d", len(byURL), n)
		}
		return nil
	}))

	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:            config,
				ConfigStateChecks: checks,
			},
			{
				// Removed from the configuration, they are deleted. This step
				// also empties the state before the test's final destroy,
				// whose legacy state shim cannot read string-keyed for_each
				// instances (and so CheckDestroy cannot be used here).
				Config: "# Every artifact removed.\n",
				ConfigStateChecks: []statecheck.StateCheck{
					registryCheck(func(ctx context.Context, c *client.Client) error {
						for _, u := range urls {
							a, err := c.FindArtifactByURL(ctx, "code", u)
							if err != nil {
								return err
							}
							if a != nil {
								return fmt.Errorf("artifact %s (%s) is still in the registry", a.Metadata.ID, u)
							}
						}
						return nil
					}),
				},
			},
		},
	})
}

// With no provider block at all, the environment configures the provider.
func TestAccProvider_environmentOnly(t *testing.T) {
	url, name := testAccURL("model")
	resource.Test(t, resource.TestCase{
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

// A ready token (here from REGISTRY_TOKEN) replaces username and password.
func TestAccProvider_token(t *testing.T) {
	testAccPreCheck(t)
	token, err := testAccClient(t).Token(context.Background())
	if err != nil {
		t.Fatalf("obtaining a token: %v", err)
	}
	if token == "" {
		t.Skip("the registry has no authentication (/authenticate answers 501): nothing to test")
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

// A url the registry already holds for the type is an error that gives the
// import command with the existing artifact's id.
func TestAccArtifactResource_conflict(t *testing.T) {
	testAccPreCheck(t)
	url, _ := testAccURL("model")
	c := testAccClient(t)
	res, err := c.CreateArtifact(context.Background(), "model", url)
	if err != nil {
		t.Fatalf("creating the existing artifact: %v", err)
	}
	id := res.Artifact.Metadata.ID
	t.Cleanup(func() { _ = c.DeleteArtifact(context.Background(), "model", id) })

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      testAccArtifactConfig("model", url),
				ExpectError: regexp.MustCompile(`(?s)already.*terraform import registry_artifact.<name>\s+model/` + regexp.QuoteMeta(id)),
			},
		},
	})
}

// Malformed import IDs name the expected form.
func TestAccArtifactResource_importInvalidID(t *testing.T) {
	url, _ := testAccURL("model")
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `
import {
  to = registry_artifact.test
  id = "widget/123"
}
` + testAccArtifactConfig("model", url),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid import ID.*"widget/123".*<type>/<id>`),
			},
			{
				Config:        testAccArtifactConfig("model", url),
				ResourceName:  "registry_artifact.test",
				ImportState:   true,
				ImportStateId: "3847247294",
				ExpectError:   regexp.MustCompile(`(?s)"3847247294".*<type>/<id>`),
			},
		},
	})
}

// An invalid url, type or provider setting fails at plan time, before any
// API call.
func TestAccArtifactResource_invalidConfig(t *testing.T) {
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      testAccArtifactConfig("model", "huggingface.co/google-bert/bert-base-uncased"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid URL.*not an absolute http\(s\)\s+URL`),
			},
			{
				Config:      testAccArtifactConfig("weights", "https://huggingface.co/acc-test/x"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)type.*must be one of`),
			},
			{
				Config: `
provider "registry" {
  request_timeout = "soon"
}
` + testAccArtifactConfig("model", "https://huggingface.co/acc-test/x"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid duration.*"soon" is not a positive duration`),
			},
		},
	})
}

// An endpoint that another resource outputs is unknown while that resource
// is (re)planned: the plan neither fails nor loses the artifact, which keeps
// its state until the apply, when the endpoint is known; a data source,
// which has no state to keep, gets an error that says how to defer it.
func TestAccProvider_unknownEndpoint(t *testing.T) {
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

	resource.Test(t, resource.TestCase{
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

// In S3 mode, the registry writes artifacts/<id>/metadata.json in the
// format of the operations guide.
func TestAccArtifactResource_s3Metadata(t *testing.T) {
	testAccPreCheck(t)
	env := map[string]string{}
	for _, k := range []string{"REGISTRY_S3_ENDPOINT", "REGISTRY_S3_BUCKET", "VERSITYGW_ENDPOINT", "VERSITYGW_ACCESS_KEY", "VERSITYGW_SECRET_KEY"} {
		env[k] = os.Getenv(k)
		if env[k] == "" {
			t.Skip(k + " is not set: the S3-mode test needs a registry server in S3 mode and its versitygw bucket (scripts/stack.sh provides them)")
		}
	}
	url, name := testAccURL("model")
	var id string

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: fmt.Sprintf(`
provider "registry" {
  endpoint = %q
}
`, env["REGISTRY_S3_ENDPOINT"]) + testAccArtifactConfig("model", url),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("id"), captureString(&id)),
					s3MetadataCheck{env: env, id: &id, name: name, url: url, typ: "model", user: os.Getenv(envUsername)},
				},
			},
		},
	})
}

// s3MetadataCheck reads artifacts/<id>/metadata.json from the bucket.
type s3MetadataCheck struct {
	env                  map[string]string
	id                   *string
	name, url, typ, user string
}

func (c s3MetadataCheck) CheckState(ctx context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = c.check(ctx)
}

func (c s3MetadataCheck) check(ctx context.Context) error {
	// The S3 client reads credentials from the SDK's chain; the test process
	// has no other use for them.
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":     c.env["VERSITYGW_ACCESS_KEY"],
		"AWS_SECRET_ACCESS_KEY": c.env["VERSITYGW_SECRET_KEY"],
	} {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	s3c, err := s3bucket.NewClient(ctx, s3bucket.ClientConfig{Region: "us-east-1", Endpoint: c.env["VERSITYGW_ENDPOINT"], UsePathStyle: true})
	if err != nil {
		return err
	}
	key := "artifacts/" + *c.id + "/metadata.json"
	out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.env["REGISTRY_S3_BUCKET"]), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("reading s3://%s/%s: %w", c.env["REGISTRY_S3_BUCKET"], key, err)
	}
	defer out.Body.Close()
	raw, err := io.ReadAll(out.Body)
	if err != nil {
		return err
	}
	var doc struct {
		Metadata  client.ArtifactMetadata `json:"metadata"`
		Data      map[string]any          `json:"data"`
		CreatedAt string                  `json:"created_at"`
		CreatedBy string                  `json:"created_by"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%s is not the guide's JSON: %w: %s", key, err, raw)
	}
	want := client.ArtifactMetadata{Name: c.name, ID: *c.id, Type: c.typ}
	if doc.Metadata != want {
		return fmt.Errorf("%s: metadata %+v, want %+v", key, doc.Metadata, want)
	}
	if doc.Data["url"] != c.url {
		return fmt.Errorf("%s: data.url %v, want %s", key, doc.Data["url"], c.url)
	}
	if !parsesAsTime(doc.CreatedAt) {
		return fmt.Errorf("%s: created_at %q is not an ISO 8601 time", key, doc.CreatedAt)
	}
	if doc.CreatedBy != c.user {
		return fmt.Errorf("%s: created_by %q, want %q", key, doc.CreatedBy, c.user)
	}
	return nil
}

// parsesAsTime accepts the guide's "2025-11-05T20:00:00" and RFC 3339.
func parsesAsTime(s string) bool {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// Unit tests (no TF_ACC) of the parts the running registry cannot provoke.

func TestParseArtifactImportID(t *testing.T) {
	for _, raw := range []string{"model/3847247294", "dataset/abc-123", "code/x"} {
		if _, _, err := parseArtifactImportID(raw); err != nil {
			t.Errorf("parseArtifactImportID(%q): %v", raw, err)
		}
	}
	for _, raw := range []string{"", "model", "model/", "/123", "widget/123", "model/12/3", "model/a b", "Model/123"} {
		_, _, err := parseArtifactImportID(raw)
		if err == nil || !strings.Contains(err.Error(), "<type>/<id>") {
			t.Errorf("parseArtifactImportID(%q) = %v, want an error naming <type>/<id>", raw, err)
		}
	}
}

// fakeRegistry answers the artifact calls of one test through handler; the
// client authenticates with a token, so /authenticate is not involved.
func fakeRegistry(t *testing.T, handler http.HandlerFunc) *client.Client {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	c, err := client.New(client.Config{Endpoint: srv.URL, Token: "bearer test", MaxRetries: 0, RequestTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A deferred rating (202) is waited out: 404 until the artifact exists.
func TestWaitForArtifact(t *testing.T) {
	var gets atomic.Int32
	c := fakeRegistry(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/artifacts/model/42" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusBadRequest)
			return
		}
		if gets.Add(1) < 3 {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"description":"Artifact does not exist."}`)
			return
		}
		_, _ = io.WriteString(w, `{"metadata":{"name":"x","id":"42","type":"model"},"data":{"url":"https://huggingface.co/o/x"}}`)
	})
	a, err := waitForArtifact(context.Background(), c, "model", "https://huggingface.co/o/x", "42", time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if a.Metadata.ID != "42" || gets.Load() != 3 {
		t.Fatalf("got %+v after %d GETs, want id 42 after 3", a, gets.Load())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	gets.Store(-1000)
	if _, err := waitForArtifact(ctx, c, "model", "", "42", time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waitForArtifact past the deadline: %v, want context.DeadlineExceeded", err)
	}
}

// A 202 without a body gives no id: the artifact is found by its url among
// the artifacts with its derived name, once it exists.
func TestWaitForArtifactWithoutID(t *testing.T) {
	const url = "https://huggingface.co/o/x"
	var lookups atomic.Int32
	c := fakeRegistry(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/artifact/byName/x":
			if lookups.Add(1) < 2 {
				http.Error(w, `{"description":"No such artifact."}`, http.StatusNotFound)
				return
			}
			_, _ = io.WriteString(w, `[{"name":"x","id":"8","type":"dataset"},{"name":"x","id":"6","type":"model"},{"name":"x","id":"7","type":"model"}]`)
		case r.Method == http.MethodGet && r.URL.Path == "/artifacts/model/6":
			_, _ = io.WriteString(w, `{"metadata":{"name":"x","id":"6","type":"model"},"data":{"url":"https://huggingface.co/other/x"}}`)
		case r.Method == http.MethodGet && r.URL.Path == "/artifacts/model/7":
			_, _ = io.WriteString(w, `{"metadata":{"name":"x","id":"7","type":"model"},"data":{"url":"`+url+`"}}`)
		default:
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusBadRequest)
		}
	})
	a, err := waitForArtifact(context.Background(), c, "model", url, "", time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if a.Metadata.ID != "7" || lookups.Load() != 2 {
		t.Fatalf("got %+v after %d lookups, want id 7 after 2", a, lookups.Load())
	}
}

func TestCreateErrorDiagnostic(t *testing.T) {
	c := fakeRegistry(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/artifact/model":
			w.WriteHeader(http.StatusFailedDependency)
			_, _ = io.WriteString(w, `{"description":"net_score 0.1 below 0.5"}`)
		default:
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusBadRequest)
		}
	})
	_, err := c.CreateArtifact(context.Background(), "model", "https://huggingface.co/o/x")
	if client.StatusCode(err) != http.StatusFailedDependency {
		t.Fatalf("CreateArtifact: %v, want a 424", err)
	}
	d := (&ArtifactResource{data: &ProviderData{}}).createErrorDiagnostic(context.Background(), c, "model", "https://huggingface.co/o/x", err)
	if d.Summary() != "Artifact disqualified by its rating" || !strings.Contains(d.Detail(), "rating disqualified it") ||
		!strings.Contains(d.Detail(), "https://huggingface.co/o/x") {
		t.Fatalf("diagnostic %q: %q", d.Summary(), d.Detail())
	}
}

// artifactResourceWith returns a registry_artifact resource whose provider
// talks to handler, and a builder of its plan and state values.
func artifactResourceWith(t *testing.T, handler http.HandlerFunc) (*ArtifactResource, func(attrs map[string]tftypes.Value) tftypes.Value, rschema.Schema) {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	r := &ArtifactResource{data: &ProviderData{registry: registrySettings{Endpoint: srv.URL, Token: "bearer test", Timeout: 5 * time.Second}}}
	var sresp fwresource.SchemaResponse
	r.Schema(context.Background(), fwresource.SchemaRequest{}, &sresp)
	objType, ok := sresp.Schema.Type().TerraformType(context.Background()).(tftypes.Object)
	if !ok {
		t.Fatal("the schema's type is not an object")
	}
	value := func(attrs map[string]tftypes.Value) tftypes.Value {
		vals := map[string]tftypes.Value{}
		for name, typ := range objType.AttributeTypes {
			vals[name] = tftypes.NewValue(typ, nil)
			if v, ok := attrs[name]; ok {
				vals[name] = v
			}
		}
		return tftypes.NewValue(objType, vals)
	}
	return r, value, sresp.Schema
}

// Delete tells the truth: the artifact leaves state only when the registry
// says it is gone in its own terms and a GET agrees; an unrouted DELETE
// (DELETE is NON-BASELINE) is an error that says so while a GET still
// returns the artifact.
func TestArtifactResourceDelete(t *testing.T) {
	const (
		jsonMissing = `{"description":"Artifact does not exist."}`
		expressPage = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head><body><pre>Cannot DELETE /artifacts/model/42</pre></body></html>`
		artifact    = `{"metadata":{"name":"x","id":"42","type":"model"},"data":{"url":"https://huggingface.co/o/x"}}`
	)
	type answer struct {
		status      int
		contentType string
		body        string
	}
	var del, get atomic.Pointer[answer]
	r, value, s := artifactResourceWith(t, func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/artifacts/model/42" {
			http.Error(w, "unexpected "+req.Method+" "+req.URL.Path, http.StatusBadRequest)
			return
		}
		a := get.Load()
		if req.Method == http.MethodDelete {
			a = del.Load()
		}
		w.Header().Set("Content-Type", a.contentType)
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	})
	state := tfsdk.State{Schema: s, Raw: value(map[string]tftypes.Value{
		"id":   tftypes.NewValue(tftypes.String, "42"),
		"type": tftypes.NewValue(tftypes.String, "model"),
		"url":  tftypes.NewValue(tftypes.String, "https://huggingface.co/o/x"),
		"name": tftypes.NewValue(tftypes.String, "x"),
	})}
	var (
		deleted    = answer{200, "", ""}
		missing    = answer{404, "application/json", jsonMissing}
		htmlRoute  = answer{404, "text/html; charset=utf-8", expressPage}
		notAllowed = answer{405, "text/html", "<html><title>405 Method Not Allowed</title></html>"}
		notImpl    = answer{501, "application/json", `{"error":"not implemented"}`}
		present    = answer{200, "application/json", artifact}
		badRequest = answer{400, "application/json", `{"error":"bad id"}`}
	)
	for _, tt := range []struct {
		name       string
		del, get   answer
		wantError  string // "" when the delete succeeds
		wantDetail []string
	}{
		{"deleted, GET confirms", deleted, missing, "", nil},
		{"already gone (JSON 404), GET confirms", missing, missing, "", nil},
		{"unrouted DELETE, GET finds nothing", htmlRoute, missing, "", nil},
		{"HTML 404 on DELETE, artifact still there", htmlRoute, present, "Registry does not support deleting artifacts",
			[]string{"Cannot DELETE /artifacts/model/42", "NON-BASELINE", "terraform state rm", "still in the registry"}},
		{"405 on DELETE", notAllowed, present, "Registry does not support deleting artifacts", []string{"405 Method Not Allowed"}},
		{"501 on DELETE", notImpl, present, "Registry does not support deleting artifacts", []string{"501 Not Implemented"}},
		{"2xx but GET still returns it", deleted, present, "Cannot delete registry_artifact", []string{"success", "still returns"}},
		{"JSON 404 but GET still returns it", missing, present, "Cannot delete registry_artifact", []string{"404", "still returns"}},
		{"other failure", badRequest, present, "Cannot delete registry_artifact", []string{"400 Bad Request: bad id"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			del.Store(&tt.del)
			get.Store(&tt.get)
			resp := fwresource.DeleteResponse{State: state}
			r.Delete(context.Background(), fwresource.DeleteRequest{State: state}, &resp)
			if tt.wantError == "" {
				if resp.Diagnostics.HasError() {
					t.Fatalf("diagnostics %v, want none", resp.Diagnostics)
				}
				return
			}
			if !resp.Diagnostics.HasError() {
				t.Fatal("want an error: the artifact must stay in state")
			}
			d := resp.Diagnostics.Errors()[0]
			if d.Summary() != tt.wantError {
				t.Errorf("summary %q, want %q", d.Summary(), tt.wantError)
			}
			for _, want := range tt.wantDetail {
				if !strings.Contains(d.Detail(), want) {
					t.Errorf("detail %q: want %q in it", d.Detail(), want)
				}
			}
		})
	}
}

// Create after a 202: the artifact is polled until it exists; when it does
// not appear within the create timeout, the error says so and what to do.
func TestArtifactResourceCreateAccepted(t *testing.T) {
	const url = "https://huggingface.co/o/x"
	var gets, appearAfter atomic.Int32
	r, value, s := artifactResourceWith(t, func(w http.ResponseWriter, req *http.Request) {
		switch {
		case req.Method == http.MethodPost && req.URL.Path == "/artifact/model":
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, `{"metadata":{"name":"x","id":"42","type":"model"},"data":{"url":"`+url+`"}}`)
		case req.Method == http.MethodGet && req.URL.Path == "/artifacts/model/42":
			if n := appearAfter.Load(); n == 0 || gets.Add(1) < n {
				http.Error(w, `{"description":"Artifact does not exist."}`, http.StatusNotFound)
				return
			}
			_, _ = io.WriteString(w, `{"metadata":{"name":"x","id":"42","type":"model"},"data":{"url":"`+url+`","download_url":"http://d/42"}}`)
		default:
			http.Error(w, "unexpected "+req.Method+" "+req.URL.Path, http.StatusBadRequest)
		}
	})
	objType := s.Type().TerraformType(context.Background()).(tftypes.Object)
	timeoutsType := objType.AttributeTypes["timeouts"].(tftypes.Object)
	plan := tfsdk.Plan{Schema: s, Raw: value(map[string]tftypes.Value{
		"id":           tftypes.NewValue(tftypes.String, tftypes.UnknownValue),
		"type":         tftypes.NewValue(tftypes.String, "model"),
		"url":          tftypes.NewValue(tftypes.String, url),
		"name":         tftypes.NewValue(tftypes.String, tftypes.UnknownValue),
		"download_url": tftypes.NewValue(tftypes.String, tftypes.UnknownValue),
		"timeouts": tftypes.NewValue(timeoutsType, map[string]tftypes.Value{
			"create": tftypes.NewValue(tftypes.String, "1500ms"),
			"update": tftypes.NewValue(tftypes.String, nil),
		}),
	})}
	create := func() fwresource.CreateResponse {
		resp := fwresource.CreateResponse{State: tfsdk.State{Schema: s, Raw: tftypes.NewValue(objType, nil)}}
		r.Create(context.Background(), fwresource.CreateRequest{Plan: plan}, &resp)
		return resp
	}

	t.Run("appears", func(t *testing.T) {
		appearAfter.Store(2)
		resp := create()
		if resp.Diagnostics.HasError() {
			t.Fatal(resp.Diagnostics)
		}
		var got artifactResourceModel
		resp.Diagnostics.Append(resp.State.Get(context.Background(), &got)...)
		if got.ID.ValueString() != "42" || got.Name.ValueString() != "x" || got.DownloadURL.ValueString() != "http://d/42" {
			t.Errorf("state %+v after %d GETs", got, gets.Load())
		}
	})
	t.Run("never appears", func(t *testing.T) {
		appearAfter.Store(0)
		resp := create()
		if !resp.Diagnostics.HasError() {
			t.Fatal("want an error")
		}
		d := resp.Diagnostics.Errors()[0]
		if d.Summary() != "Artifact not registered" || !strings.Contains(d.Detail(), "202") ||
			!strings.Contains(d.Detail(), "timeouts.create") || !strings.Contains(d.Detail(), "1.5s") {
			t.Errorf("diagnostic %q: %q", d.Summary(), d.Detail())
		}
		if !resp.State.Raw.IsNull() {
			t.Error("an artifact that never appeared is in state")
		}
	})
}

// Against a registry that rates before storing (RATING_MODE=sync): the poor
// model is refused with the 424 diagnostic and is neither in state nor on
// the server; bert-base-uncased, in the same apply, is created.
func TestAccArtifactResource_ratingSync(t *testing.T) {
	reg := startTrustRegistry(t, trustRegistryOptions{mode: server.RatingSync})
	bert := fmt.Sprintf("resource \"registry_artifact\" \"bert\" {\n  type = \"model\"\n  url  = %q\n}\n", replayBertURL)
	poor := fmt.Sprintf("resource \"registry_artifact\" \"poor\" {\n  type = \"model\"\n  url  = %q\n}\n", replayPoorURL)

	resource.Test(t, trustTestCase(
		resource.TestStep{
			Config: bert + poor,
			ExpectError: wordsRE("Artifact disqualified by its rating", `did not register the model at "`+replayPoorURL+`"`,
				"POST /artifact/model: 424 Failed Dependency", "net_score", "below the minimum", "not a connection or provider problem"),
		},
		resource.TestStep{
			// Without the poor model the plan is empty: it is not in state
			// (a destroy would be planned), and bert was created.
			Config: bert,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				registryHolds(reg.api, "registry_artifact.bert"),
				statecheck.ExpectKnownValue("registry_artifact.bert", tfjsonpath.New("name"), knownvalue.StringExact("bert-base-uncased")),
			},
		},
	))
	testAccCheckNoArtifact(t, reg.api, "model", replayPoorURL, "although its rating disqualified it")
	if n := reg.log.count("POST", "/artifact/model", http.StatusFailedDependency); n != 1 {
		t.Errorf("the registry answered %d creates with 424, want 1: %v", n, reg.log.withPrefix("POST /artifact/model"))
	}
}

// Against a registry that rates after storing (RATING_MODE=async, with a
// slow upstream so the rating takes seconds): the create waits through the
// 202 and the 404s until the artifact exists, and the state is complete.
// A disqualified model is dropped by the registry: the create ends in the
// "not registered" diagnostic at its create timeout, and nothing is in state.
func TestAccArtifactResource_ratingAsync(t *testing.T) {
	reg := startTrustRegistry(t, trustRegistryOptions{mode: server.RatingAsync, upstreamDelay: 300 * time.Millisecond})
	bert := fmt.Sprintf("resource \"registry_artifact\" \"bert\" {\n  type = \"model\"\n  url  = %q\n}\n", replayBertURL)
	poor := fmt.Sprintf("resource \"registry_artifact\" \"poor\" {\n  type = \"model\"\n  url  = %q\n  timeouts {\n    create = \"8s\"\n  }\n}\n", replayPoorURL)
	var bertID string

	resource.Test(t, trustTestCase(
		resource.TestStep{
			Config: bert,
			ConfigStateChecks: []statecheck.StateCheck{
				registryHolds(reg.api, "registry_artifact.bert"),
				statecheck.ExpectKnownValue("registry_artifact.bert", tfjsonpath.New("id"), knownvalue.StringRegexp(artifactIDPattern)),
				statecheck.ExpectKnownValue("registry_artifact.bert", tfjsonpath.New("name"), knownvalue.StringExact("bert-base-uncased")),
				statecheck.ExpectKnownValue("registry_artifact.bert", tfjsonpath.New("download_url"), knownvalue.NotNull()),
				stateValue("registry_artifact.bert", "id", &bertID),
			},
		},
		resource.TestStep{
			Config: bert + poor,
			ExpectError: wordsRE("Artifact not registered", `accepted the model at "`+replayPoorURL+`" for a deferred rating (202)`,
				"did not appear within the create timeout (8s)", "drops an artifact whose rating fails"),
		},
		resource.TestStep{
			// The poor model is not in state: without it the plan is empty.
			Config: bert,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
		},
	))

	// The provider did wait: 202 for both creates, then 404s for bert's id
	// before the 200 that ended the wait.
	if n := reg.log.count("POST", "/artifact/model", http.StatusAccepted); n != 2 {
		t.Errorf("%d creates answered 202, want 2: %v", n, reg.log.withPrefix("POST /artifact/model"))
	}
	if n := reg.log.count("GET", "/artifacts/model/"+bertID, http.StatusNotFound); n < 1 {
		t.Errorf("no 404 for bert (id %q) before it was rated, so the wait was not exercised: %v", bertID, reg.log.withPrefix("GET /artifacts/model/"))
	}
	testAccCheckNoArtifact(t, reg.api, "model", replayPoorURL, "although its deferred rating disqualified it")
	t.Logf("the registry's answers to the creates and reads: %v", append(reg.log.withPrefix("POST /artifact/model"), reg.log.withPrefix("GET /artifacts/model/")...))
}
