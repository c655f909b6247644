package client

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/tlstest"
)

// tlsServer answers every request with an empty list over TLS with cert,
// requiring a client certificate of clientCA when it is not nil.
func tlsServer(t *testing.T, cert *tlstest.Cert, clientCA *tlstest.Cert, handler http.HandlerFunc) *httptest.Server {
	t.Helper()
	if handler == nil {
		handler = func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `[]`) }
	}
	srv := httptest.NewUnstartedServer(handler)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert.TLS()}, MinVersion: tls.VersionTLS12}
	if clientCA != nil {
		srv.TLS.ClientAuth = tls.RequireAndVerifyClientCert
		srv.TLS.ClientCAs = clientCA.Pool()
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func listArtifacts(t *testing.T, endpoint string, tc TransportConfig) error {
	t.Helper()
	c, err := New(Config{Endpoint: endpoint, Transport: tc, RequestTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, rc := range []*retryablehttp.Client{c.retrying, c.once} {
		rc.RetryWaitMin, rc.RetryWaitMax = time.Millisecond, 4*time.Millisecond
	}
	_, err = c.ArtifactsByName(context.Background(), "x")
	return err
}

// Each way a handshake fails becomes a TLSError that names the certificate
// and the problem, without Go's error text, and is not retried.
func TestTLSErrorsSayWhatIsWrong(t *testing.T) {
	ca := tlstest.NewCA(t, "Test Registry CA")
	good := ca.Issue(t, tlstest.Loopback("registry"))
	expired := ca.Issue(t, tlstest.Options{CommonName: "expired", DNSNames: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	wrongHost := ca.Issue(t, tlstest.Options{CommonName: "elsewhere", DNSNames: []string{"registry.elsewhere.test"}})
	clientCA := tlstest.NewCA(t, "Test Client CA")
	client := clientCA.Issue(t, tlstest.Options{CommonName: "terraform", Client: true})
	strangerCA := tlstest.NewCA(t, "Stranger CA")
	stranger := strangerCA.Issue(t, tlstest.Options{CommonName: "stranger", Client: true})

	var handshakes atomic.Int32
	counting := func(w http.ResponseWriter, _ *http.Request) { handshakes.Add(1); _, _ = io.WriteString(w, `[]`) }
	tests := []struct {
		name    string
		srv     *httptest.Server
		tc      TransportConfig
		problem TLSProblem
		want    []string
	}{
		{"unknown CA", tlsServer(t, good, nil, nil), TransportConfig{}, TLSUnknownAuthority,
			[]string{`subject "CN=registry"`, `issued by "CN=Test Registry CA`, "not signed by a certificate authority this client trusts"}},
		{"expired", tlsServer(t, expired, nil, nil), TransportConfig{CACertificate: ca.CertPEM}, TLSExpired,
			[]string{`subject "CN=expired"`, "has expired", "valid until"}},
		{"wrong host", tlsServer(t, wrongHost, nil, nil), TransportConfig{CACertificate: ca.CertPEM}, TLSWrongHost,
			[]string{`not valid for the host "127.0.0.1"`, `"registry.elsewhere.test"`}},
		{"no client certificate", tlsServer(t, good, clientCA, counting), TransportConfig{CACertificate: ca.CertPEM}, TLSClientCertificate,
			[]string{"requires a client certificate", "none was presented"}},
		{"client certificate of another CA", tlsServer(t, good, clientCA, counting),
			TransportConfig{CACertificate: ca.CertPEM, ClientCertificate: stranger.CertPEM, ClientKey: stranger.KeyPEM}, TLSClientCertificate,
			[]string{"refused the client certificate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := listArtifacts(t, tt.srv.URL, tt.tc)
			te := AsTLSError(err)
			if te == nil || te.Problem != tt.problem {
				t.Fatalf("error %v (%T), want a TLSError of problem %d", err, err, tt.problem)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %s", err, w)
				}
			}
			for _, internal := range []string{"x509:", "tls: failed", "remote error"} {
				if strings.Contains(err.Error(), internal) {
					t.Errorf("error %q shows Go's internal text %q", err, internal)
				}
			}
			if strings.Contains(err.Error(), "attempts") {
				t.Errorf("error %q: a TLS failure was retried", err)
			}
		})
	}
	if n := handshakes.Load(); n != 0 {
		t.Errorf("%d requests reached the handler without a valid client certificate", n)
	}

	t.Run("trusted CA and client certificate", func(t *testing.T) {
		srv := tlsServer(t, good, clientCA, nil)
		if err := listArtifacts(t, srv.URL, TransportConfig{CACertificate: ca.CertPEM, ClientCertificate: client.CertPEM, ClientKey: client.KeyPEM}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("insecure", func(t *testing.T) {
		if err := listArtifacts(t, tests[0].srv.URL, TransportConfig{Insecure: true}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTransportConfigErrors(t *testing.T) {
	ca := tlstest.NewCA(t, "CA")
	leaf := ca.Issue(t, tlstest.Loopback("x"))
	other := ca.Issue(t, tlstest.Loopback("y"))
	tests := []struct {
		name string
		tc   TransportConfig
		want string
	}{
		{"not PEM", TransportConfig{CACertificate: "hello"}, "no PEM certificate found"},
		{"key as CA", TransportConfig{CACertificate: leaf.KeyPEM}, `"PRIVATE KEY", not a "CERTIFICATE"`},
		{"certificate without key", TransportConfig{ClientCertificate: leaf.CertPEM}, "without its private key"},
		{"key without certificate", TransportConfig{ClientKey: leaf.KeyPEM}, "without its certificate"},
		{"key of another certificate", TransportConfig{ClientCertificate: leaf.CertPEM, ClientKey: other.KeyPEM}, "does not belong"},
		{"certificate as key", TransportConfig{ClientCertificate: leaf.CertPEM, ClientKey: leaf.CertPEM}, "not a private key"},
		{"reserved header", TransportConfig{Headers: map[string]string{"x-authorization": "k"}}, "set by the provider itself"},
		{"bad header name", TransportConfig{Headers: map[string]string{"x api key": "k"}}, "not a valid HTTP header name"},
		{"header value with a line break", TransportConfig{Headers: map[string]string{"X-Api-Key": "a\nb"}}, "line break"},
		{"proxy scheme", TransportConfig{ProxyURL: "ftp://proxy:21"}, "http, https or socks5"},
		{"proxy not a URL", TransportConfig{ProxyURL: "proxy:3128"}, "not an absolute URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Config{Endpoint: "https://127.0.0.1:1", Transport: tt.tc})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
			for _, pemText := range []string{leaf.CertPEM, leaf.KeyPEM, other.KeyPEM} {
				if body := strings.Split(pemText, "\n")[1]; strings.Contains(err.Error(), body) {
					t.Errorf("error %q shows PEM content", err)
				}
			}
		})
	}
}

// Extra headers reach the server on every call, and a server echoing one
// does not put it into an error.
func TestHeadersAreSentAndRedacted(t *testing.T) {
	const key = "api-key-0123456789"
	var withKey atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != key {
			http.Error(w, `{"message":"Forbidden"}`, http.StatusForbidden)
			return
		}
		withKey.Add(1)
		http.Error(w, `{"message":"bad key `+key+`"}`, http.StatusBadRequest)
	}))
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL, Transport: TransportConfig{Headers: map[string]string{"x-api-key": key}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ArtifactsByName(context.Background(), "x")
	if StatusCode(err) != http.StatusBadRequest || withKey.Load() != 1 {
		t.Fatalf("err %v, %d requests with the key; want the handler's 400 once", err, withKey.Load())
	}
	if strings.Contains(err.Error(), key) {
		t.Errorf("error %q shows the header's value", err)
	}
}

// A host name that only the proxy can resolve proves the request went
// through it; both proxy_url and HTTPS_PROXY route there.
func TestProxy(t *testing.T) {
	ca := tlstest.NewCA(t, "CA")
	srv := tlsServer(t, ca.Issue(t, tlstest.Loopback("registry", "registry.test")), nil, nil)
	port := strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port)
	endpoint := "https://registry.test:" + port
	proxy := tlstest.NewProxy(t, srv.Listener.Addr().String())

	if err := listArtifacts(t, endpoint, TransportConfig{CACertificate: ca.CertPEM, ProxyURL: proxy.URL}); err != nil {
		t.Fatalf("with proxy_url: %v", err)
	}
	t.Setenv("HTTPS_PROXY", proxy.URL)
	t.Setenv("https_proxy", "")
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	if err := listArtifacts(t, endpoint, TransportConfig{CACertificate: ca.CertPEM}); err != nil {
		t.Fatalf("with HTTPS_PROXY: %v", err)
	}
	if got := strings.Join(proxy.Targets(), " "); got != "registry.test:"+port+" registry.test:"+port {
		t.Errorf("the proxy was asked for %q, want registry.test:%s twice", got, port)
	}
}
