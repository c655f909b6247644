package provider

import (
	"bytes"
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
)

// testAccProtoV6ProviderFactories serves the provider in-process to the
// terraform CLI that the acceptance tests run.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"registry": providerserver.NewProtocol6WithError(New("test")()),
}

// testAccPreCheck skips an acceptance test, naming the variable, when the
// environment does not point at a running registry (scripts/stack.sh sets
// these; CI fails when acceptance tests were skipped).
func testAccPreCheck(t *testing.T) {
	t.Helper()
	// resource.Test skips without TF_ACC itself; this covers the tests that
	// call the registry before resource.Test.
	if os.Getenv("TF_ACC") == "" {
		t.Skip("TF_ACC is not set: acceptance tests run only with TF_ACC=1")
	}
	if os.Getenv(envEndpoint) == "" {
		t.Skip(envEndpoint + " is not set: the acceptance tests need a running registry server (make testacc, or scripts/stack.sh start and source .stack/env)")
	}
	if os.Getenv(envToken) == "" && (os.Getenv(envUsername) == "" || os.Getenv(envPassword) == "") {
		t.Skip(envUsername + " and " + envPassword + " (or " + envToken + ") are not set: the acceptance tests need the registry's credentials")
	}
}

// testAccClient is an API client of its own, for the out-of-band changes
// and checks of the tests.
func testAccClient(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{
		Endpoint: os.Getenv(envEndpoint),
		Username: os.Getenv(envUsername),
		Password: os.Getenv(envPassword),
		Token:    os.Getenv(envToken),
		IsAdmin:  true,
	})
	if err != nil {
		t.Fatalf("test client: %v", err)
	}
	return c
}

// testAccURL returns a source URL no other test run uses: the registry
// answers 409 to a second artifact of a type with the same url. The
// registry derives the artifact's name, the last path segment, from it.
func testAccURL(kind string) (url, name string) {
	name = acctest.RandomWithPrefix("acc")
	switch kind {
	case "dataset":
		return "https://huggingface.co/datasets/acc-test/" + name, name
	case "code":
		return "https://github.com/acc-test/" + name, name
	default:
		return "https://huggingface.co/acc-test/" + name, name
	}
}

func TestProviderSchemaIsValid(t *testing.T) {
	ctx := context.Background()
	var resp provider.SchemaResponse
	New("test")().Schema(ctx, provider.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatalf("schema: %v", resp.Diagnostics)
	}
	if diags := resp.Schema.ValidateImplementation(ctx); diags.HasError() {
		t.Fatalf("schema implementation: %v", diags)
	}
}

// RegistryClient names the missing setting and how to set it; a storage-only
// configuration never calls it, so the provider itself never fails for it.
func TestRegistryClientMissingSettings(t *testing.T) {
	tests := []struct {
		name     string
		settings registrySettings
		unknown  []string
		want     []string
	}{
		{
			name:     "no endpoint",
			settings: registrySettings{Username: "u", Password: "p"},
			want:     []string{`"endpoint"`, envEndpoint},
		},
		{
			name:     "no credentials",
			settings: registrySettings{Endpoint: "http://127.0.0.1:1"},
			want:     []string{`"username"`, `"password"`, envUsername, envPassword, envToken},
		},
		{
			name:     "no password",
			settings: registrySettings{Endpoint: "http://127.0.0.1:1", Username: "alice"},
			want:     []string{`"password"`, envPassword, `"alice"`},
		},
		{
			name:     "no username",
			settings: registrySettings{Endpoint: "http://127.0.0.1:1", Password: "p"},
			want:     []string{`"username"`, envUsername},
		},
		{
			name:     "invalid endpoint",
			settings: registrySettings{Endpoint: "registry.example.com", Username: "u", Password: "p"},
			want:     []string{"endpoint", envEndpoint},
		},
		{
			name:     "unknown at plan",
			settings: registrySettings{Username: "u", Password: "p"},
			unknown:  []string{"endpoint"},
			want:     []string{"not known yet", `"endpoint"`, "after apply"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &ProviderData{registry: tt.settings, unknown: tt.unknown}
			c, err := d.RegistryClient()
			if err == nil {
				t.Fatalf("RegistryClient() = %v, nil; want an error", c)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
			if got := errors.Is(err, ErrConfigUnknown); got != (tt.unknown != nil) {
				t.Errorf("errors.Is(err, ErrConfigUnknown) = %v", got)
			}
		})
	}
}

// All resources of a provider process share one client (and so one token).
func TestRegistryClientIsShared(t *testing.T) {
	d := &ProviderData{registry: registrySettings{Endpoint: "http://127.0.0.1:1", Token: "bearer t", Timeout: time.Second}}
	a, err := d.RegistryClient()
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.RegistryClient()
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatal("RegistryClient returned two clients")
	}
}

func TestClientLoggerMasksSecrets(t *testing.T) {
	const password, token = "hunter2-secret", "bearer tok-secret"
	var out bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &out)
	l := newClientLogger(password, "", token)
	l.Debug(ctx, "authenticating with "+password, map[string]any{
		"password":        password,
		"X-Authorization": token,
		"detail":          "sent " + token,
		"path":            "/authenticate",
	})
	logged := out.String()
	if logged == "" {
		t.Fatal("nothing was logged")
	}
	for _, secret := range []string{password, token, "tok-secret"} {
		if strings.Contains(logged, secret) {
			t.Errorf("log line contains a secret %q: %s", secret, logged)
		}
	}
	if !strings.Contains(logged, "/authenticate") {
		t.Errorf("log line lost a non-secret field: %s", logged)
	}
}

func TestS3EndpointForDiagnostics(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	d := &ProviderData{}
	if got := d.S3Endpoint(); got != "the default AWS S3 endpoint" {
		t.Errorf("S3Endpoint() = %q", got)
	}
	t.Setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:7070")
	if got := d.S3Endpoint(); got != "http://127.0.0.1:7070" {
		t.Errorf("S3Endpoint() with AWS_ENDPOINT_URL_S3 = %q", got)
	}
	d.s3Config.Endpoint = "http://127.0.0.1:9000"
	if got := d.S3Endpoint(); got != "http://127.0.0.1:9000" {
		t.Errorf("S3Endpoint() with the s3 block's endpoint = %q", got)
	}
}

// A configuration that uses no registry resource needs no registry settings;
// one that does gets an error naming the missing setting and its variable.
func TestAccProvider_registrySettingsOnlyWhenUsed(t *testing.T) {
	for _, env := range []string{envEndpoint, envUsername, envPassword, envToken} {
		t.Setenv(env, "")
	}
	provider := `
provider "registry" {
  s3 {
    region = "us-east-1"
  }
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: provider + `
resource "terraform_data" "storage_only" {
  input = provider::registry::parse_artifact_url("https://huggingface.co/google-bert/bert-base-uncased").name
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("terraform_data.storage_only", tfjsonpath.New("output"), knownvalue.StringExact("bert-base-uncased")),
				},
			},
			{
				Config: provider + `
data "registry_artifacts" "all" {}
`,
				ExpectError: regexp.MustCompile(`(?s)registry endpoint is not set.*"endpoint"\s+attribute\s+or\s+the\s+REGISTRY_ENDPOINT`),
			},
		},
	})
}
