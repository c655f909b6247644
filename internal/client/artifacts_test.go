package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// fakeRegistry stores artifacts in memory and serves the artifact calls
// without authentication (/authenticate answers 501). Like the spec's
// registry it answers 409 to a second create of a type and url.
// rejectCreate, when set, runs before a create is stored and may answer it
// instead; createFault runs after it has been stored and may replace its
// answer.
type fakeRegistry struct {
	t *testing.T
	// nameOf overrides the name given to a created artifact.
	nameOf       func(url string) string
	rejectCreate func(w http.ResponseWriter) bool
	createFault  func(w http.ResponseWriter) bool
	noByName     bool // GET /artifact/byName answers 501

	mu        sync.Mutex
	artifacts []wire.Artifact
	creates   atomic.Int32
	gets      atomic.Int32
}

func (f *fakeRegistry) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /authenticate", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotImplemented)
	})
	mux.HandleFunc("POST /artifact/{type}", func(w http.ResponseWriter, r *http.Request) {
		f.creates.Add(1)
		var d wire.ArtifactData
		if err := json.NewDecoder(r.Body).Decode(&d); err != nil || d.URL == "" {
			writeJSON(w, 400, map[string]string{"error": "want {\"url\": ...}"})
			return
		}
		if f.rejectCreate != nil && f.rejectCreate(w) {
			return
		}
		name, _ := artifact.DeriveName(d.URL)
		if f.nameOf != nil {
			name = f.nameOf(d.URL)
		}
		f.mu.Lock()
		for _, a := range f.artifacts {
			if a.Metadata.Type == r.PathValue("type") && a.Data.URL == d.URL {
				f.mu.Unlock()
				writeJSON(w, http.StatusConflict, map[string]string{"error": "artifact exists already"})
				return
			}
		}
		a := wire.Artifact{
			Metadata: wire.ArtifactMetadata{Name: name, ID: wire.ID(strconv.Itoa(1000 + len(f.artifacts))), Type: r.PathValue("type")},
			Data:     wire.ArtifactData{URL: d.URL, DownloadURL: "http://x/download/" + name},
		}
		f.artifacts = append(f.artifacts, a)
		f.mu.Unlock()
		if f.createFault != nil && f.createFault(w) {
			return
		}
		writeJSON(w, http.StatusCreated, a)
	})
	mux.HandleFunc("GET /artifacts/{type}/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.gets.Add(1)
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, a := range f.artifacts {
			if string(a.Metadata.ID) == r.PathValue("id") && a.Metadata.Type == r.PathValue("type") {
				writeJSON(w, 200, a)
				return
			}
		}
		writeJSON(w, 404, map[string]string{"error": "artifact does not exist"})
	})
	mux.HandleFunc("GET /artifact/byName/{name}", func(w http.ResponseWriter, r *http.Request) {
		if f.noByName {
			writeJSON(w, http.StatusNotImplemented, map[string]string{"error": "not implemented"})
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		out := []wire.ArtifactMetadata{}
		for _, a := range f.artifacts {
			if a.Metadata.Name == r.PathValue("name") {
				out = append(out, a.Metadata)
			}
		}
		if len(out) == 0 {
			writeJSON(w, 404, map[string]string{"error": "no such artifact"})
			return
		}
		writeJSON(w, 200, out)
	})
	mux.HandleFunc("POST /artifacts", func(w http.ResponseWriter, r *http.Request) {
		var qs []wire.ArtifactQuery
		if err := json.NewDecoder(r.Body).Decode(&qs); err != nil || len(qs) != 1 {
			f.t.Errorf("unexpected query %+v (%v)", qs, err)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		out := []wire.ArtifactMetadata{}
		for _, a := range f.artifacts {
			if (qs[0].Name == "*" || qs[0].Name == a.Metadata.Name) && (len(qs[0].Types) == 0 || slices.Contains(qs[0].Types, a.Metadata.Type)) {
				out = append(out, a.Metadata)
			}
		}
		writeJSON(w, 200, out)
	})
	return mux
}

func (f *fakeRegistry) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.artifacts)
}

const bertURL = "https://huggingface.co/google-bert/bert-base-uncased"

func TestCreateArtifact201(t *testing.T) {
	f := &fakeRegistry{t: t}
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	c := newTestClient(t, srv, Config{})
	res, err := c.CreateArtifact(context.Background(), "model", bertURL)
	if err != nil {
		t.Fatal(err)
	}
	want := wire.Artifact{Metadata: wire.ArtifactMetadata{Name: "bert-base-uncased", ID: "1000", Type: "model"}, Data: wire.ArtifactData{URL: bertURL, DownloadURL: "http://x/download/bert-base-uncased"}}
	if res.Accepted || res.Adopted || res.Artifact == nil || *res.Artifact != want {
		t.Errorf("result %+v %+v, want %+v", res, res.Artifact, want)
	}
}

