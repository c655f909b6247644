package client

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/http/httpproxy"
)

// TransportConfig is how the client reaches the registry: which TLS
// certificates it trusts and presents, extra headers, and the proxy. The
// zero value is the machine's CA store, no client certificate, no extra
// header, and the HTTPS_PROXY, HTTP_PROXY and NO_PROXY variables.
type TransportConfig struct {
	// CACertificate is PEM text of one or more CA certificates trusted in
	// addition to the machine's store (a private CA).
	CACertificate string
	// ClientCertificate and ClientKey are PEM text of the certificate (with
	// its chain) and private key presented for mutual TLS; both or neither.
	ClientCertificate string
	ClientKey         string
	// Insecure turns off the verification of the registry's certificate.
	Insecure bool
	// Headers are sent on every request (an API key, say). Their values are
	// treated as secrets: redacted from errors and never logged.
	Headers map[string]string
	// ProxyURL is a proxy for every request of this client (http, https or
	// socks5 URL); empty means the proxy environment variables, read when
	// the client is built.
	ProxyURL string
}

// reservedHeaders are set by the client itself; configuring them as extra
// headers would break authentication or the request encoding.
var reservedHeaders = []string{
	"Accept", "Authorization", "Connection", "Content-Length", "Content-Type", "Host",
	"Proxy-Authorization", "Transfer-Encoding", "User-Agent", "X-Authorization",
}

// CheckHeader reports whether name and value can be configured as an extra
// header. The error says why not, and never contains the value.
func CheckHeader(name, value string) error {
	if !httpguts.ValidHeaderFieldName(name) {
		return fmt.Errorf("%q is not a valid HTTP header name (letters, digits and !#$%%&'*+-.^_`|~ only)", name)
	}
	canonical := http.CanonicalHeaderKey(name)
	if slices.Contains(reservedHeaders, canonical) {
		return fmt.Errorf("the header %q is set by the provider itself (for authentication or the request format) and cannot be configured; headers it sets: %s",
			name, strings.Join(reservedHeaders, ", "))
	}
	if !httpguts.ValidHeaderFieldValue(value) {
		return fmt.Errorf("the value of the header %q contains a line break or another control character", name)
	}
	return nil
}

// ParseCertificates reads PEM text holding one or more certificates. The
// error says what was found instead.
func ParseCertificates(text string) ([]*x509.Certificate, error) {
	rest := []byte(text)
	var certs []*x509.Certificate
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block %d is a %q, not a \"CERTIFICATE\"", n, block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d is not a valid X.509 certificate", n)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM certificate found: the value must hold a block starting with \"-----BEGIN CERTIFICATE-----\" (use file(\"...\") to read a .pem file)")
	}
	return certs, nil
}

// CheckPrivateKey reads PEM text holding one private key. The error never
// contains the key.
func CheckPrivateKey(text string) error {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return errors.New("no PEM private key found: the value must hold a block starting with \"-----BEGIN PRIVATE KEY-----\" (or RSA/EC PRIVATE KEY)")
	}
	if !strings.HasSuffix(block.Type, "PRIVATE KEY") {
		return fmt.Errorf("the PEM block is a %q, not a private key", block.Type)
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		return nil
	}
	if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return nil
	}
	if _, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return nil
	}
	return fmt.Errorf("the %q PEM block is not a PKCS#8, PKCS#1 (RSA) or SEC 1 (EC) private key, or it is encrypted", block.Type)
}

// ParseKeyPair reads a client certificate and its private key. The error
// never contains the key.
func ParseKeyPair(certPEM, keyPEM string) (tls.Certificate, error) {
	if _, err := ParseCertificates(certPEM); err != nil {
		return tls.Certificate{}, fmt.Errorf("client certificate: %w", err)
	}
	if err := CheckPrivateKey(keyPEM); err != nil {
		return tls.Certificate{}, fmt.Errorf("client key: %w", err)
	}
	pair, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
	if err != nil {
		return tls.Certificate{}, errors.New("the client key does not belong to the client certificate (its public key differs)")
	}
	return pair, nil
}

