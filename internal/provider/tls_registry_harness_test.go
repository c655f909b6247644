package provider

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/tlstest"
)

// proxyOnlyHost is a name that no resolver knows: the registry is reached
// under it only through the tests' proxy, which tunnels it to loopback.
// (Go's proxy rules never proxy localhost or loopback addresses, so a test
// of HTTPS_PROXY needs a name that is neither.)
const proxyOnlyHost = "registry.test"

// tlsRegistry is our registry server in this process, on memory storage,
// serving HTTPS on 127.0.0.1: the acceptance tests of the TLS, header and
// proxy settings configure the provider against it.
type tlsRegistry struct {
	// Endpoint is https://127.0.0.1:<port>; Addr is 127.0.0.1:<port>.
	Endpoint, Addr string
	// CA issued the server certificate (for loopback and proxyOnlyHost).
	CA    *tlstest.Cert
	store *store.Memory
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
	mem := store.NewMemory()
	srv, err := server.New(server.Config{Storage: &store.Opened{Store: mem, Requested: "memory"}})
	if err != nil {
		t.Fatalf("registry server: %v", err)
	}
	t.Cleanup(srv.Close) // its background rating workers
	ca := tlstest.NewCA(t, "Acceptance Test Registry CA")
	cert := opts.Cert
	if cert == nil {
		cert = ca.Issue(t, tlstest.Loopback("registry", proxyOnlyHost))
	}
	handler := srv.Handler()
	if opts.Wrap != nil {
		handler = opts.Wrap(handler)
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
	return &tlsRegistry{Endpoint: "https://" + addr, Addr: addr, CA: ca, store: mem}
}

// useTLSRegistryEnv points the provider's environment at the in-process
// registry's credentials and clears every transport variable, so that the
// stack's settings (or a developer's) do not leak into a test.
func useTLSRegistryEnv(t *testing.T) {
	t.Helper()
	t.Setenv(envEndpoint, "")
	t.Setenv(envUsername, server.DefaultAdminName)
	t.Setenv(envPassword, server.DefaultAdminPassword)
	t.Setenv(envToken, "")
	for _, env := range []string{envCACertificate, envClientCertificate, envClientKey, envInsecure,
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

// checkHolds checks that the registry holds exactly the artifacts of
// these urls, by looking into its storage.
func (r *tlsRegistry) checkHolds(urls ...string) error {
	recs, err := r.store.List(context.Background())
	if err != nil {
		return err
	}
	var got []string
	for _, rec := range recs {
		got = append(got, rec.URL)
	}
	if strings.Join(got, " ") != strings.Join(urls, " ") {
		return fmt.Errorf("the registry holds %q, want %q", got, urls)
	}
	return nil
}