func TestCreateArtifactStatuses(t *testing.T) {
	body := `{"metadata":{"name":"bert","id":"7","type":"model"},"data":{"url":"` + bertURL + `"}}`
	for _, tc := range []struct {
		status       int
		body         string
		wantErr      int
		wantArtifact bool
	}{
		{status: 202, body: "", wantArtifact: false},
		{status: 202, body: body, wantArtifact: true},
		{status: 409, body: `{"error":"artifact exists already"}`, wantErr: 409},
		{status: 424, body: `{"error":"disqualified rating"}`, wantErr: 424},
		{status: 400, body: `{"error":"must include a single url"}`, wantErr: 400},
	} {
		t.Run(fmt.Sprintf("%d %t", tc.status, tc.body != ""), func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/authenticate" {
					w.WriteHeader(501)
					return
				}
				calls.Add(1)
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			c := newTestClient(t, srv, Config{})
			res, err := c.CreateArtifact(context.Background(), "model", bertURL)
			if tc.wantErr != 0 {
				var apiErr *APIError
				if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.wantErr || calls.Load() != 1 {
					t.Fatalf("err %v after %d calls, want an APIError %d after 1", err, calls.Load(), tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !res.Accepted || res.Adopted || (res.Artifact != nil) != tc.wantArtifact {
				t.Errorf("result %+v", res)
			}
			if tc.wantArtifact && res.Artifact.Metadata.ID != "7" {
				t.Errorf("artifact %+v", res.Artifact)
			}
		})
	}
}

// A create whose connection drops after the server stored the artifact is
// not sent again: the stored artifact is adopted.
func TestCreateAdoptsAfterDroppedConnection(t *testing.T) {
	f := &fakeRegistry{t: t}
	f.createFault = func(w http.ResponseWriter) bool { hangUp(t, w); return true }
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	c := newTestClient(t, srv, Config{})
	// Another artifact with the same name but another url must not be adopted.
	f.artifacts = append(f.artifacts, wire.Artifact{Metadata: wire.ArtifactMetadata{Name: "bert-base-uncased", ID: "1", Type: "model"}, Data: wire.ArtifactData{URL: "https://huggingface.co/other/bert-base-uncased"}})

	res, err := c.CreateArtifact(context.Background(), "model", bertURL)
	if err != nil {
		t.Fatalf("CreateArtifact: %v", err)
	}
	if !res.Adopted || res.Artifact == nil || res.Artifact.Data.URL != bertURL || res.Artifact.Metadata.ID != "1001" {
		t.Errorf("result %+v %+v, want the adopted artifact 1001", res, res.Artifact)
	}
	if f.creates.Load() != 1 || f.count() != 2 {
		t.Errorf("%d creates, %d artifacts; want 1 and 2", f.creates.Load(), f.count())
	}
}

func TestCreateAdoptsAfter5xx(t *testing.T) {
	f := &fakeRegistry{t: t}
	f.createFault = func(w http.ResponseWriter) bool {
		writeJSON(w, http.StatusBadGateway, map[string]string{"message": "upstream timed out"})
		return true
	}
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	c := newTestClient(t, srv, Config{})
	res, err := c.CreateArtifact(context.Background(), "dataset", "https://huggingface.co/datasets/bookcorpus/bookcorpus")
	if err != nil {
		t.Fatalf("CreateArtifact: %v", err)
	}
	if !res.Adopted || res.Artifact.Metadata.Name != "bookcorpus" {
		t.Errorf("result %+v %+v", res, res.Artifact)
	}
	if f.creates.Load() != 1 {
		t.Errorf("%d creates, want 1 (the lookup found the artifact)", f.creates.Load())
	}
}

// A registry that names artifacts otherwise than the url's derived name
// defeats the lookup by name, which then finds nothing; the create is sent
// again, and the spec's 409 to it (the first create landed) keeps the
// registry free of a duplicate. The error is the 409, not a success.
func TestCreateResentToRegistryNamingOtherwise(t *testing.T) {
	f := &fakeRegistry{t: t, nameOf: func(string) string { return "named-otherwise" }}
	var faulted atomic.Bool
	f.createFault = func(w http.ResponseWriter) bool {
		if faulted.Swap(true) {
			return false
		}
		writeJSON(w, http.StatusBadGateway, map[string]string{"message": "upstream timed out"})
		return true
	}
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	c := newTestClient(t, srv, Config{MaxRetries: 1})
	_, err := c.CreateArtifact(context.Background(), "dataset", "https://huggingface.co/datasets/bookcorpus/bookcorpus")
	if StatusCode(err) != http.StatusConflict {
		t.Fatalf("err %v, want the 409 of the second create", err)
	}
	if f.creates.Load() != 2 || f.count() != 1 {
		t.Errorf("%d creates, %d artifacts; want 2 and 1", f.creates.Load(), f.count())
	}
}

// A 503 before the registry acted: the lookup proves absence, and the
// create is sent again and succeeds; one artifact.
func TestCreateResentAfterProvenAbsence(t *testing.T) {
	f := &fakeRegistry{t: t}
	var rejected atomic.Int32
	f.rejectCreate = func(w http.ResponseWriter) bool {
		if rejected.Add(1) > 2 {
			return false
		}
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "ingest queue full"})
		return true
	}
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	c := newTestClient(t, srv, Config{MaxRetries: 2})
	res, err := c.CreateArtifact(context.Background(), "model", bertURL)
	if err != nil {
		t.Fatal(err)
	}
	if res.Adopted || res.Artifact.Data.URL != bertURL || f.creates.Load() != 3 || f.count() != 1 {
		t.Errorf("result %+v after %d creates, %d artifacts; want a created artifact after 3 creates, 1 artifact", res, f.creates.Load(), f.count())
	}
}

