package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/tlstest"
)

const artifactConfig = `
resource "registry_artifact" "test" {
  type = "model"
  url  = %q
}
`

// Over HTTPS with a private CA given in ca_certificate (read with file()),
// the whole lifecycle works: create, read back, update in place, import,
// destroy; the registry's storage holds what Terraform says.
func TestAccTransport_lifecycleOverHTTPSWithCACertificate(t *testing.T) {
	clearTransportEnv(t)
	reg := startTLSRegistry(t, tlsRegistryOptions{})
	caFile := writePEM(t, "registry-ca.pem", reg.CA.CertPEM)
	prov := inProcessProviderConfig(reg.URL, fmt.Sprintf("  ca_certificate = file(%q)", caFile))
	url1, name1 := testAccURL("model")
	url2, _ := testAccURL("model")

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             func(*terraform.State) error { return reg.checkHolds(t) },
		Steps: []resource.TestStep{
			{
				Config: prov + fmt.Sprintf(artifactConfig, url1),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("id"), knownvalue.StringRegexp(artifact.IDPattern)),
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("url"), knownvalue.StringExact(url1)),
				},
				Check: func(*terraform.State) error { return reg.checkHolds(t, "model "+url1) },
			},
			{
				Config: prov + fmt.Sprintf(artifactConfig, url2) + `
data "registry_artifact" "back" {
  type = registry_artifact.test.type
  id   = registry_artifact.test.id
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.registry_artifact.back", tfjsonpath.New("url"), knownvalue.StringExact(url2)),
					// The registry keeps the name it derived at creation.
					statecheck.ExpectKnownValue("data.registry_artifact.back", tfjsonpath.New("name"), knownvalue.StringExact(name1)),
				},
				Check: func(*terraform.State) error { return reg.checkHolds(t, "model "+url2) },
			},
			{
				ResourceName:      "registry_artifact.test",
				ImportState:       true,
				ImportStateIdFunc: importIDOf("registry_artifact.test"),
				ImportStateVerify: true,
			},
		},
	})
}

// A registry that requires client certificates: without one the plan fails
// and says so; with client_certificate and client_key (from the
// environment here) artifacts, data sources and the ephemeral token all
// work over the same transport.
func TestAccTransport_mutualTLS(t *testing.T) {
	clearTransportEnv(t)
	clientCA := tlstest.NewCA(t, "Acceptance Test Client CA")
	clientCert := clientCA.Issue(t, tlstest.Options{CommonName: "terraform", Client: true})
	reg := startTLSRegistry(t, tlsRegistryOptions{ClientCA: clientCA})
	t.Setenv(envCACertificate, reg.CA.CertPEM)
	url, _ := testAccURL("model")

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             func(*terraform.State) error { return reg.checkHolds(t) },
		Steps: []resource.TestStep{
			{
				Config:      inProcessProviderConfig(reg.URL, "") + `data "registry_artifacts" "all" {}`,
				ExpectError: wordsRE("requires a client certificate", "none was presented", `"client_certificate"`, `"client_key"`, envClientCertificate, envClientKey),
			},
			{
				PreConfig: func() {
					t.Setenv(envClientCertificate, clientCert.CertPEM)
					t.Setenv(envClientKey, clientCert.KeyPEM)
				},
				Config: inProcessProviderConfig(reg.URL, "") + fmt.Sprintf(artifactConfig, url) + fmt.Sprintf(`
ephemeral "registry_token" "test" {}

provider "registry" {
  alias    = "by_token"
  endpoint = %q
  token    = ephemeral.registry_token.test.token
  username = "nobody"
  password = "not-the-password"
}

data "registry_artifacts" "by_token" {
  provider   = registry.by_token
  depends_on = [registry_artifact.test]
}
`, reg.URL),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("url"), knownvalue.StringExact(url)),
					statecheck.ExpectKnownValue("data.registry_artifacts.by_token", tfjsonpath.New("artifacts"), knownvalue.ListSizeExact(1)),
				},
				Check: func(*terraform.State) error { return reg.checkHolds(t, "model "+url) },
			},
		},
	})
}

// Certificates that cannot be trusted fail the plan with a diagnostic that
// says what is wrong with the certificate and what fixes it; malformed PEM
// fails the plan naming the argument.
func TestAccTransport_certificateProblems(t *testing.T) {
	clearTransportEnv(t)
	ca := tlstest.NewCA(t, "Acceptance Test CA")
	expired := ca.Issue(t, tlstest.Options{CommonName: "expired-registry", DNSNames: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	wrongHost := ca.Issue(t, tlstest.Options{CommonName: "other-registry", DNSNames: []string{"registry.other.test"}})
	caFile := writePEM(t, "ca.pem", ca.CertPEM)
	withCA := fmt.Sprintf("  ca_certificate = file(%q)", caFile)

	untrusted := startTLSRegistry(t, tlsRegistryOptions{})
	expiredReg := startTLSRegistry(t, tlsRegistryOptions{Cert: expired})
	wrongHostReg := startTLSRegistry(t, tlsRegistryOptions{Cert: wrongHost})
	const read = `data "registry_artifacts" "all" {}`

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: inProcessProviderConfig(untrusted.URL, "") + read,
				ExpectError: wordsRE(`subject "CN=registry"`, `issued by "CN=Acceptance Test Registry CA`, "not signed by a certificate authority",
					`"ca_certificate"`, envCACertificate),
			},
			{
				Config:      inProcessProviderConfig(expiredReg.URL, withCA) + read,
				ExpectError: wordsRE(`subject "CN=expired-registry"`, "has expired", "valid until", "must be renewed"),
			},
			{
				Config:      inProcessProviderConfig(wrongHostReg.URL, withCA) + read,
				ExpectError: wordsRE("not valid for the host", `"127.0.0.1"`, `"registry.other.test"`, `"endpoint"`),
			},
			{
				Config:      inProcessProviderConfig(untrusted.URL, `  ca_certificate = "not a certificate"`) + read,
				ExpectError: wordsRE("ca_certificate", "no PEM certificate found"),
			},
			{
				Config:      inProcessProviderConfig(untrusted.URL, fmt.Sprintf("  client_certificate = %q", ca.CertPEM)) + read,
				ExpectError: wordsRE("client_certificate is set", `"client_key"`, envClientKey),
			},
		},
	})
	for _, reg := range []*tlsRegistry{untrusted, expiredReg, wrongHostReg} {
		if err := reg.checkHolds(t); err != nil {
			t.Error(err)
		}
	}
}

