package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
)

// Near-identical urls of one source are one artifact (artifact.NormalizeURL:
// host case, trailing slash, empty query or fragment), on every backend and
// for creates and updates alike; the url is kept as it was sent.
func TestNearIdenticalURLsAreOneArtifact(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc)
		tok := h.login(defaultadmin.Name, adminPassword)
		const sent = "https://HuggingFace.co/org/Same/"
		a := h.create(tok, "model", sent)
		if a.Data.URL != sent {
			t.Errorf("create answered url %q, want %q as sent", a.Data.URL, sent)
		}
		for _, u := range []string{"https://huggingface.co/org/Same", "https://huggingface.co/org/Same?", "https://huggingface.co/org/Same#", "HTTPS://HUGGINGFACE.CO/org/Same//"} {
			if res := h.do(http.MethodPost, "/artifact/model", map[string]string{"url": u}, tok); res.status != http.StatusConflict {
				t.Errorf("create %q after %q: %d %s, want 409", u, sent, res.status, res.body)
			}
		}
		// The path's case names another source.
		other := h.create(tok, "model", "https://huggingface.co/org/same")
		res := h.do(http.MethodPut, string("/artifacts/model/"+other.Metadata.ID),
			map[string]any{"metadata": other.Metadata, "data": map[string]string{"url": "https://huggingface.co/org/Same?#"}}, tok)
		if res.status != http.StatusConflict {
			t.Errorf("update to a url equivalent to another artifact's: %d %s, want 409", res.status, res.body)
		}
		if !artifact.SameURL(a.Data.URL, "https://huggingface.co/org/Same") {
			t.Error("artifact.SameURL disagrees with the server")
		}
	})
}

// A url whose derived name could never be looked up by name (control
// characters, not UTF-8) is refused at create with 400, and nothing is
// stored.
func TestUnsearchableNamesRefusedAtCreate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc)
		tok := h.login(defaultadmin.Name, adminPassword)
		for _, u := range []string{"https://huggingface.co/org/a%00b", "https://github.com/org/x%0D%0Ay", "https://example.com/x%01", "https://example.com/%FF"} {
			res := h.do(http.MethodPost, "/artifact/code", map[string]string{"url": u}, tok)
			if res.status != http.StatusBadRequest || !strings.Contains(res.errorMessage(t), artifact.NameRule) {
				t.Errorf("create %q: %d %s, want 400 saying the name %s", u, res.status, res.body, artifact.NameRule)
			}
		}
		if res := h.do(http.MethodPost, "/artifacts", `[{"name":"*"}]`, tok); string(res.body) != "[]\n" {
			t.Errorf("stored after refused creates: %s", res.body)
		}
	})
}
