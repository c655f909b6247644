package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
)

// testAccTokenEndpoint returns the registry the token tests authenticate
// against; they need a running registry server with authentication.
func testAccTokenEndpoint(t *testing.T) string {
	t.Helper()
	endpoint := teststack.Getenv(t, "REGISTRY_ENDPOINT", "the registry_token acceptance tests need a running registry server")
	return strings.TrimRight(endpoint, "/")
}

// registryStatus sends an authenticated artifact query (POST /artifacts) with
// token in X-Authorization and returns the HTTP status.
func registryStatus(endpoint, token string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/artifacts", strings.NewReader(`[{"name":"*"}]`))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Authorization", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}

// checkTokenWorks fails unless token is accepted by the registry while an
// invented one is refused; the refusal shows that the registry checks tokens
// at all, so that the acceptance is evidence.
func checkTokenWorks(endpoint, token string) error {
	if token == "" {
		return fmt.Errorf("registry_token returned an empty token")
	}
	status, err := registryStatus(endpoint, token)
	if err != nil {
		return fmt.Errorf("query with the token: %w", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("the registry answered %d to POST /artifacts with the token from registry_token, want 200", status)
	}
	status, err = registryStatus(endpoint, "bearer not-a-token")
	if err != nil {
		return fmt.Errorf("query with an invented token: %w", err)
	}
	if status != http.StatusForbidden {
		return fmt.Errorf("the registry answered %d to POST /artifacts with an invented token, want 403 (does it enforce authentication?)", status)
	}
	return nil
}

// openToken calls the ephemeral resource's Open against a registry at
// endpoint, as the provider would after its Configure.
func openToken(t *testing.T, endpoint, password string) (tokenEphemeralResourceModel, ephemeral.OpenResponse) {
	t.Helper()
	return openTokenWith(t, registrySettings{
		Endpoint: endpoint, Username: defaultadmin.Name, Password: password,
		IsAdmin: true, Timeout: 5 * time.Second,
	})
}

func openTokenWith(t *testing.T, settings registrySettings) (tokenEphemeralResourceModel, ephemeral.OpenResponse) {
	t.Helper()
	ctx := t.Context()
	r := &TokenEphemeralResource{}
	var configureResp ephemeral.ConfigureResponse
	r.Configure(ctx, ephemeral.ConfigureRequest{ProviderData: &ProviderData{registry: settings}}, &configureResp)
	if configureResp.Diagnostics.HasError() {
		t.Fatalf("Configure: %v", configureResp.Diagnostics)
	}
	var schemaResp ephemeral.SchemaResponse
	r.Schema(ctx, ephemeral.SchemaRequest{}, &schemaResp)
	resp := ephemeral.OpenResponse{Result: tfsdk.EphemeralResultData{
		Schema: schemaResp.Schema,
		Raw:    tftypes.NewValue(schemaResp.Schema.Type().TerraformType(ctx), nil),
	}}
	r.Open(ctx, ephemeral.OpenRequest{}, &resp)
	var model tokenEphemeralResourceModel
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(resp.Result.Get(ctx, &model)...)
	}
	return model, resp
}

// fakeAuthServer answers PUT /authenticate with status and body.
func fakeAuthServer(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || r.URL.Path != "/authenticate" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestTokenEphemeralResource_Open(t *testing.T) {
	model, resp := openToken(t, fakeAuthServer(t, http.StatusOK, `"bearer abc.def"`), "secret")
	if resp.Diagnostics.HasError() {
		t.Fatalf("Open: %v", resp.Diagnostics)
	}
	if model.Token.ValueString() != "bearer abc.def" {
		t.Errorf("token = %s, want the token as the registry issued it", model.Token)
	}
}

// A registry without authentication (501) is used without a token: null,
// not an error.
func TestTokenEphemeralResource_OpenWithoutAuthentication(t *testing.T) {
	model, resp := openToken(t, fakeAuthServer(t, http.StatusNotImplemented, `"not implemented"`), "secret")
	if resp.Diagnostics.HasError() {
		t.Fatalf("Open: %v", resp.Diagnostics)
	}
	if !model.Token.IsNull() {
		t.Errorf("token = %s, want null", model.Token)
	}
	// The configured password is not used: the user learns it.
	if w := resp.Diagnostics.Warnings(); len(w) != 1 || w[0].Summary() != "Registry credentials unused" ||
		!strings.Contains(w[0].Detail(), "501") || !strings.Contains(w[0].Detail(), `"`+defaultadmin.Name+`"`) ||
		strings.Contains(w[0].Detail(), "secret") {
		t.Errorf("warnings %v, want one that the credentials are unused (and no password)", w)
	}
}

// The warning about unused credentials comes once per provider process,
// whichever resource or data source authenticates first, and never when
// the registry issued a token.
func TestWarnCredentialsUnusedOnce(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   int
	}{{http.StatusNotImplemented, 1}, {http.StatusOK, 0}} {
		data := &ProviderData{registry: registrySettings{
			Endpoint: fakeAuthServer(t, tc.status, `"bearer abc.def"`), Username: "alice", Password: "secret", Timeout: 5 * time.Second,
		}}
		c, err := data.RegistryClient()
		if err != nil {
			t.Fatal(err)
		}
		var diags diag.Diagnostics
		data.warnCredentialsUnused(&diags) // before any call: nothing known yet
		if _, err := c.Token(t.Context()); err != nil {
			t.Fatal(err)
		}
		data.warnCredentialsUnused(&diags)
		data.warnCredentialsUnused(&diags)
		if got := diags.WarningsCount(); got != tc.want {
			t.Errorf("/authenticate answered %d: %d warnings, want %d: %v", tc.status, got, tc.want, diags)
		}
	}
}