// insecure = true reaches a registry whose CA is not given, and every run
// warns that verification is off (checked in the provider's log, which
// shows its diagnostics whatever the CLI prints).
func TestAccTransport_insecureWorksAndWarns(t *testing.T) {
	clearTransportEnv(t)
	logFile := acceptanceLog(t)
	reg := startTLSRegistry(t, tlsRegistryOptions{})
	url, _ := testAccURL("model")

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             func(*terraform.State) error { return reg.checkHolds(t) },
		Steps: []resource.TestStep{{
			Config: inProcessProviderConfig(reg.URL, "  insecure = true") + fmt.Sprintf(artifactConfig, url),
			Check:  func(*terraform.State) error { return reg.checkHolds(t, "model "+url) },
		}},
	})
	logged := readLog(t, logFile)
	if n := strings.Count(logged, "TLS certificate verification is off"); n < 2 {
		t.Errorf("the warning is in the provider's log %d times, want it on every run (plan and apply)", n)
	}
}

// headers reach the registry (behind an API-key check that answers 403
// without the key, as API Gateway does) and the key appears neither in the
// TRACE log of Terraform and the provider nor in the state.
func TestAccTransport_headersReachTheServerAndStaySecret(t *testing.T) {
	clearTransportEnv(t)
	logFile := acceptanceLog(t)
	const apiKey = "k3y-0f-the-usage-plan-5f2c9a"
	var withKey, withoutKey atomic.Int32
	reg := startTLSRegistry(t, tlsRegistryOptions{Wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Api-Key") != apiKey {
				withoutKey.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusForbidden)
				_, _ = w.Write([]byte(`{"message":"Forbidden"}`))
				return
			}
			withKey.Add(1)
			next.ServeHTTP(w, r)
		})
	}})
	withCA := fmt.Sprintf("  ca_certificate = %q\n", reg.CA.CertPEM)
	url, _ := testAccURL("model")
	t.Setenv("TF_VAR_api_key", apiKey)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             func(*terraform.State) error { return reg.checkHolds(t) },
		Steps: []resource.TestStep{
			{
				Config:      inProcessProviderConfig(reg.URL, withCA) + `data "registry_artifacts" "all" {}`,
				ExpectError: wordsRE("403 Forbidden", "API gateway", `"headers"`, "x-api-key"),
			},
			{
				Config:      inProcessProviderConfig(reg.URL, withCA+`  headers = { "X-Authorization" = "bearer mine" }`) + `data "registry_artifacts" "all" {}`,
				ExpectError: wordsRE("X-Authorization", "set by the provider itself"),
			},
			{
				// The key comes in as a variable, as it would in real use:
				// the test framework logs the configuration's text itself.
				Config: inProcessProviderConfig(reg.URL, withCA+`  headers = { "x-api-key" = var.api_key }`) + `
variable "api_key" {
  type      = string
  sensitive = true
}
` + fmt.Sprintf(artifactConfig, url),
				ConfigStateChecks: []statecheck.StateCheck{
					stateDoesNotContain{apiKey},
				},
				Check: func(*terraform.State) error { return reg.checkHolds(t, "model "+url) },
			},
		},
	})
	if withKey.Load() == 0 || withoutKey.Load() == 0 {
		t.Errorf("%d requests with the key, %d without; want both", withKey.Load(), withoutKey.Load())
	}
	logged := readLog(t, logFile)
	if !strings.Contains(logged, "registry API request") {
		t.Fatal("the log holds no request of the provider: it was not written at TRACE")
	}
	if strings.Contains(logged, apiKey) {
		t.Error("the API key is in the TRACE log")
	}
}

