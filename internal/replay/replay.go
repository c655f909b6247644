// Package replay serves recorded answers of the Hugging Face Hub and GitHub
// REST endpoints that internal/upstream reads, so that the registry's trust
// pipeline runs offline: in tests (NewServer on loopback), in the stack and
// in the quickstart (internal/teststack), and for a person (cmd/upstream-replay).
//
// The recordings in testdata/ are NOT fetched from the services: they were
// written by hand to the response shapes the services document, for a few
// real, well-known repositories (facts such as licenses and file sizes as
// published, abridged) plus one deliberately poor, fictitious model. See
// testdata/README.md.
//
// One handler serves both APIs, since their paths do not overlap:
//
//	/api/models/{repo}, /api/datasets/{repo}     -> testdata/hf/api/.../{repo}.json
//	/{repo}/resolve/main/{file}                  -> testdata/hf/{repo}/resolve/main/{file}
//	/datasets/{repo}/resolve/main/README.md      -> testdata/hf/datasets/{repo}/resolve/main/README.md
//	/repos/{owner}/{repo}[/...]                  -> testdata/github/repos/{owner}/{repo}[/...].json
//
// and the bundle endpoints that the registry's ingest reads (bundles.go),
// whose content is synthetic:
//
//	/[datasets/]{repo}/resolve/main/{file}       -> a listed file without a recording: synthetic text
//	/repos/{owner}/{repo}/readme                 -> testdata/github/repos/{owner}/{repo}/README.md, base64 in JSON
//	/repos/{owner}/{repo}/tarball                -> 302 to /codeload/{owner}/{repo}/tar.gz, a synthetic archive
//
// Query strings are ignored (the recordings are the blobs=true and
// state=closed answers). Anything not recorded answers 404 the way the
// service does, which is also how "no license file" looks on GitHub.
package replay

import (
	"embed"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"strings"
)

//go:embed testdata
var recordings embed.FS

// Handler serves the recordings.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "the replay serves GET only", http.StatusMethodNotAllowed)
			return
		}
		p := path.Clean("/" + r.URL.Path)
		if (strings.HasPrefix(p, "/repos/") || strings.HasPrefix(p, "/codeload/")) && gitHubBundle(w, r, p) {
			return
		}
		var file, contentType string
		switch {
		case strings.HasPrefix(p, "/api/"):
			file, contentType = "testdata/hf"+p+".json", "application/json"
		case strings.HasPrefix(p, "/repos/"):
			file, contentType = "testdata/github"+p+".json", "application/json; charset=utf-8"
		default:
			file, contentType = "testdata/hf"+p, "text/plain; charset=utf-8"
			if strings.HasSuffix(p, ".json") {
				contentType = "application/json"
			}
		}
		body, err := fs.ReadFile(recordings, file)
		if err != nil && !strings.HasPrefix(p, "/api/") && !strings.HasPrefix(p, "/repos/") && hfFile(w, p) {
			return
		}
		if err != nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			if strings.HasPrefix(p, "/repos/") {
				_, _ = w.Write([]byte(`{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}`))
			} else {
				_, _ = w.Write([]byte(`{"error":"Repository not found"}`))
			}
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body) //nolint:gosec // G705: the body is an embedded recording, not request input
	})
}

// NewServer starts the replay on a loopback port; its URL serves as both
// HF_ENDPOINT and GITHUB_API_URL. Close it when done.
func NewServer() *httptest.Server {
	return httptest.NewServer(Handler())
}