// When the lookup itself fails, absence is not proven: no second create,
// and the error says the outcome is unknown.
func TestCreateNotResentWhenLookupFails(t *testing.T) {
	f := &fakeRegistry{t: t}
	f.rejectCreate = func(w http.ResponseWriter) bool {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "ingest queue full"})
		return true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /artifact/byName/{name}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "index broken"})
	})
	mux.Handle("/", f.handler())
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := newTestClient(t, srv, Config{MaxRetries: 2})
	_, err := c.CreateArtifact(context.Background(), "model", bertURL)
	if StatusCode(err) != http.StatusServiceUnavailable || f.creates.Load() != 1 {
		t.Fatalf("err %v after %d creates, want the 503 after 1", err, f.creates.Load())
	}
	if !strings.Contains(err.Error(), "is unknown") || !strings.Contains(err.Error(), "index broken") {
		t.Errorf("error %q: want it to say the outcome is unknown and why", err)
	}
}

func TestCreateAdoptsWhenByNameIsNotImplemented(t *testing.T) {
	f := &fakeRegistry{t: t, noByName: true}
	f.createFault = func(w http.ResponseWriter) bool { hangUp(t, w); return true }
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	c := newTestClient(t, srv, Config{})
	res, err := c.CreateArtifact(context.Background(), "code", "https://github.com/openai/whisper")
	if err != nil || !res.Adopted {
		t.Fatalf("CreateArtifact: %+v, %v", res, err)
	}
}