// A loopback proxy sees the provider's requests with proxy_url, and with
// HTTPS_PROXY. The endpoint's host name resolves nowhere, so the lifecycle
// can only succeed through the proxy.
func TestAccTransport_proxy(t *testing.T) {
	clearTransportEnv(t)
	reg := startTLSRegistry(t, tlsRegistryOptions{})
	_, port, _ := net.SplitHostPort(reg.Addr)
	endpoint := "https://" + proxyOnlyHost + ":" + port
	withCA := fmt.Sprintf("  ca_certificate = %q\n", reg.CA.CertPEM)

	t.Run("proxy_url", func(t *testing.T) {
		proxy := tlstest.NewProxy(t, reg.Addr)
		url, _ := testAccURL("model")
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			CheckDestroy:             func(*terraform.State) error { return reg.checkHolds(t) },
			Steps: []resource.TestStep{{
				Config: inProcessProviderConfig(endpoint, withCA+fmt.Sprintf("  proxy_url = %q", proxy.URL)) + fmt.Sprintf(artifactConfig, url),
				Check:  func(*terraform.State) error { return reg.checkHolds(t, "model "+url) },
			}},
		})
		checkProxied(t, proxy, proxyOnlyHost+":"+port)
	})
	t.Run("HTTPS_PROXY", func(t *testing.T) {
		proxy := tlstest.NewProxy(t, reg.Addr)
		t.Setenv("HTTPS_PROXY", proxy.URL)
		url, _ := testAccURL("model")
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			CheckDestroy:             func(*terraform.State) error { return reg.checkHolds(t) },
			Steps: []resource.TestStep{{
				Config: inProcessProviderConfig(endpoint, withCA) + fmt.Sprintf(artifactConfig, url),
				Check:  func(*terraform.State) error { return reg.checkHolds(t, "model "+url) },
			}},
		})
		checkProxied(t, proxy, proxyOnlyHost+":"+port)
	})
}

