package server

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/replay"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// withIngest turns ingest on, with upstreams at base.
func withIngest(base string, mode RatingMode, mod func(*IngestConfig)) harnessOption {
	return func(c *Config) {
		withUpstream(base, mode)(c)
		c.Ingest = true
		c.IngestTimeout = 20 * time.Second
		if mod != nil {
			mod(&c.IngestConfig)
		}
	}
}

// stored reads a record straight from the backend, hidden ones included.
func (h *harness) stored(id string) store.Record {
	h.t.Helper()
	rec, err := h.st.Get(context.Background(), id)
	if err != nil {
		h.t.Fatalf("reading %s from the store: %v", id, err)
	}
	return rec
}

// blob reads a stored bundle.
func (h *harness) blob(b *store.Bundle) []byte {
	h.t.Helper()
	if b == nil {
		h.t.Fatal("no bundle stored")
	}
	r, err := h.srv.cfg.Storage.Blobs.Open(context.Background(), *b)
	if err != nil {
		h.t.Fatalf("opening the bundle %s: %v", b.Key, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		h.t.Fatal(err)
	}
	return data
}

func get(t *testing.T, u string) []byte {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, res.StatusCode)
	}
	return b
}

// A create stores the facts (README text: byRegEx finds a README-only
// word) and the bundle, whose digest is that of the bytes the upstream
// served; the create answers once both are stored.
func TestIngestStoresFactsAndBundle(t *testing.T) {
	rp := startReplay(t)
	forEachBackend(t, func(t *testing.T, loc location) { checkIngest(t, rp, loc) })
}

// downloadedBytes GETs download_url as a client does, following the
// presigned redirect of S3.
func (h *harness) downloadedBytes(tok, id string) []byte {
	h.t.Helper()
	res := h.download(tok, id)
	if res.StatusCode == http.StatusFound && res.Header.Get("Registry-Bundle") == "presigned" {
		return get(h.t, res.Header.Get("Location"))
	}
	if res.StatusCode != http.StatusOK {
		h.t.Fatalf("download of %s: %d", id, res.StatusCode)
	}
	return readBody(h.t, res)
}