// Without credentials there is no token to obtain: an error that says what
// to set, not a null token that fails far from the cause.
func TestTokenEphemeralResource_OpenWithoutCredentials(t *testing.T) {
	_, resp := openTokenWith(t, registrySettings{Endpoint: fakeAuthServer(t, http.StatusOK, `"bearer abc.def"`), Timeout: 5 * time.Second})
	if !resp.Diagnostics.HasError() {
		t.Fatal("Open: want an error")
	}
	detail := resp.Diagnostics[0].Detail()
	for _, want := range []string{envUsername, envPassword, envToken} {
		if !strings.Contains(detail, want) {
			t.Errorf("the diagnostic should name %s: %s", want, detail)
		}
	}
}

func TestTokenEphemeralResource_OpenWrongPassword(t *testing.T) {
	const password = "wrong-password-1234"
	_, resp := openToken(t, fakeAuthServer(t, http.StatusUnauthorized, `"The user or password is invalid."`), password)
	if !resp.Diagnostics.HasError() {
		t.Fatal("Open: want an error")
	}
	for _, d := range resp.Diagnostics {
		text := d.Summary() + " " + d.Detail()
		if strings.Contains(text, password) {
			t.Errorf("the diagnostic shows the password: %s", text)
		}
		if !strings.Contains(text, defaultadmin.Name) {
			t.Errorf("the diagnostic should name the user: %s", text)
		}
	}
}

// With a provider configuration known only after apply there is no token
// yet, and the protocol allows no unknown result: Open defers where the CLI
// allows deferral, else fails saying which setting is unknown.
func TestTokenEphemeralResource_OpenConfigUnknown(t *testing.T) {
	for _, deferralAllowed := range []bool{true, false} {
		t.Run(fmt.Sprintf("deferral allowed %v", deferralAllowed), func(t *testing.T) {
			r := &TokenEphemeralResource{data: &ProviderData{unknown: []string{"endpoint"}}}
			var resp ephemeral.OpenResponse
			r.Open(t.Context(), ephemeral.OpenRequest{
				ClientCapabilities: ephemeral.OpenClientCapabilities{DeferralAllowed: deferralAllowed},
			}, &resp)
			if deferralAllowed {
				if resp.Diagnostics.HasError() || resp.Deferred == nil || resp.Deferred.Reason != ephemeral.DeferredReasonProviderConfigUnknown {
					t.Fatalf("want a deferral (provider configuration unknown), got %+v, %v", resp.Deferred, resp.Diagnostics)
				}
				return
			}
			if resp.Deferred != nil || !resp.Diagnostics.HasError() {
				t.Fatalf("want an error and no deferral, got %+v, %v", resp.Deferred, resp.Diagnostics)
			}
			if detail := resp.Diagnostics[0].Detail(); !strings.Contains(detail, `"endpoint"`) {
				t.Errorf("the diagnostic should name the unknown setting: %s", detail)
			}
		})
	}
}