func checkProxied(t *testing.T, proxy *tlstest.Proxy, target string) {
	t.Helper()
	targets := proxy.Targets()
	if len(targets) == 0 {
		t.Fatal("the proxy saw no request")
	}
	for _, got := range targets {
		if got != target {
			t.Errorf("the proxy was asked for %q, want only %q", got, target)
		}
	}
}

// acceptanceLog makes resource.Test write the TRACE logs of the Terraform
// CLI and of this provider into one file, and returns its path.
func acceptanceLog(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "terraform-trace.log")
	t.Setenv("TF_ACC_LOG_PATH", p)
	t.Setenv("TF_ACC_LOG", "TRACE")
	t.Setenv("TF_LOG_PATH_MASK", "")
	return p
}

func readLog(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("reading the TRACE log: %v", err)
	}
	return string(b)
}

// stateDoesNotContain fails when a secret appears anywhere in the state.
type stateDoesNotContain struct{ secret string }

func (c stateDoesNotContain) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	b, err := json.Marshal(req.State)
	if err != nil {
		resp.Error = err
		return
	}
	if bytes.Contains(b, []byte(c.secret)) {
		resp.Error = fmt.Errorf("the state contains the secret")
	}
}

// Configure resolves the transport settings from the configuration, else
// the environment, warns about insecure on every run, and fails the plan on
// malformed PEM or half a client certificate, naming where the value came
// from.
func TestConfigureTransportSettings(t *testing.T) {
	ca := tlstest.NewCA(t, "CA")
	clientCert := ca.Issue(t, tlstest.Options{CommonName: "c", Client: true})
	other := ca.Issue(t, tlstest.Options{CommonName: "o", Client: true})
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	for _, env := range []string{envCACertificate, envClientCertificate, envClientKey, envInsecure} {
		t.Setenv(env, "")
	}
	configure := func(attrs map[string]tftypes.Value) (*ProviderData, diag.Diagnostics) {
		var resp provider.ConfigureResponse
		New("test")().Configure(context.Background(), provider.ConfigureRequest{Config: providerConfigValue(t, attrs)}, &resp)
		data, _ := resp.ResourceData.(*ProviderData)
		return data, resp.Diagnostics
	}

	t.Run("environment", func(t *testing.T) {
		t.Setenv(envCACertificate, ca.CertPEM)
		t.Setenv(envClientCertificate, clientCert.CertPEM)
		t.Setenv(envClientKey, clientCert.KeyPEM)
		t.Setenv(envInsecure, "true")
		data, diags := configure(nil)
		if diags.HasError() || diags.WarningsCount() != 1 {
			t.Fatalf("diagnostics %v, want just the insecure warning", diags)
		}
		if w := diags.Warnings()[0]; !strings.Contains(w.Detail(), envInsecure) || !strings.Contains(w.Detail(), `"ca_certificate"`) {
			t.Errorf("warning %q does not say where insecure came from and what to use instead", w.Detail())
		}
		tc := data.registry.Transport
		if tc.CACertificate != ca.CertPEM || tc.ClientCertificate != clientCert.CertPEM || tc.ClientKey != clientCert.KeyPEM || !tc.Insecure {
			t.Errorf("transport settings %+v, want the environment's", tc)
		}
	})
	t.Run("configuration", func(t *testing.T) {
		t.Setenv(envInsecure, "true")
		data, diags := configure(map[string]tftypes.Value{
			"insecure": tftypes.NewValue(tftypes.Bool, false),
			"headers": tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, map[string]tftypes.Value{
				"x-api-key": str("k"),
			}),
			"proxy_url": str("http://127.0.0.1:3128"),
		})
		if diags.HasError() || diags.WarningsCount() != 0 {
			t.Fatalf("diagnostics %v, want none (insecure = false wins over %s)", diags, envInsecure)
		}
		tc := data.registry.Transport
		if tc.Insecure || tc.Headers["x-api-key"] != "k" || tc.ProxyURL != "http://127.0.0.1:3128" {
			t.Errorf("transport settings %+v", tc)
		}
	})
	t.Run("unknown until apply", func(t *testing.T) {
		data, diags := configure(map[string]tftypes.Value{"ca_certificate": tftypes.NewValue(tftypes.String, tftypes.UnknownValue)})
		if diags.HasError() || strings.Join(data.unknown, ",") != "ca_certificate" {
			t.Fatalf("diagnostics %v, unknown %v", diags, data.unknown)
		}
	})
	errorCases := []struct {
		name  string
		env   map[string]string
		attrs map[string]tftypes.Value
		want  []string
	}{
		{"bad CA from the environment", map[string]string{envCACertificate: "nope"}, nil, []string{"ca_certificate", envCACertificate, "no PEM certificate"}},
		{"key without certificate", map[string]string{envClientKey: clientCert.KeyPEM}, nil, []string{"client_key is set", envClientKey, `"client_certificate"`, envClientCertificate}},
		{"key of another certificate", nil, map[string]tftypes.Value{"client_certificate": str(clientCert.CertPEM), "client_key": str(other.KeyPEM)},
			[]string{"does not belong", "client_key"}},
		{"bad REGISTRY_INSECURE", map[string]string{envInsecure: "maybe"}, nil, []string{envInsecure, `"maybe"`, "true or false"}},
	}
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, diags := configure(tt.attrs)
			if !diags.HasError() {
				t.Fatal("no error")
			}
			text := diags.Errors()[0].Summary() + " " + diags.Errors()[0].Detail()
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("error %q does not mention %s", text, w)
				}
			}
			if strings.Contains(text, strings.Split(other.KeyPEM, "\n")[1]) || strings.Contains(text, strings.Split(clientCert.KeyPEM, "\n")[1]) {
				t.Errorf("error %q shows a private key", text)
			}
		})
	}
}