func checkIngest(t *testing.T, rp *httptest.Server, loc location) {
	h := newHarness(t, loc, withIngest(rp.URL, RatingOff, nil))
	tok := h.login(defaultadmin.Name, adminPassword)

	bert := h.create(tok, "model", bertURL)
	rec := h.stored(string(bert.Metadata.ID))
	if rec.IngestPending || rec.Bundle == nil || rec.BundleNotStored != "" {
		t.Fatalf("after the 201: pending %v, bundle %+v, not stored %q", rec.IngestPending, rec.Bundle, rec.BundleNotStored)
	}
	if b := bert.Data.Bundle; b == nil || b.Sha256 != rec.Bundle.SHA256 || b.SizeBytes != rec.Bundle.Size {
		t.Errorf("the 201's data.bundle %+v, want the stored %+v", b, rec.Bundle)
	}
	if got := h.downloadedBytes(tok, string(bert.Metadata.ID)); sha256Hex(got) != rec.Bundle.SHA256 {
		t.Errorf("the %d bytes downloaded have the digest %s, want %s", len(got), sha256Hex(got), rec.Bundle.SHA256)
	}
	if len(rec.HFData) != 1 || rec.HFData[0]["pipeline_tag"] != "fill-mask" || !strings.Contains(rec.ReadmeText(), "BookCorpus") {
		t.Errorf("hf_data: %+v", rec.HFData)
	}
	data := h.blob(rec.Bundle)
	if rec.Bundle.SHA256 != sha256Hex(data) || rec.Bundle.Size != int64(len(data)) {
		t.Errorf("bundle %+v: digest or size differ from the %d bytes stored", rec.Bundle, len(data))
	}
	// The tar holds every listed file, with the bytes the replay serves.
	tr := tar.NewReader(strings.NewReader(string(data)))
	files := 0
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(tr)
		if want := get(t, rp.URL+"/google-bert/bert-base-uncased/resolve/main/"+hdr.Name); string(got) != string(want) {
			t.Errorf("%s in the bundle differs from what the replay serves", hdr.Name)
		}
		files++
	}
	if files != 13 {
		t.Errorf("the bundle holds %d files, want the 13 the info lists", files)
	}

	res := h.do(http.MethodPost, "/artifact/byRegEx", map[string]string{"regex": "BookCorpus"}, tok)
	if res.status != http.StatusOK || !strings.Contains(string(res.body), string(bert.Metadata.ID)) {
		t.Errorf("byRegEx over a README-only word: %d %s", res.status, res.body)
	}

	// A dataset: its card and files through the /datasets/ endpoints.
	squad := h.create(tok, "dataset", squadURL)
	if srec := h.stored(string(squad.Metadata.ID)); srec.Bundle == nil || !strings.Contains(srec.ReadmeText(), "Stanford Question Answering Dataset") {
		t.Errorf("dataset: bundle %+v (%q), README %.60q", srec.Bundle, srec.BundleNotStored, srec.ReadmeText())
	}

	// GitHub: the archive, exactly as served.
	code := h.create(tok, "code", bertCodeURL)
	crec := h.stored(string(code.Metadata.ID))
	served := get(t, rp.URL+"/repos/google-research/bert/tarball")
	if crec.Bundle == nil || crec.Bundle.SHA256 != sha256Hex(served) || crec.Bundle.SHA256 != sha256Hex(replay.GitHubTarball("google-research/bert")) {
		t.Errorf("GitHub bundle %+v, want the digest %s of the archive served", crec.Bundle, sha256Hex(served))
	}
	if got := h.downloadedBytes(tok, string(code.Metadata.ID)); string(got) != string(served) {
		t.Errorf("download_url of the GitHub artifact serves %d bytes, not the %d of the archive", len(got), len(served))
	}
	if !strings.Contains(crec.ReadmeText(), "BookCorpus") || crec.HFData[0]["license"] != "Apache-2.0" {
		t.Errorf("GitHub facts: %+v", crec.HFData)
	}

	trail := h.do(http.MethodGet, "/artifact/model/"+string(bert.Metadata.ID)+"/audit", nil, tok)
	var entries []wire.ArtifactAuditEntry
	trail.decode(t, &entries)
	if len(entries) != 2 || entries[0].Action != store.ActionCreate || entries[1].Action != store.ActionDownload {
		t.Errorf("audit trail %+v, want CREATE (its ingest's publish writes no entry), then the DOWNLOAD", entries)
	}

	// A new url re-ingests: new bundle published, old one deleted.
	res = h.do(http.MethodPut, "/artifacts/model/"+string(bert.Metadata.ID), map[string]any{"metadata": bert.Metadata, "data": map[string]string{"url": whisperURL}}, tok)
	if res.status != http.StatusOK {
		t.Fatalf("update: %d %s", res.status, res.body)
	}
	after := h.stored(string(bert.Metadata.ID))
	if after.Bundle == nil || after.Bundle.Key == rec.Bundle.Key || strings.Contains(after.ReadmeText(), "BookCorpus") {
		t.Errorf("after the url change: bundle %+v, README %q", after.Bundle, after.ReadmeText())
	}
	if _, err := h.srv.cfg.Storage.Blobs.Open(context.Background(), *rec.Bundle); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the old bundle: %v, want it deleted", err)
	}
}

// An artifact larger than BUNDLE_MAX_BYTES, by the sizes the upstream
// lists or by the bytes it sends, is registered without a bundle and says
// why; so is one whose upstream does not know it.
func TestIngestOverCapRegisteredWithoutBundle(t *testing.T) {
	rp := startReplay(t)
	// 1000 bytes without a Content-Length: the cap cuts the stream.
	chunked := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for range 10 {
			_, _ = w.Write([]byte(strings.Repeat("x", 100)))
			w.(http.Flusher).Flush()
		}
	}))
	defer chunked.Close()
	h := newHarness(t, newLocation(t, "memory"), withIngest(rp.URL, RatingOff, func(c *IngestConfig) {
		c.BundleMaxBytes, c.IngestAllowedHosts = 300, []string{"127.0.0.1"}
	}))
	tok := h.login(defaultadmin.Name, adminPassword)
	for _, c := range []struct{ typ, url, want string }{
		{"model", bertURL, "Hugging Face lists 2922102712 bytes of files for google-bert/bert-base-uncased, more than BUNDLE_MAX_BYTES (300)"},
		{"code", whisperCode, "GitHub's archive of openai/whisper is 435 bytes, more than BUNDLE_MAX_BYTES (300)"},
		{"dataset", chunked.URL + "/big.bin", "the bundle is larger than BUNDLE_MAX_BYTES (300 bytes)"},
		{"model", "https://huggingface.co/no-such/model", "answered 404"},
		{"dataset", "https://example.com/data.tar", "example.com is not one of them"},
	} {
		a := h.create(tok, c.typ, c.url)
		if a.Data.Bundle != nil || !strings.Contains(a.Data.BundleNotStored, c.want) {
			t.Errorf("%s: bundle %+v, bundle_not_stored %q, want it to mention %q", c.url, a.Data.Bundle, a.Data.BundleNotStored, c.want)
		}
		res := h.download(tok, string(a.Metadata.ID))
		_ = res.Body.Close()
		if res.StatusCode != http.StatusFound || res.Header.Get("Location") != c.url {
			t.Errorf("%s: download %d to %q, want the redirect to the source", c.url, res.StatusCode, res.Header.Get("Location"))
		}
	}
}