// The echo provider (terraform-plugin-testing's way to test ephemeral
// resources) copies the ephemeral value into its own resource, so that the
// test can read it and try it against the registry.
func TestAccTokenEphemeralResource(t *testing.T) {
	endpoint := testAccTokenEndpoint(t)
	factories := map[string]func() (tfprotov6.ProviderServer, error){
		"echo": echoprovider.NewProviderServer(),
	}
	maps.Copy(factories, testAccProtoV6ProviderFactories)

	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   testAccCLIAtLeast(tfversion.Version1_10_0),
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{
				Config: `
ephemeral "registry_token" "test" {}

provider "echo" {
  data = ephemeral.registry_token.test
}

resource "echo" "token" {}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.token", tfjsonpath.New("data").AtMapKey("token"),
						knownvalue.StringFunc(func(token string) error {
							return checkTokenWorks(endpoint, token)
						})),
				},
			},
		},
	})
}

// A provider configuration that is unknown until apply (an endpoint that
// another resource outputs) cannot yield a token during the plan, and the
// protocol allows no unknown value in an opened ephemeral resource (OpenTofu
// rejects one): the plan fails with what to do. Once the resource the
// endpoint comes from is applied, as the error advises, the token works.
func TestAccTokenEphemeralResource_unknownProviderConfiguration(t *testing.T) {
	endpoint := testAccTokenEndpoint(t)
	factories := map[string]func() (tfprotov6.ProviderServer, error){
		"echo": echoprovider.NewProviderServer(),
	}
	maps.Copy(factories, testAccProtoV6ProviderFactories)
	endpointResource := fmt.Sprintf(`
resource "terraform_data" "endpoint" {
  input = %q
}
`, endpoint)
	withToken := endpointResource + `
provider "registry" {
  endpoint = terraform_data.endpoint.output
}

ephemeral "registry_token" "test" {}

provider "echo" {
  data = ephemeral.registry_token.test
}

resource "echo" "token" {}
`

	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   testAccCLIAtLeast(tfversion.Version1_10_0),
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{
				Config:      withToken,
				ExpectError: regexp.MustCompile(`Cannot open registry_token during this plan(.|\n)*"endpoint" will be known(.|\n)*only after apply`),
			},
			{
				// What the error advises: the endpoint's resource first.
				Config: endpointResource,
			},
			{
				Config: withToken,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.token", tfjsonpath.New("data").AtMapKey("token"),
						knownvalue.StringFunc(func(token string) error {
							return checkTokenWorks(endpoint, token)
						})),
				},
			},
		},
	})
}

// The token configures another provider: here a second configuration of
// this provider, whose own user name and password are wrong, so that the
// data source can only read the registry with the token.
func TestAccTokenEphemeralResource_providerConfiguration(t *testing.T) {
	testAccTokenEndpoint(t)
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   testAccCLIAtLeast(tfversion.Version1_10_0),
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `
ephemeral "registry_token" "test" {}

provider "registry" {
  alias    = "by_token"
  token    = ephemeral.registry_token.test.token
  username = "nobody"
  password = "not-the-password"
}

data "registry_artifacts" "all" {
  provider = registry.by_token
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.registry_artifacts.all", tfjsonpath.New("artifacts"), knownvalue.NotNull()),
				},
			},
		},
	})
}

// Without the echo provider, the token flows only through ephemeral
// contexts: a child module's ephemeral variable and output, and a
// provisioner, which writes it to a file for the test. The state must not
// contain it anywhere, and the token must work against the registry.
func TestAccTokenEphemeralResource_notPersisted(t *testing.T) {
	endpoint := testAccTokenEndpoint(t)
	tokenFile := filepath.Join(t.TempDir(), "token")

	// A configuration directory rather than an inline Config: the testing
	// framework runs `terraform init` on a directory, which installs the
	// module. It copies only the directory's files, so the module lives in a
	// directory of its own, referred to by its absolute path.
	dir, module := t.TempDir(), t.TempDir()
	writeTestFile(t, filepath.Join(dir, "main.tf"), strings.NewReplacer("MODULE_DIR", module, "TOKEN_FILE", tokenFile).Replace(`
ephemeral "registry_token" "test" {}

module "consumer" {
  source = "MODULE_DIR"
  token  = ephemeral.registry_token.test.token
}

resource "terraform_data" "export" {
  provisioner "local-exec" {
    command = "umask 077 && printf '%s' \"$REGISTRY_TOKEN\" > 'TOKEN_FILE'"
    environment = {
      REGISTRY_TOKEN = module.consumer.token
    }
  }
}
`))
	// A module that takes the token as an ephemeral input and hands it on,
	// the way a team passes it through its own modules.
	writeTestFile(t, filepath.Join(module, "main.tf"), `
variable "token" {
  type      = string
  ephemeral = true
}

output "token" {
  value     = var.token
  ephemeral = true
}
`)

	resource.Test(t, resource.TestCase{
		TerraformVersionChecks: testAccCLIAtLeast(tfversion.Version1_10_0),
		Steps: []resource.TestStep{
			{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				ConfigDirectory:          config.StaticDirectory(dir),
				ConfigStateChecks: []statecheck.StateCheck{
					tokenFileCheck{endpoint: endpoint, file: tokenFile},
				},
			},
		},
	})
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// tokenFileCheck reads the token that the apply's provisioner wrote, checks
// that it works and that the state (as `terraform show -json` gives it,
// sensitive values included) does not contain it.
type tokenFileCheck struct {
	endpoint, file string
}

func (c tokenFileCheck) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	raw, err := os.ReadFile(c.file)
	if err != nil {
		resp.Error = fmt.Errorf("the provisioner did not write the token: %w", err)
		return
	}
	token := string(raw)
	if err := checkTokenWorks(c.endpoint, token); err != nil {
		resp.Error = err
		return
	}
	state, err := json.Marshal(req.State)
	if err != nil {
		resp.Error = fmt.Errorf("encode state: %w", err)
		return
	}
	// Also without the scheme prefix: the secret part alone must not leak.
	secret := token
	if _, after, found := strings.Cut(token, " "); found {
		secret = after
	}
	for _, s := range []string{token, secret} {
		if s != "" && strings.Contains(string(state), s) {
			resp.Error = fmt.Errorf("the registry token was written to the state")
			return
		}
	}
}
