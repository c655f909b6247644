package replay

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The bundle endpoints (see testdata/README.md): what the registry's
// ingest downloads. Their content is SYNTHETIC, a few lines per file
// saying so, except the recorded README.md and config.json files, which
// are served as recorded.

// Synthetic is the text of every synthetic file: it names the file, so
// that two files differ, and says what it is.
func Synthetic(repo, file string) string {
	return fmt.Sprintf("SYNTHETIC content of %s/%s served by upstream-replay, not the real file.\n", repo, file)
}

// hfFile serves GET [/datasets]/{repo}/resolve/main/{file} for a file that
// the recorded info lists but that has no recording: its synthetic text.
func hfFile(w http.ResponseWriter, p string) bool {
	kind, rest := "models", strings.TrimPrefix(p, "/")
	if after, ok := strings.CutPrefix(rest, "datasets/"); ok {
		kind, rest = "datasets", after
	}
	repo, file, ok := strings.Cut(rest, "/resolve/main/")
	if !ok || !listed(kind, repo, file) {
		return false
	}
	body := Synthetic(repo, file)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write([]byte(body))
	return true
}

// listed reports whether the recorded info of repo lists file.
func listed(kind, repo, file string) bool {
	b, err := fs.ReadFile(recordings, "testdata/hf/api/"+kind+"/"+repo+".json")
	if err != nil {
		return false
	}
	var info struct {
		Siblings []struct {
			RFilename string `json:"rfilename"`
		} `json:"siblings"`
	}
	if json.Unmarshal(b, &info) != nil {
		return false
	}
	return slices.ContainsFunc(info.Siblings, func(s struct {
		RFilename string `json:"rfilename"`
	}) bool {
		return s.RFilename == file
	})
}

// gitHubBundle serves, for a recorded repository, GET
// /repos/{o}/{r}/readme (the recorded README.md in GitHub's JSON envelope),
// GET /repos/{o}/{r}/tarball (a 302, as GitHub redirects to codeload) and
// the archive it redirects to, /codeload/{o}/{r}/tar.gz.
func gitHubBundle(w http.ResponseWriter, r *http.Request, p string) bool {
	if rest, ok := strings.CutPrefix(p, "/codeload/"); ok {
		repo, ok := strings.CutSuffix(rest, "/tar.gz")
		if !ok || !recordedRepo(repo) {
			return false
		}
		body := GitHubTarball(repo)
		w.Header().Set("Content-Type", "application/x-gzip")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
		return true
	}
	rest := strings.TrimPrefix(p, "/repos/")
	switch {
	case strings.HasSuffix(rest, "/tarball") && recordedRepo(strings.TrimSuffix(rest, "/tarball")):
		//nolint:gosec // G710: a path of the replay itself, for a recorded repository only
		http.Redirect(w, r, "/codeload/"+strings.TrimSuffix(rest, "/tarball")+"/tar.gz", http.StatusFound)
		return true
	case strings.HasSuffix(rest, "/readme"):
		repo := strings.TrimSuffix(rest, "/readme")
		readme, err := fs.ReadFile(recordings, "testdata/github/repos/"+repo+"/README.md")
		if err != nil {
			return false
		}
		b, _ := json.Marshal(map[string]string{"name": "README.md", "path": "README.md", "encoding": "base64", "content": base64.StdEncoding.EncodeToString(readme)})
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(b)
		return true
	}
	return false
}

func recordedRepo(repo string) bool {
	_, err := fs.Stat(recordings, "testdata/github/repos/"+repo+".json")
	return err == nil && strings.Count(repo, "/") == 1
}

// GitHubTarball is the synthetic archive of a recorded repository: a
// gzip-compressed tar of its recorded README.md (when there is one) and a
// SYNTHETIC.txt, under the top folder <owner>-<repo>-synthetic/ as
// GitHub names it <owner>-<repo>-<commit>/. The same repository gives the
// same bytes.
func GitHubTarball(repo string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	top := strings.ReplaceAll(repo, "/", "-") + "-synthetic/"
	files := [][2]string{{"SYNTHETIC.txt", Synthetic(repo, "SYNTHETIC.txt")}}
	if readme, err := fs.ReadFile(recordings, "testdata/github/repos/"+repo+"/README.md"); err == nil {
		files = append(files, [2]string{"README.md", string(readme)})
	}
	for _, f := range files {
		_ = tw.WriteHeader(&tar.Header{Name: path.Join(top, f[0]), Mode: 0o644, Size: int64(len(f[1])), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg})
		_, _ = tw.Write([]byte(f[1]))
	}
	_ = tw.Close()
	_ = gz.Close()
	return buf.Bytes()
}