// When every create fails before the registry acts, the create is sent
// again max_retries times (each after a lookup that proves absence), then
// the error says so.
func TestCreateFailureWithoutArtifact(t *testing.T) {
	var creates atomic.Int32
	f := &fakeRegistry{t: t}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /artifact/{type}", func(w http.ResponseWriter, r *http.Request) {
		creates.Add(1)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "ingest queue full"})
	})
	mux.Handle("/", f.handler())
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := newTestClient(t, srv, Config{MaxRetries: 1})
	_, err := c.CreateArtifact(context.Background(), "model", bertURL)
	if StatusCode(err) != http.StatusServiceUnavailable || creates.Load() != 2 {
		t.Fatalf("err %v after %d creates, want the 503 after 2", err, creates.Load())
	}
	if want := "POST /artifact/model: 503 Service Unavailable: ingest queue full (a lookup by url proved that the registry did not create the model; gave up after 2 attempts)"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestCreateRetriedOn429(t *testing.T) {
	f := &fakeRegistry{t: t}
	var limited atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("POST /artifact/{type}", func(w http.ResponseWriter, r *http.Request) {
		if !limited.Swap(true) {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		f.handler().ServeHTTP(w, r)
	})
	mux.Handle("/", f.handler())
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := newTestClient(t, srv, Config{})
	res, err := c.CreateArtifact(context.Background(), "model", bertURL)
	if err != nil || res.Adopted || res.Artifact == nil || f.count() != 1 {
		t.Fatalf("result %+v, %v; %d artifacts", res, err, f.count())
	}
}

func TestFindArtifactByURL(t *testing.T) {
	f := &fakeRegistry{t: t}
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	c := newTestClient(t, srv, Config{})
	ctx := context.Background()
	if a, err := c.FindArtifactByURL(ctx, "model", bertURL); a != nil || err != nil {
		t.Errorf("empty registry: %+v, %v; want nil, nil", a, err)
	}
	if _, err := c.CreateArtifact(ctx, "model", bertURL); err != nil {
		t.Fatal(err)
	}
	// The server's normal form (artifact.NormalizeURL): the same source.
	for _, u := range []string{bertURL + "/", bertURL + "?", bertURL + "#", strings.Replace(bertURL, "huggingface.co", "HuggingFace.CO", 1)} {
		if a, err := c.FindArtifactByURL(ctx, "model", u); err != nil || a == nil || a.Metadata.ID != "1000" {
			t.Errorf("%s: %+v, %v; want the artifact of %s", u, a, err, bertURL)
		}
	}
	if a, err := c.FindArtifactByURL(ctx, "dataset", bertURL); a != nil || err != nil {
		t.Errorf("other type: %+v, %v; want nil, nil", a, err)
	}
}

func TestPagination(t *testing.T) {
	const total, pageSize = 8, 3
	var offsets []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/authenticate" {
			w.WriteHeader(501)
			return
		}
		mu.Lock()
		offsets = append(offsets, r.URL.Query().Get("offset"))
		mu.Unlock()
		start, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		end := min(start+pageSize, total)
		page := []wire.ArtifactMetadata{}
		for i := start; i < end; i++ {
			page = append(page, wire.ArtifactMetadata{Name: fmt.Sprint("a", i), ID: wire.ID(fmt.Sprint(i)), Type: "model"})
		}
		if end < total {
			w.Header().Set("offset", strconv.Itoa(end))
		}
		writeJSON(w, 200, page)
	}))
	defer srv.Close()
	c := newTestClient(t, srv, Config{})
	got, err := c.ListArtifacts(context.Background(), []wire.ArtifactQuery{{Name: "*"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != total || got[0].ID != "0" || got[total-1].ID != "7" {
		t.Errorf("got %+v", got)
	}
	if fmt.Sprint(offsets) != "[ 3 6]" {
		t.Errorf("requested offsets %q, want \"\", 3, 6", offsets)
	}
}

func TestPaginationLoopGuards(t *testing.T) {
	for name, next := range map[string]func(offset string) string{
		"same offset":        func(offset string) string { return offset },
		"cycle":              func(offset string) string { return map[string]string{"": "a", "a": "b", "b": "a"}[offset] },
		"first page again":   func(string) string { return "0" },
		"page empty at once": nil,
	} {
		t.Run(name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				if next == nil {
					w.Header().Set("offset", "5")
					writeJSON(w, 200, []wire.ArtifactMetadata{})
					return
				}
				w.Header().Set("offset", next(r.URL.Query().Get("offset")))
				writeJSON(w, 200, []wire.ArtifactMetadata{{Name: "a", ID: "1", Type: "model"}})
			}))
			defer srv.Close()
			c := newTestClient(t, srv, Config{})
			got, err := c.ListArtifacts(context.Background(), []wire.ArtifactQuery{{Name: "*"}})
			if err != nil {
				t.Fatal(err)
			}
			if calls.Load() > 4 {
				t.Errorf("%d requests", calls.Load())
			}
			if next != nil && len(got) != 1 {
				t.Errorf("got %+v, want the one artifact once", got)
			}
		})
	}
}

func TestListSendsQueries(t *testing.T) {
	var got []wire.ArtifactQuery
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewDecoder(r.Body).Decode(&got)
		writeJSON(w, 200, []wire.ArtifactMetadata{})
	}))
	defer srv.Close()
	c := newTestClient(t, srv, Config{})
	qs := []wire.ArtifactQuery{{Name: "bert", Types: []string{"model", "code"}}, {Name: "*"}}
	if _, err := c.ListArtifacts(context.Background(), qs); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(qs) {
		t.Errorf("sent %+v, want %+v", got, qs)
	}
	if _, err := c.ListArtifacts(context.Background(), nil); err == nil {
		t.Error("no queries: want an error")
	}
}

