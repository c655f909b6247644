package tlstest

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Proxy is a loopback HTTP proxy for HTTPS traffic (CONNECT only). It
// forwards each tunnel to the address Route gives for the requested target,
// so that a test can use a host name that only the proxy resolves: a
// request that succeeds went through the proxy.
type Proxy struct {
	// URL is the proxy's address, http://127.0.0.1:<port>.
	URL string

	mu      sync.Mutex
	targets []string
}

// NewProxy starts a proxy that tunnels every CONNECT to upstream (a
// host:port on loopback), whatever target was asked for.
func NewProxy(t testing.TB, upstream string) *Proxy {
	t.Helper()
	p := &Proxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "this test proxy only tunnels HTTPS (CONNECT)", http.StatusMethodNotAllowed)
			return
		}
		p.mu.Lock()
		p.targets = append(p.targets, r.Host)
		p.mu.Unlock()
		up, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(r.Context(), "tcp", upstream)
		if err != nil {
			http.Error(w, "upstream unreachable", http.StatusBadGateway)
			return
		}
		hj, ok := w.(http.Hijacker)
		if !ok {
			_ = up.Close()
			http.Error(w, "no hijacking", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
		conn, buf, err := hj.Hijack()
		if err != nil {
			_ = up.Close()
			return
		}
		go func() {
			_, _ = io.Copy(up, buf)
			_ = up.Close()
		}()
		_, _ = io.Copy(conn, up)
		_ = conn.Close()
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Targets are the host:port targets of the tunnels asked for so far.
func (p *Proxy) Targets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}