// ParseProxyURL checks a proxy URL: http, https or socks5 with a host.
func ParseProxyURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute URL such as http://proxy.example.com:3128", redactURL(raw))
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("proxy URL %q: the scheme must be http, https or socks5", u.Redacted())
	}
	return u, nil
}

// redactURL hides a password in a URL that may not parse.
func redactURL(raw string) string {
	if at := strings.LastIndex(raw, "@"); at >= 0 {
		if scheme := strings.Index(raw, "://"); scheme >= 0 && scheme < at {
			return raw[:scheme+3] + "[redacted]" + raw[at:]
		}
	}
	return raw
}

// newTransport builds the HTTP transport of a client: go-cleanhttp's
// pooled transport with cfg's TLS settings and proxy.
func newTransport(cfg TransportConfig) (*http.Transport, error) {
	t := cleanhttp.DefaultPooledTransport()
	// Terraform calls one endpoint from up to -parallelism workers at once.
	// cleanhttp keeps GOMAXPROCS+1 idle connections per host, so on a small
	// machine most calls would open a new connection (and the server accept
	// one); keep enough for the workers.
	t.MaxIdleConnsPerHost = MaxIdleConnsPerHost
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CACertificate != "" {
		certs, err := ParseCertificates(cfg.CACertificate)
		if err != nil {
			return nil, fmt.Errorf("CA certificate: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
		tlsCfg.RootCAs = pool
	}
	switch {
	case cfg.ClientCertificate != "" && cfg.ClientKey != "":
		pair, err := ParseKeyPair(cfg.ClientCertificate, cfg.ClientKey)
		if err != nil {
			return nil, err
		}
		tlsCfg.Certificates = []tls.Certificate{pair}
	case cfg.ClientCertificate != "":
		return nil, errors.New("a client certificate is set without its private key: set both or neither")
	case cfg.ClientKey != "":
		return nil, errors.New("a client key is set without its certificate: set both or neither")
	}
	// The user asked for it and is warned on every run.
	tlsCfg.InsecureSkipVerify = cfg.Insecure //nolint:gosec // G402: opt-in, documented and warned about
	t.TLSClientConfig = tlsCfg

	if cfg.ProxyURL != "" {
		u, err := ParseProxyURL(cfg.ProxyURL)
		if err != nil {
			return nil, err
		}
		t.Proxy = http.ProxyURL(u)
	} else {
		// The same rules as http.ProxyFromEnvironment (which caches the
		// variables for the life of the process), read when the client is
		// built. Loopback targets are never proxied.
		proxyFor := httpproxy.FromEnvironment().ProxyFunc()
		t.Proxy = func(req *http.Request) (*url.URL, error) { return proxyFor(req.URL) }
	}
	return t, nil
}

// TLSProblem is the kind of a failed TLS handshake with the registry.
type TLSProblem int

const (
	// TLSUnknownAuthority: the registry's certificate is not signed by a
	// trusted CA.
	TLSUnknownAuthority TLSProblem = iota + 1
	// TLSExpired: the registry's certificate has expired or is not valid
	// yet.
	TLSExpired
	// TLSWrongHost: the registry's certificate is for other host names.
	TLSWrongHost
	// TLSClientCertificate: the registry requires a client certificate and
	// got none, or refused the one presented.
	TLSClientCertificate
	// TLSOther: another certificate verification failure.
	TLSOther
)

// TLSError is a TLS handshake with the registry that failed for a reason a
// person can fix. Error() describes the certificate; it never holds Go's
// internal error text.
type TLSError struct {
	Problem TLSProblem
	// Host is the host name the client connected to.
	Host string
	// Cert is the registry's certificate, when it was received.
	Cert *x509.Certificate
	// ClientCertificateSent is true when the client presented one.
	ClientCertificateSent bool
	// Alert is the TLS alert the registry sent (TLSClientCertificate).
	Alert string
	err   error
}

func (e *TLSError) Unwrap() error { return e.err }

func (e *TLSError) Error() string {
	switch e.Problem {
	case TLSUnknownAuthority:
		return fmt.Sprintf("the registry's TLS certificate (%s) is not signed by a certificate authority this client trusts", describeCert(e.Cert))
	case TLSExpired:
		now := time.Now().UTC().Format(time.RFC3339)
		if e.Cert != nil && time.Now().Before(e.Cert.NotBefore) {
			return fmt.Sprintf("the registry's TLS certificate (%s) is not valid yet: it is valid from %s, and it is now %s",
				describeCert(e.Cert), e.Cert.NotBefore.UTC().Format(time.RFC3339), now)
		}
		expiry := "an unknown date"
		if e.Cert != nil {
			expiry = e.Cert.NotAfter.UTC().Format(time.RFC3339)
		}
		return fmt.Sprintf("the registry's TLS certificate (%s) has expired: it was valid until %s, and it is now %s",
			describeCert(e.Cert), expiry, now)
	case TLSWrongHost:
		return fmt.Sprintf("the registry's TLS certificate (%s) is not valid for the host %q: it names %s",
			describeCert(e.Cert), e.Host, certNames(e.Cert))
	case TLSClientCertificate:
		if e.ClientCertificateSent {
			return fmt.Sprintf("the registry refused the client certificate that was presented (TLS alert %q): it is not issued by a CA the registry trusts, or it has expired", e.Alert)
		}
		return fmt.Sprintf("the registry requires a client certificate (mutual TLS) and none was presented (TLS alert %q)", e.Alert)
	}
	return fmt.Sprintf("the registry's TLS certificate (%s) could not be verified", describeCert(e.Cert))
}

func describeCert(c *x509.Certificate) string {
	if c == nil {
		return "not received"
	}
	return fmt.Sprintf("subject %q, issued by %q, valid %s to %s", c.Subject.String(), c.Issuer.String(),
		c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
}

func certNames(c *x509.Certificate) string {
	if c == nil {
		return "no names"
	}
	var names []string
	for _, n := range c.DNSNames {
		names = append(names, fmt.Sprintf("%q", n))
	}
	for _, ip := range c.IPAddresses {
		names = append(names, fmt.Sprintf("%q", ip.String()))
	}
	if len(names) == 0 {
		return "no host names or IP addresses"
	}
	return strings.Join(names, ", ")
}

// AsTLSError returns err's *TLSError, or nil.
func AsTLSError(err error) *TLSError {
	var e *TLSError
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// classifyTLS turns a failed handshake into a *TLSError; other errors are
// returned as they are.
func classifyTLS(err error, host string, clientCertSent bool) error {
	var (
		unknownCA x509.UnknownAuthorityError
		invalid   x509.CertificateInvalidError
		hostname  x509.HostnameError
		verify    *tls.CertificateVerificationError
	)
	e := &TLSError{Host: host, ClientCertificateSent: clientCertSent, err: err}
	switch {
	case errors.As(err, &unknownCA):
		e.Problem, e.Cert = TLSUnknownAuthority, unknownCA.Cert
	case errors.As(err, &hostname):
		e.Problem, e.Cert = TLSWrongHost, hostname.Certificate
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		e.Problem, e.Cert = TLSExpired, invalid.Cert
	case errors.As(err, &verify):
		e.Problem = TLSOther
		if len(verify.UnverifiedCertificates) > 0 {
			e.Cert = verify.UnverifiedCertificates[0]
		}
	default:
		alert, ok := clientCertAlert(err)
		if !ok {
			return err
		}
		e.Problem, e.Alert = TLSClientCertificate, alert
	}
	return e
}

// clientCertAlert recognizes the alerts a server sends when it requires a
// client certificate (TLS 1.3: "certificate required") or refuses the one
// presented ("bad certificate", "unknown certificate authority", ...). The
// alert type of crypto/tls is not exported, so its text is matched.
func clientCertAlert(err error) (string, bool) {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" || op.Err == nil {
		return "", false
	}
	msg := strings.TrimPrefix(op.Err.Error(), "tls: ")
	switch msg {
	case "certificate required", "bad certificate", "unknown certificate authority", "certificate expired",
		"unsupported certificate", "certificate revoked", "certificate unknown", "access denied":
		return msg, true
	}
	return "", false
}
