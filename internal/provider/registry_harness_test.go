package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
)

// The in-process registry: our real server (internal/server over a memory
// store) on a loopback listener, optionally behind a middleware that makes
// it behave like another implementation of the API, or a fault proxy. The
// tests read what it holds straight from its store.

const (
	inProcessUser     = "acc-admin"
	inProcessPassword = "acc-admin-password"
)

// inProcessRegistry is a running in-process registry.
type inProcessRegistry struct {
	// URL is the endpoint the provider is given (the middleware's).
	URL   string
	store store.Store
}

// startInProcessRegistry serves a new registry with pages of pageSize on
// 127.0.0.1; wrap, when not nil, wraps its handler.
func startInProcessRegistry(t *testing.T, pageSize int, wrap func(http.Handler) http.Handler) *inProcessRegistry {
	t.Helper()
	return startInProcessServer(t, server.Config{PageSize: pageSize}, wrap)
}

// startInProcessServer serves a new registry configured by cfg (see
// newInProcessHandler) on 127.0.0.1 until the test ends.
func startInProcessServer(t *testing.T, cfg server.Config, wrap func(http.Handler) http.Handler) *inProcessRegistry {
	t.Helper()
	h, st := newInProcessHandler(t, cfg, wrap)
	ts := httptest.NewServer(h) // listens on 127.0.0.1
	t.Cleanup(ts.Close)
	return &inProcessRegistry{URL: ts.URL, store: st}
}

// newInProcessHandler is the handler (wrapped when wrap is not nil) and the
// store of a new registry configured by cfg, for a listener of the caller's
// (plain or TLS). Its storage, a memory store, and its user are set here.
func newInProcessHandler(t *testing.T, cfg server.Config, wrap func(http.Handler) http.Handler) (http.Handler, store.Store) {
	t.Helper()
	teststack.Getenv(t, "TF_ACC", "acceptance tests run only with TF_ACC=1")
	st := store.NewMemory()
	cfg.Storage = &store.Opened{Store: st, Requested: "memory"}
	cfg.Users = []server.UserSpec{{Name: inProcessUser, Password: inProcessPassword, IsAdmin: true}}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Stops the background ratings of a server with RATING_MODE=async.
	t.Cleanup(srv.Close)
	h := srv.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	return h, st
}

// providerConfig is the provider block for endpoint, with the registry's
// credentials in the configuration (they override any REGISTRY_TOKEN of the
// environment) and extra settings.
func inProcessProviderConfig(endpoint, extra string) string {
	return fmt.Sprintf(`
provider "registry" {
  endpoint = %q
  username = %q
  password = %q
  %s
}
`, endpoint, inProcessUser, inProcessPassword, extra)
}

// countByURL counts the stored artifacts by "type url".
func (r *inProcessRegistry) countByURL(t *testing.T) map[string]int {
	t.Helper()
	recs, _, err := r.store.Page(context.Background(), store.Query{{Name: "*"}}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, rec := range recs {
		n[rec.Metadata.Type+" "+rec.URL]++
	}
	return n
}

// holdsExactly is a state check that the registry holds exactly one
// artifact for each of want ("type url") and nothing else.
func (r *inProcessRegistry) holdsExactly(t *testing.T, want ...string) statecheck.StateCheck {
	return storeCheck(func() error { return r.checkHolds(t, want...) })
}

// emptyAfterDestroy is a CheckDestroy that the registry holds nothing.
func (r *inProcessRegistry) emptyAfterDestroy(t *testing.T) resource.TestCheckFunc {
	return func(*terraform.State) error { return r.checkHolds(t) }
}

// storeCheck is a state check of what the in-process registry holds.
type storeCheck func() error

func (f storeCheck) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = f()
}

func (r *inProcessRegistry) checkHolds(t *testing.T, want ...string) error {
	got := r.countByURL(t)
	for _, w := range want {
		if got[w] != 1 {
			return fmt.Errorf("the registry holds %d artifacts %q, want 1 (all: %v)", got[w], w, got)
		}
	}
	if len(got) != len(want) {
		return fmt.Errorf("the registry holds %v, want exactly %v", got, want)
	}
	return nil
}