// Other hosts: only those INGEST_ALLOWED_HOSTS names, every redirect
// re-checked; a host that resolves to loopback is refused at dial time
// unless named, also behind an upstream's redirect.
func TestIngestHostPolicy(t *testing.T) {
	const content = "bundle bytes\n"
	var lo *httptest.Server
	lo = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/bundle.bin":
			_, _ = w.Write([]byte(content))
		case "/to-private.bin":
			http.Redirect(w, r, "http://10.255.255.1/x.bin", http.StatusFound)
		case "/api/models/org/redirecting":
			_, _ = w.Write([]byte(`{"id":"org/redirecting","siblings":[{"rfilename":"w.bin"}]}`))
		case "/org/redirecting/resolve/main/w.bin":
			// To the same server by another name, which resolves to loopback.
			u, _ := url.Parse(lo.URL)
			http.Redirect(w, r, "http://localhost:"+u.Port()+"/bundle.bin", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer lo.Close()

	open := newHarness(t, newLocation(t, "memory"), withIngest(lo.URL, RatingOff, func(c *IngestConfig) { c.IngestAllowedHosts = []string{"127.0.0.1"} }))
	tok := open.login(defaultadmin.Name, adminPassword)
	a := open.create(tok, "dataset", lo.URL+"/bundle.bin")
	if rec := open.stored(string(a.Metadata.ID)); rec.Bundle == nil || rec.Bundle.SHA256 != sha256Hex([]byte(content)) {
		t.Errorf("an allowed loopback host: %+v %q", rec.Bundle, rec.BundleNotStored)
	}
	a = open.create(tok, "dataset", lo.URL+"/to-private.bin")
	if rec := open.stored(string(a.Metadata.ID)); rec.Bundle != nil || !strings.Contains(rec.BundleNotStored, "redirected to 10.255.255.1, a host that INGEST_ALLOWED_HOSTS does not name") {
		t.Errorf("a redirect to a private address: %+v %q", rec.Bundle, rec.BundleNotStored)
	}
	a = open.create(tok, "model", "https://huggingface.co/org/redirecting")
	if rec := open.stored(string(a.Metadata.ID)); rec.Bundle != nil || !strings.Contains(rec.BundleNotStored, "a loopback address") {
		t.Errorf("an upstream redirecting to a loopback name: %+v %q", rec.Bundle, rec.BundleNotStored)
	}

	closed := newHarness(t, newLocation(t, "memory"), withIngest(lo.URL, RatingOff, nil))
	tok = closed.login(defaultadmin.Name, adminPassword)
	a = closed.create(tok, "dataset", lo.URL+"/bundle.bin")
	if rec := closed.stored(string(a.Metadata.ID)); rec.Bundle != nil || !strings.Contains(rec.BundleNotStored, "127.0.0.1 is not one of them") {
		t.Errorf("a loopback host not allowed: %+v %q", rec.Bundle, rec.BundleNotStored)
	}
}

// RATING_MODE=async: the create answers 202 before any file is fetched;
// the fetch runs behind it and the model appears with its bundle.
func TestIngestAsyncDefersFetch(t *testing.T) {
	release := make(chan struct{})
	var files atomic.Int64
	rh := replay.Handler()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/resolve/main/") && !strings.HasSuffix(r.URL.Path, "/README.md") && !strings.HasSuffix(r.URL.Path, "/config.json") {
			files.Add(1)
			<-release
		}
		rh.ServeHTTP(w, r)
	}))
	defer up.Close()
	h := newHarness(t, newLocation(t, "memory"), withIngest(up.URL, RatingAsync, nil))
	tok := h.login(defaultadmin.Name, adminPassword)
	res := h.do(http.MethodPost, "/artifact/model", map[string]string{"url": bertURL}, tok)
	if res.status != http.StatusAccepted {
		t.Fatalf("async create: %d %s", res.status, res.body)
	}
	var a wire.Artifact
	res.decode(t, &a)
	if rec := h.stored(string(a.Metadata.ID)); !rec.IngestPending || rec.Bundle != nil {
		t.Errorf("at the 202: pending %v, bundle %+v", rec.IngestPending, rec.Bundle)
	}
	if st := h.do(http.MethodGet, "/artifacts/model/"+string(a.Metadata.ID), nil, tok).status; st != http.StatusNotFound {
		t.Errorf("GET while the ingest runs: %d, want 404", st)
	}
	close(release)
	deadline := time.Now().Add(20 * time.Second)
	for h.do(http.MethodGet, "/artifacts/model/"+string(a.Metadata.ID), nil, tok).status != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("the model never appeared")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if rec := h.stored(string(a.Metadata.ID)); rec.Bundle == nil || len(rec.Rating) == 0 || files.Load() == 0 {
		t.Errorf("after the deferred ingest: bundle %+v, rating %s, %d files fetched", rec.Bundle, rec.Rating, files.Load())
	}
}

