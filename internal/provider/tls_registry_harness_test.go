package provider

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/tlstest"
)

// proxyOnlyHost is a name that no resolver knows: the registry is reached
// under it only through the tests' proxy, which tunnels it to loopback.
// (Go's proxy rules never proxy localhost or loopback addresses, so a test
// of HTTPS_PROXY needs a name that is neither.)
const proxyOnlyHost = "registry.test"

// tlsRegistry is the in-process registry (registry_harness_test.go) served
// over HTTPS on 127.0.0.1: the acceptance tests of the TLS, header and
// proxy settings configure the provider against it.
type tlsRegistry struct {
	*inProcessRegistry
	// Addr is 127.0.0.1:<port>; URL is https://<Addr>.
	Addr string
	// CA issued the default server certificate (for loopback and
	// proxyOnlyHost).
	CA *tlstest.Cert
}

type tlsRegistryOptions struct {
	// Cert is the server certificate; nil means one of CA for loopback.
	Cert *tlstest.Cert
	// ClientCA, when set, makes the server require client certificates it
	// issued.
	ClientCA *tlstest.Cert
	// Wrap wraps the registry's handler (an API-key check, say).
	Wrap func(http.Handler) http.Handler
}

func startTLSRegistry(t *testing.T, opts tlsRegistryOptions) *tlsRegistry {
	t.Helper()
	handler, st := newInProcessHandler(t, server.Config{}, opts.Wrap)
	ca := tlstest.NewCA(t, "Acceptance Test Registry CA")
	cert := opts.Cert
	if cert == nil {
		cert = ca.Issue(t, tlstest.Loopback("registry", proxyOnlyHost))
	}
	hs := httptest.NewUnstartedServer(handler)
	hs.TLS = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert.TLS()}}
	if opts.ClientCA != nil {
		hs.TLS.ClientAuth = tls.RequireAndVerifyClientCert
		hs.TLS.ClientCAs = opts.ClientCA.Pool()
	}
	// The refused handshakes are what several tests are about.
	hs.Config.ErrorLog = log.New(io.Discard, "", 0)
	hs.StartTLS()
	t.Cleanup(hs.Close)
	addr := hs.Listener.Addr().String()
	return &tlsRegistry{inProcessRegistry: &inProcessRegistry{URL: "https://" + addr, store: st}, Addr: addr, CA: ca}
}

// clearTransportEnv clears every variable of the provider's transport, so
// that the stack's settings (or a developer's) do not leak into a test.
func clearTransportEnv(t *testing.T) {
	t.Helper()
	for _, env := range []string{envToken, envCACertificate, envClientCertificate, envClientKey, envInsecure,
		"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"} {
		t.Setenv(env, "")
	}
}

// writePEM writes text into a file of the test's temporary directory, for
// a configuration that reads it with file().
func writePEM(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
