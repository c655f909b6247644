package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// keyboardNames are names a person can type: every printable ASCII
// character, spaces at the ends, path-like text and non-ASCII letters.
var keyboardNames = []string{
	" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
	"a/b", "../x", "..", ".", "%2F", "%", "?q=1#frag", "  padded  ", "tab-free \\ back\\slash",
	"Ünïcødé 名前 😀", "<script>&amp;</script>", "'; DROP TABLE artifacts; --", "+plus+",
}

// nameSegment escapes name as one path segment. The dot segments "." and
// ".." must be percent-encoded too (RFC 3986 removes them, and net/http
// redirects to the cleaned path).
func nameSegment(name string) string {
	if name == "." || name == ".." {
		return strings.Repeat("%2E", len(name))
	}
	return url.PathEscape(name)
}

// Names are any keyboard string and come back exactly: from GET by id,
// GET /artifact/byName (path-escaped), POST /artifacts and byRegEx.
func TestNamesRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc)
		tok := h.login(defaultadmin.Name, adminPassword)
		for i, name := range keyboardNames {
			rec, err := h.st.Create(context.Background(), store.Record{
				Metadata: wire.ArtifactMetadata{Name: name, Type: "model"}, URL: fmt.Sprintf("https://example.com/n%d", i),
				CreatedAt: time.Now(), CreatedBy: defaultadmin.Name,
			}, wire.ArtifactAuditEntry{Action: store.ActionCreate})
			if err != nil {
				t.Fatalf("storing %q: %v", name, err)
			}
			res := h.do(http.MethodGet, string("/artifacts/model/"+rec.Metadata.ID), nil, tok)
			var a wire.Artifact
			res.decode(t, &a)
			if a.Metadata.Name != name {
				t.Errorf("GET by id: name %q, want %q", a.Metadata.Name, name)
			}
			res = h.do(http.MethodGet, "/artifact/byName/"+nameSegment(name), nil, tok)
			var found []wire.ArtifactMetadata
			if res.status == http.StatusOK {
				res.decode(t, &found)
			}
			if len(found) != 1 || found[0] != rec.Metadata {
				t.Errorf("byName %q: %d %s", name, res.status, res.body)
			}
			res = h.do(http.MethodPost, "/artifacts", []map[string]string{{"name": name}}, tok)
			found = nil
			res.decode(t, &found)
			if len(found) != 1 || found[0] != rec.Metadata {
				t.Errorf("POST /artifacts by name %q: %d %s", name, res.status, res.body)
			}
			res = h.do(http.MethodPost, "/artifact/byRegEx", map[string]string{"regex": "^" + regexp.QuoteMeta(name) + "$"}, tok)
			found = nil
			if res.status == http.StatusOK {
				res.decode(t, &found)
			}
			if len(found) != 1 || found[0] != rec.Metadata {
				t.Errorf("byRegEx for %q: %d %s", name, res.status, res.body)
			}
		}
	})
}
