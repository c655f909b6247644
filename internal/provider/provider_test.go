package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/prereq"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
)

// testAccProtoV6ProviderFactories serves the provider in-process to the
// terraform CLI that the acceptance tests run.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"registry": providerserver.NewProtocol6WithError(New("test")()),
}

// testAccPreCheck skips an acceptance test (fails it with
// REGISTRY_ACC_STRICT=1, as in CI), naming the variable, when the
// registry cannot be had: the environment's, or the one the test stack
// starts (internal/teststack).
func testAccPreCheck(t *testing.T) {
	t.Helper()
	// resource.Test skips without TF_ACC itself; this covers the tests that
	// call the registry before resource.Test.
	teststack.Getenv(t, "TF_ACC", "acceptance tests run only with TF_ACC=1")
	teststack.Getenv(t, envEndpoint, "the acceptance tests need a running registry server")
	if os.Getenv(envToken) == "" && (os.Getenv(envUsername) == "" || os.Getenv(envPassword) == "") {
		prereq.Missing(t, envUsername+" and "+envPassword+" (or "+envToken+") are not set: the acceptance tests need the registry's credentials")
	}
}

// testAccCLIAtLeast is the TerraformVersionChecks of a test that needs a
// terraform (or tofu) CLI of version minimum or newer: an older one skips the
// test, naming the version, also with REGISTRY_ACC_STRICT=1. A CLI without
// the feature is not a missing prerequisite: make test runs every test under
// the newest CLI too, and fails when one skips there (scripts/test.sh).
func testAccCLIAtLeast(minimum *version.Version) []tfversion.TerraformVersionCheck {
	return []tfversion.TerraformVersionCheck{tfversion.SkipBelow(minimum)}
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
			name:     "no password",
			settings: registrySettings{Endpoint: "http://127.0.0.1:1", Username: "alice"},
			want:     []string{`"password"`, envPassword, `"alice"`, envToken},
		},
		{
			name:     "no username",
			settings: registrySettings{Endpoint: "http://127.0.0.1:1", Password: "p"},
			want:     []string{`"username"`, envUsername, envToken},
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

// All resources of a provider process share one client, and so one
// authentication and one token, also when they run in parallel.
func TestRegistryClientIsShared(t *testing.T) {
	var auths atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/authenticate" {
			auths.Add(1)
			time.Sleep(20 * time.Millisecond) // let the parallel callers pile up
			_, _ = io.WriteString(w, `"bearer shared"`)
			return
		}
		if r.Header.Get("X-Authorization") != "bearer shared" || r.Header.Get("Authorization") != "bearer shared" {
			http.Error(w, `{"description":"bad token"}`, http.StatusForbidden)
			return
		}
		_, _ = io.WriteString(w, `[]`)
	}))
	defer srv.Close()
	d := &ProviderData{registry: registrySettings{Endpoint: srv.URL, Username: "u", Password: "p", IsAdmin: true, Timeout: 5 * time.Second}}

	const n = 20
	clients := make([]*client.Client, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, err := d.RegistryClient()
			if err != nil {
				t.Error(err)
				return
			}
			clients[i] = c
			if _, err := c.ArtifactsByName(context.Background(), "x"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, c := range clients {
		if c != clients[0] {
			t.Fatal("RegistryClient returned different clients")
		}
	}
	if got := auths.Load(); got != 1 {
		t.Errorf("%d authentications for %d parallel callers, want 1", got, n)
	}
}

// Without credentials the provider calls the registry without a token: a
// registry without authentication accepts that; one with authentication
// answers 403, and the diagnostic says which settings to set.
func TestRegistryClientWithoutCredentials(t *testing.T) {
	var requireAuth atomic.Bool
	var withToken, auths atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/authenticate" {
			auths.Add(1)
			w.WriteHeader(http.StatusNotImplemented)
			return
		}
		if r.Header.Get("X-Authorization") != "" || r.Header.Get("Authorization") != "" {
			withToken.Add(1)
		}
		if requireAuth.Load() {
			http.Error(w, `{"description":"missing authentication token"}`, http.StatusForbidden)
			return
		}
		_, _ = io.WriteString(w, `[{"name":"x","id":"1","type":"model"}]`)
	}))
	defer srv.Close()
	d := &ProviderData{registry: registrySettings{Endpoint: srv.URL, Timeout: 5 * time.Second}}
	c, err := d.RegistryClient()
	if err != nil {
		t.Fatalf("RegistryClient without credentials: %v", err)
	}
	got, err := c.ArtifactsByName(context.Background(), "x")
	if err != nil || len(got) != 1 {
		t.Fatalf("ArtifactsByName = %v, %v; want one artifact", got, err)
	}
	if withToken.Load() != 0 || auths.Load() != 0 {
		t.Errorf("%d requests with a token, %d authentications; want none", withToken.Load(), auths.Load())
	}

	requireAuth.Store(true)
	_, err = c.ArtifactsByName(context.Background(), "x")
	if client.StatusCode(err) != http.StatusForbidden {
		t.Fatalf("err = %v, want a 403", err)
	}
	msg := d.describeError(err)
	for _, want := range []string{"requires authentication", `"username"`, `"password"`, `"token"`, envUsername, envPassword, envToken} {
		if !strings.Contains(msg, want) {
			t.Errorf("diagnostic %q does not mention %s", msg, want)
		}
	}
}

