package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
)

// A create that fails before its request goes out is reported as not sent,
// never as "whether the registry created it is unknown", and no lookup
// follows (finding 4 of issue 19).
func TestCreateNotSent(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		c := newTestClient(t, srv, Config{Token: "bearer t", MaxRetries: 2})
		srv.Close() // nothing listens there any more
		_, err := c.CreateArtifact(context.Background(), "model", "https://huggingface.co/o/x")
		if !NotSent(err) || strings.Contains(err.Error(), "unknown") {
			t.Fatalf("error %v (NotSent %t), want a not-sent error", err, NotSent(err))
		}
		if !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "after 3 attempts") {
			t.Errorf("error %q: want the refused connection, tried 1+2 times (nothing was sent, so retrying is safe)", err)
		}
	})
	t.Run("authentication refused", func(t *testing.T) {
		var posts atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/authenticate" {
				writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid"})
				return
			}
			posts.Add(1)
			hangUp(t, w)
		}))
		defer srv.Close()
		c := newTestClient(t, srv, Config{Username: defaultadmin.Name, Password: "wrong", IsAdmin: true})
		_, err := c.CreateArtifact(context.Background(), "model", "https://huggingface.co/o/x")
		if !NotSent(err) || StatusCode(err) != http.StatusUnauthorized || strings.Contains(err.Error(), "unknown") {
			t.Fatalf("error %v (NotSent %t), want the 401 as a not-sent error", err, NotSent(err))
		}
		if n := posts.Load(); n != 0 {
			t.Errorf("%d other calls, want none", n)
		}
	})
	t.Run("sent and dropped is not NotSent", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hangUp(t, w) }))
		defer srv.Close()
		c := newTestClient(t, srv, Config{Token: "bearer t", MaxRetries: -1})
		_, err := c.CreateArtifact(context.Background(), "model", "https://huggingface.co/o/x")
		if NotSent(err) || !strings.Contains(err.Error(), "unknown") {
			t.Fatalf("error %v (NotSent %t), want an ambiguous failure", err, NotSent(err))
		}
	})
}