// Each TLS failure's diagnostic names the setting that fixes it.
func TestDescribeTLSError(t *testing.T) {
	ca := tlstest.NewCA(t, "CA")
	cert := ca.Issue(t, tlstest.Loopback("registry")).Cert
	tests := []struct {
		name     string
		settings registrySettings
		err      *client.TLSError
		want     []string
	}{
		{"unknown CA", registrySettings{}, &client.TLSError{Problem: client.TLSUnknownAuthority, Cert: cert},
			[]string{`"CN=registry"`, `"ca_certificate"`, envCACertificate, "file("}},
		{"unknown CA with a CA set", registrySettings{Transport: client.TransportConfig{CACertificate: ca.CertPEM}},
			&client.TLSError{Problem: client.TLSUnknownAuthority, Cert: cert}, []string{"is set but does not hold the CA"}},
		{"no client certificate", registrySettings{}, &client.TLSError{Problem: client.TLSClientCertificate, Alert: "certificate required"},
			[]string{"none was presented", `"client_certificate"`, `"client_key"`, envClientCertificate, envClientKey}},
		{"client certificate refused", registrySettings{}, &client.TLSError{Problem: client.TLSClientCertificate, ClientCertificateSent: true, Alert: "bad certificate"},
			[]string{"refused the client certificate", "must trust the CA"}},
		{"wrong host", registrySettings{}, &client.TLSError{Problem: client.TLSWrongHost, Host: "10.0.0.1", Cert: cert},
			[]string{`"10.0.0.1"`, `"localhost"`, `"endpoint"`, envEndpoint}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wrapped := fmt.Errorf("GET /artifacts: %w", tt.err)
			msg := (&ProviderData{registry: tt.settings}).describeError(wrapped)
			if !strings.HasPrefix(msg, wrapped.Error()) {
				t.Errorf("diagnostic %q does not start with the error", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("diagnostic %q does not mention %s", msg, w)
				}
			}
		})
	}
}