// A 403 is explained according to the credentials the provider has.
func TestDescribeErrorForbidden(t *testing.T) {
	forbidden := &client.APIError{Method: "GET", Path: "/artifacts/model/1", StatusCode: http.StatusForbidden, Message: "forbidden"}
	tests := []struct {
		name     string
		settings registrySettings
		want     []string
	}{
		{"no credentials", registrySettings{}, []string{"requires authentication", envUsername, envPassword, envToken}},
		{"token only", registrySettings{Token: "bearer secret-token"}, []string{"refused the provider's token", envToken, envUsername}},
		{"username", registrySettings{Username: "alice", Password: "pw-secret"}, []string{"fresh token", `"alice"`, "is_admin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := (&ProviderData{registry: tt.settings}).describeError(forbidden)
			if !strings.HasPrefix(msg, forbidden.Error()) {
				t.Errorf("diagnostic %q does not start with the API error", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("diagnostic %q does not mention %s", msg, w)
				}
			}
			for _, secret := range []string{"secret-token", "pw-secret"} {
				if strings.Contains(msg, secret) {
					t.Errorf("diagnostic %q shows a secret", msg)
				}
			}
		})
	}
	unauthorized := &client.APIError{Method: "PUT", Path: "/authenticate", StatusCode: http.StatusUnauthorized}
	if msg := (&ProviderData{}).describeError(unauthorized); !strings.Contains(msg, envUsername) || !strings.Contains(msg, envPassword) {
		t.Errorf("401 diagnostic %q does not name the credentials' variables", msg)
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

// Without credentials the provider calls the registry without a token; our
// registry requires authentication and answers 403, which the diagnostic
// explains with the settings to set. Nothing is created.
func TestAccProvider_noCredentials(t *testing.T) {
	testAccPreCheck(t)
	c := testAccClient(t) // with the environment's credentials, for the check
	for _, env := range []string{envUsername, envPassword, envToken} {
		t.Setenv(env, "")
	}
	url, _ := testAccURL("model")
	wantErr := regexp.MustCompile(`(?s)403.*requires\s+authentication.*"username"\s+and\s+"password".*REGISTRY_USERNAME.*REGISTRY_PASSWORD.*REGISTRY_TOKEN`)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      `data "registry_artifacts" "all" {}`,
				ExpectError: wantErr,
			},
			{
				Config: `
resource "registry_artifact" "test" {
  type = "model"
  url  = "` + url + `"
}
`,
				ExpectError: wantErr,
			},
		},
	})
	testAccCheckNoArtifact(t, c, "model", url, "without credentials")
}

