package ingest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/upstream"
)

// maxRedirects bounds the redirects of one fetch.
const maxRedirects = 10

// directKey marks the request of a url on an allowed host (not Hugging
// Face or GitHub): every redirect must stay on allowed hosts.
type directKey struct{}

// newClient is the client of every bundle stream: it connects to the
// trusted hosts (the configured upstreams and INGEST_ALLOWED_HOSTS) at any
// address, and to any other host (a CDN that Hugging Face or GitHub
// redirects to) only at public addresses, checked at dial time, after the
// name was resolved, so that DNS cannot point a fetch at the registry's
// own network. Redirects are re-checked hop by hop (checkRedirect). No
// proxy: the address checked is the address connected to.
func (in *Ingester) newClient(headerTimeout time.Duration) *http.Client {
	tr := &http.Transport{
		DialContext:           in.dial,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: headerTimeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{Transport: tr, CheckRedirect: in.checkRedirect}
}

func (in *Ingester) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !in.trusted[strings.ToLower(host)] {
		d.Control = refuseNonPublic(host)
	}
	return d.DialContext(ctx, network, addr)
}

// refuseNonPublic refuses a connection to an address that is not public.
func refuseNonPublic(host string) func(network, address string, _ syscall.RawConn) error {
	return func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return upstream.RefusedError{Reason: fmt.Sprintf("%s: the address %s cannot be checked, so it is not connected to", host, address)}
		}
		if kind := nonPublic(ap.Addr().Unmap()); kind != "" {
			return upstream.RefusedError{Reason: fmt.Sprintf("%s resolves to %s, a %s address, which ingest does not connect to unless INGEST_ALLOWED_HOSTS names %s", host, ap.Addr().Unmap(), kind, host)}
		}
		return nil
	}
}

// cgnat is the shared address space of RFC 6598 (carrier-grade NAT),
// private in all but name.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// nonPublic names the kind of a non-public address, "" for a public one.
func nonPublic(ip netip.Addr) string {
	switch {
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate(), cgnat.Contains(ip):
		return "private"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "link-local"
	case ip.IsUnspecified(), ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return "non-unicast"
	}
	return ""
}

// checkRedirect re-checks every hop: http(s) only, at most maxRedirects,
// and for a url of an allowed host only hosts INGEST_ALLOWED_HOSTS names
// (the dial check applies to every hop as well).
func (in *Ingester) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return upstream.RefusedError{Reason: fmt.Sprintf("stopped after %d redirects", maxRedirects)}
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return upstream.RefusedError{Reason: fmt.Sprintf("redirected to %s, which is not an http(s) URL", req.URL.Redacted())}
	}
	host := strings.ToLower(req.URL.Hostname())
	if req.Context().Value(directKey{}) != nil && !in.allowed[host] {
		return upstream.RefusedError{Reason: fmt.Sprintf("redirected to %s, a host that INGEST_ALLOWED_HOSTS does not name", host)}
	}
	return nil
}