func TestSearchNotFoundIsEmpty(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 404, map[string]string{"error": "no such artifact"})
	}))
	defer srv.Close()
	c := newTestClient(t, srv, Config{})
	ctx := context.Background()
	if got, err := c.ArtifactsByName(ctx, "x"); err != nil || got == nil || len(got) != 0 {
		t.Errorf("ArtifactsByName: %v, %v", got, err)
	}
	if got, err := c.ArtifactsByRegex(ctx, "x.*"); err != nil || got == nil || len(got) != 0 {
		t.Errorf("ArtifactsByRegex: %v, %v", got, err)
	}
	_, err := c.GetArtifact(ctx, "model", "1")
	if !IsNotFound(err) {
		t.Errorf("GetArtifact: %v, want not found", err)
	}
}

func TestRegexBody(t *testing.T) {
	var got wire.ArtifactRegEx
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/artifact/byRegEx" {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		_ = json.NewDecoder(r.Body).Decode(&got)
		writeJSON(w, 200, []wire.ArtifactMetadata{{Name: "bert", ID: "1", Type: "model"}})
	}))
	defer srv.Close()
	c := newTestClient(t, srv, Config{})
	if res, err := c.ArtifactsByRegex(context.Background(), ".*?(audience|bert).*"); err != nil || len(res) != 1 {
		t.Fatalf("%v, %v", res, err)
	}
	if got.Regex != ".*?(audience|bert).*" {
		t.Errorf("sent %+v", got)
	}
}

func TestUpdateArtifact(t *testing.T) {
	var (
		method, path string
		body         map[string]any
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, path = r.Method, r.URL.Path
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	c := newTestClient(t, srv, Config{})
	a := wire.Artifact{Metadata: wire.ArtifactMetadata{Name: "bert", ID: "42", Type: "model"}, Data: wire.ArtifactData{URL: bertURL, DownloadURL: "http://x/d"}}
	if err := c.UpdateArtifact(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if method != http.MethodPut || path != "/artifacts/model/42" {
		t.Errorf("%s %s", method, path)
	}
	want := `map[data:map[url:` + bertURL + `] metadata:map[id:42 name:bert type:model]]`
	if fmt.Sprint(body) != want {
		t.Errorf("body %v, want %v (download_url is read-only)", body, want)
	}
	if err := c.UpdateArtifact(context.Background(), wire.Artifact{}); err == nil {
		t.Error("no type and id: want an error")
	}
}

func TestDeleteArtifact(t *testing.T) {
	var method, path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, path = r.Method, r.URL.Path
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	c := newTestClient(t, srv, Config{})
	if err := c.DeleteArtifact(context.Background(), "dataset", "9"); err != nil {
		t.Fatal(err)
	}
	if method != http.MethodDelete || path != "/artifacts/dataset/9" {
		t.Errorf("%s %s", method, path)
	}
}

func TestArtifactMetadataNumericID(t *testing.T) {
	var a wire.Artifact
	if err := json.Unmarshal([]byte(`{"metadata":{"name":"whisper","id":7364518290,"type":"code"},"data":{"url":"https://github.com/openai/whisper"}}`), &a); err != nil {
		t.Fatal(err)
	}
	if a.Metadata.ID != "7364518290" || a.Metadata.Name != "whisper" || a.Metadata.Type != "code" {
		t.Errorf("%+v", a.Metadata)
	}
	var m wire.ArtifactMetadata
	if err := json.Unmarshal([]byte(`{"name":"x","id":true,"type":"model"}`), &m); err == nil {
		t.Error("boolean id: want an error")
	}
}

func TestHealth(t *testing.T) {
	var auth atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			auth.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	c := newTestClient(t, srv, adminConfig())
	if err := c.Health(context.Background()); err != nil || auth.Load() != 0 {
		t.Errorf("Health: %v; %d other calls, want none (no token needed)", err, auth.Load())
	}
}

// Names travel as one escaped path segment, dot segments and slashes
// included, so that the server sees the name and not another path.
func TestArtifactsByNameEscapesTheName(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.EscapedPath())
		writeJSON(w, 200, []wire.ArtifactMetadata{})
	}))
	defer srv.Close()
	c := newTestClient(t, srv, Config{})
	for _, name := range []string{".", "..", "a/b", "100% sure?"} {
		if _, err := c.ArtifactsByName(context.Background(), name); err != nil {
			t.Fatalf("ArtifactsByName(%q): %v", name, err)
		}
	}
	want := []string{"/artifact/byName/%2E", "/artifact/byName/%2E%2E", "/artifact/byName/a%2Fb", "/artifact/byName/100%25%20sure%3F"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("paths sent = %q, want %q", got, want)
	}
}