// providerConfigValue is a provider configuration with the given
// attributes, all others null.
func providerConfigValue(t *testing.T, attrs map[string]tftypes.Value) tfsdk.Config {
	t.Helper()
	ctx := context.Background()
	var sresp provider.SchemaResponse
	New("test")().Schema(ctx, provider.SchemaRequest{}, &sresp)
	_, raw := objectWith(t, sresp.Schema.Type().TerraformType(ctx), attrs)
	return tfsdk.Config{Schema: sresp.Schema, Raw: raw}
}

// Configure resolves each setting from the attribute, else the environment,
// else the default; a REGISTRY_TOKEN is ignored when the configuration sets
// a username or password.
func TestConfigureResolvesSettings(t *testing.T) {
	ctx := context.Background()
	p := New("test")()
	config := func(attrs map[string]tftypes.Value) tfsdk.Config { return providerConfigValue(t, attrs) }
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	t.Setenv(envEndpoint, "http://127.0.0.1:8000")
	t.Setenv(envUsername, "env-user")
	t.Setenv(envPassword, "env-password")
	t.Setenv(envToken, "bearer env-token")

	tests := []struct {
		name    string
		attrs   map[string]tftypes.Value
		want    registrySettings
		unknown []string
	}{
		{
			name: "environment and defaults",
			want: registrySettings{Endpoint: "http://127.0.0.1:8000", Username: "env-user", Password: "env-password", Token: "bearer env-token",
				IsAdmin: true, Timeout: 30 * time.Second, Retries: 20, RetryWaitMin: 500 * time.Millisecond, RetryWaitMax: 5 * time.Second,
				DeleteConfirmReads: 3, DeleteConfirmWindow: time.Second},
		},
		{
			name: "attributes win; a configured username drops the environment's token",
			attrs: map[string]tftypes.Value{
				"endpoint": str("https://registry.example.com"), "username": str("alice"), "password": str("pw"),
				"is_admin": tftypes.NewValue(tftypes.Bool, false), "request_timeout": str("2m"),
				"max_retries": tftypes.NewValue(tftypes.Number, 0), "delete_confirm_reads": tftypes.NewValue(tftypes.Number, 5),
				"delete_confirm_window": str("3s"), "retry_wait_min": str("100ms"), "retry_wait_max": str("2s"),
			},
			want: registrySettings{Endpoint: "https://registry.example.com", Username: "alice", Password: "pw",
				IsAdmin: false, Timeout: 2 * time.Minute, Retries: 0, RetryWaitMin: 100 * time.Millisecond, RetryWaitMax: 2 * time.Second,
				DeleteConfirmReads: 5, DeleteConfirmWindow: 3 * time.Second},
		},
		{
			name:  "unknown at plan",
			attrs: map[string]tftypes.Value{"endpoint": tftypes.NewValue(tftypes.String, tftypes.UnknownValue)},
			want: registrySettings{Username: "env-user", Password: "env-password", Token: "bearer env-token", IsAdmin: true, Timeout: 30 * time.Second,
				Retries: 20, RetryWaitMin: 500 * time.Millisecond, RetryWaitMax: 5 * time.Second, DeleteConfirmReads: 3, DeleteConfirmWindow: time.Second},
			unknown: []string{"endpoint"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var resp provider.ConfigureResponse
			p.Configure(ctx, provider.ConfigureRequest{Config: config(tt.attrs)}, &resp)
			if resp.Diagnostics.HasError() {
				t.Fatal(resp.Diagnostics)
			}
			data, ok := resp.ResourceData.(*ProviderData)
			if !ok || resp.DataSourceData != resp.ResourceData || resp.EphemeralResourceData != resp.ResourceData {
				t.Fatalf("provider data %T, shared by every kind: %v", resp.ResourceData, ok)
			}
			got := data.registry
			got.UserAgent = ""
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("settings %+v, want %+v", got, tt.want)
			}
			if fmt.Sprint(data.unknown) != fmt.Sprint(tt.unknown) {
				t.Errorf("unknown %v, want %v", data.unknown, tt.unknown)
			}
		})
	}
}
