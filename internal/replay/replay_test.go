package replay

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"testing"
)

// Every JSON recording is valid JSON: a broken one would read as an
// upstream fault in every rating.
func TestRecordingsAreValidJSON(t *testing.T) {
	err := fs.WalkDir(recordings, "testdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		b, err := fs.ReadFile(recordings, p)
		if err != nil {
			return err
		}
		if !json.Valid(b) {
			t.Errorf("%s is not valid JSON", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestServesRecordingsAndNotFound(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	for _, c := range []struct {
		path string
		want int
		ct   string
	}{
		{"/api/models/google-bert/bert-base-uncased?blobs=true", http.StatusOK, "application/json"},
		{"/google-bert/bert-base-uncased/resolve/main/README.md", http.StatusOK, "text/plain; charset=utf-8"},
		{"/google-bert/bert-base-uncased/resolve/main/config.json", http.StatusOK, "application/json"},
		{"/datasets/rajpurkar/squad/resolve/main/README.md", http.StatusOK, "text/plain; charset=utf-8"},
		{"/repos/openai/whisper/pulls?state=closed&per_page=100", http.StatusOK, "application/json; charset=utf-8"},
		{"/repos/example-org/tiny-unlicensed-model/license", http.StatusNotFound, "application/json"},
		{"/api/models/no/such", http.StatusNotFound, "application/json"},
		{"/../../etc/passwd", http.StatusNotFound, "application/json"},
		// The bundle endpoints: synthetic files that the info lists, none else.
		{"/google-bert/bert-base-uncased/resolve/main/model.safetensors", http.StatusOK, "application/octet-stream"},
		{"/datasets/rajpurkar/squad/resolve/main/README.md", http.StatusOK, "text/plain; charset=utf-8"},
		{"/google-bert/bert-base-uncased/resolve/main/not-listed.bin", http.StatusNotFound, "application/json"},
		{"/repos/openai/whisper/readme", http.StatusOK, "application/json; charset=utf-8"},
		{"/repos/openai/whisper/tarball", http.StatusOK, "application/x-gzip"}, // after the redirect
		{"/repos/no/such/tarball", http.StatusNotFound, "application/json"},
	} {
		res, err := http.Get(srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != c.want || res.Header.Get("Content-Type") != c.ct {
			t.Errorf("GET %s: %d %q, want %d %q", c.path, res.StatusCode, res.Header.Get("Content-Type"), c.want, c.ct)
		}
	}
	res, err := http.Post(srv.URL+"/api/models/google-bert/bert-base-uncased", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", res.StatusCode)
	}
}

// The synthetic content says what it is, and an archive is the same bytes
// every time (its digest is what the registry records).
func TestSyntheticBundles(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	res, err := http.Get(srv.URL + "/google-bert/bert-base-uncased/resolve/main/model.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != Synthetic("google-bert/bert-base-uncased", "model.safetensors") || !strings.HasPrefix(string(b), "SYNTHETIC") {
		t.Errorf("synthetic file: %q", b)
	}
	if a, b := GitHubTarball("openai/whisper"), GitHubTarball("openai/whisper"); string(a) != string(b) || len(a) == 0 {
		t.Error("two archives of one repository differ")
	}
}