// A start removes the hidden record of an interrupted synchronous create
// and finishes an interrupted asynchronous one.
func TestIngestRestartRemovesOrFinishesHidden(t *testing.T) {
	rp := startReplay(t)
	loc := newLocation(t, "memory")
	st := loc.open(t)
	ctx := context.Background()
	sync, err := st.Create(ctx, store.Record{Metadata: wire.ArtifactMetadata{Name: "squad", Type: "dataset"}, URL: squadURL, IngestPending: true}, wire.ArtifactAuditEntry{Action: store.ActionCreate})
	if err != nil {
		t.Fatal(err)
	}
	async, err := st.Create(ctx, store.Record{Metadata: wire.ArtifactMetadata{Name: "bert-base-uncased", Type: "model"}, URL: bertURL, IngestPending: true}, wire.ArtifactAuditEntry{Action: store.ActionCreate})
	if err != nil {
		t.Fatal(err)
	}
	// Created a moment ago: another server may still be ingesting it.
	young, err := st.Create(ctx, store.Record{Metadata: wire.ArtifactMetadata{Name: "whisper", Type: "code"}, URL: whisperCode, IngestPending: true, CreatedAt: time.Now()}, wire.ArtifactAuditEntry{Action: store.ActionCreate})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Storage: &store.Opened{Store: st}, Users: testUsers}
	withIngest(rp.URL, RatingAsync, nil)(&cfg)
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, errSync := st.Get(ctx, sync.ID())
		rec, errAsync := st.Get(ctx, async.ID())
		if errors.Is(errSync, store.ErrNotFound) && errAsync == nil && !rec.IngestPending && rec.Bundle != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the start: the synchronous one %v, the asynchronous one %+v %v", errSync, rec, errAsync)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if rec, err := st.Get(ctx, young.ID()); err != nil || !rec.IngestPending {
		t.Errorf("a hidden record created a moment ago: %+v %v, want it kept hidden for INGEST_TIMEOUT and a margin", rec, err)
	}
}

// byRegEx finds a model by a word only its README holds, on every backend
// (the README text is stored with the record, data.hf_data).
func TestIngestReadmeSearchable(t *testing.T) {
	rp := startReplay(t)
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc, withIngest(rp.URL, RatingOff, nil))
		tok := h.login(defaultadmin.Name, adminPassword)
		bert := h.create(tok, "model", bertURL)
		whisper := h.create(tok, "model", whisperURL)
		res := h.do(http.MethodPost, "/artifact/byRegEx", map[string]string{"regex": "Book[Cc]orpus"}, tok)
		var found []wire.ArtifactMetadata
		res.decode(t, &found)
		if len(found) != 1 || found[0].ID != bert.Metadata.ID {
			t.Errorf("byRegEx Book[Cc]orpus: %+v, want only %s (not %s)", found, bert.Metadata.ID, whisper.Metadata.ID)
		}
	})
}

// A source that stops sending is cut at INGEST_TIMEOUT: the create
// answers, without a bundle, saying so.
func TestIngestTimeLimit(t *testing.T) {
	stalled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		_, _ = w.Write([]byte("first bytes"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer stalled.Close()
	h := newHarness(t, newLocation(t, "memory"), withIngest(stalled.URL, RatingOff, func(c *IngestConfig) {
		c.IngestTimeout, c.IngestAllowedHosts = 500*time.Millisecond, []string{"127.0.0.1"}
	}))
	tok := h.login(defaultadmin.Name, adminPassword)
	start := time.Now()
	a := h.create(tok, "dataset", stalled.URL+"/stalls.bin")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the create took %s", took)
	}
	if rec := h.stored(string(a.Metadata.ID)); rec.Bundle != nil || rec.BundleNotStored != "fetching the bundle took longer than INGEST_TIMEOUT (500ms)" {
		t.Errorf("bundle %+v, bundle_not_stored %q", rec.Bundle, rec.BundleNotStored)
	}
}
