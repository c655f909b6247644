package client

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// requestCounter counts the requests a handler serves, by "METHOD path
// pattern".
type requestCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (rc *requestCounter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.Path
		switch {
		case strings.HasPrefix(r.URL.Path, "/artifacts/"):
			key = r.Method + " /artifacts/{type}/{id}"
		case strings.HasPrefix(r.URL.Path, "/artifact/byName/"):
			key = r.Method + " /artifact/byName/{name}"
		}
		rc.mu.Lock()
		if rc.counts == nil {
			rc.counts = map[string]int{}
		}
		rc.counts[key]++
		rc.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (rc *requestCounter) total() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for k, v := range rc.counts {
		if k != "PUT /authenticate" {
			n += v
		}
	}
	return n
}

// thousandModels is a fake registry holding 1,000 models, one of them at
// bertURL, plus a dataset with bert's name.
func thousandModels(t *testing.T) *fakeRegistry {
	f := &fakeRegistry{t: t}
	for i := range 999 {
		url := fmt.Sprintf("https://huggingface.co/org%d/model-%d", i, i)
		f.artifacts = append(f.artifacts, wire.Artifact{Metadata: wire.ArtifactMetadata{Name: "model-" + strconv.Itoa(i), ID: wire.ID(strconv.Itoa(i)), Type: "model"}, Data: wire.ArtifactData{URL: url}})
	}
	f.artifacts = append(f.artifacts,
		wire.Artifact{Metadata: wire.ArtifactMetadata{Name: "bert-base-uncased", ID: "999", Type: "model"}, Data: wire.ArtifactData{URL: bertURL}},
		wire.Artifact{Metadata: wire.ArtifactMetadata{Name: "bert-base-uncased", ID: "5000", Type: "dataset"}, Data: wire.ArtifactData{URL: "https://huggingface.co/datasets/x/bert-base-uncased"}},
	)
	return f
}

// The lookup of an ambiguous create or a 409 costs one byName call plus
// one GET per candidate of that type and name, however many artifacts the
// registry holds; without byName, one name query instead.
func TestFindArtifactByURLCost(t *testing.T) {
	for _, tc := range []struct {
		name       string
		noByName   bool
		url        string
		wantFound  bool
		wantCalls  int
		wantCounts map[string]int
	}{
		{"byName, present", false, bertURL, true, 2, map[string]int{"GET /artifact/byName/{name}": 1, "GET /artifacts/{type}/{id}": 1}},
		{"byName, absent", false, "https://huggingface.co/someone/absent-model", false, 1, map[string]int{"GET /artifact/byName/{name}": 1}},
		{"no byName, present", true, bertURL, true, 3, map[string]int{"GET /artifact/byName/{name}": 1, "POST /artifacts": 1, "GET /artifacts/{type}/{id}": 1}},
		{"no byName, absent", true, "https://huggingface.co/someone/absent-model", false, 2, map[string]int{"GET /artifact/byName/{name}": 1, "POST /artifacts": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := thousandModels(t)
			f.noByName = tc.noByName
			var rc requestCounter
			srv := httptest.NewServer(rc.wrap(f.handler()))
			defer srv.Close()
			c := newTestClient(t, srv, Config{})
			a, err := c.FindArtifactByURL(context.Background(), "model", tc.url)
			if err != nil {
				t.Fatal(err)
			}
			if (a != nil) != tc.wantFound || (a != nil && a.Metadata.ID != "999") {
				t.Fatalf("found %+v, want found=%v (id 999)", a, tc.wantFound)
			}
			if got := rc.total(); got != tc.wantCalls {
				t.Errorf("%d calls for 1,000 stored models (%v), want %d", got, rc.counts, tc.wantCalls)
			}
			for k, want := range tc.wantCounts {
				if rc.counts[k] != want {
					t.Errorf("%s: %d calls, want %d (%v)", k, rc.counts[k], want, rc.counts)
				}
			}
			t.Logf("1,000 stored models: %d calls: %v", rc.total(), rc.counts)
		})
	}
}

// ArtifactsNamed: the registry's JSON 404 is "none"; an unrouted byName
// (HTML 404, 405, 501) falls back to the name query of POST /artifacts;
// when that fails too, the error names both calls and is no "not found".
func TestArtifactsNamed(t *testing.T) {
	htmlNotFound := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, "<!DOCTYPE html><html><head><title>Error</title></head><body><pre>Cannot %s %s</pre></body></html>", r.Method, r.URL.Path)
	}
	t.Run("byName", func(t *testing.T) {
		srv := httptest.NewServer(thousandModels(t).handler())
		defer srv.Close()
		c := newTestClient(t, srv, Config{})
		got, err := c.ArtifactsNamed(context.Background(), "bert-base-uncased", "dataset")
		if err != nil || len(got) != 1 || got[0].ID != "5000" {
			t.Fatalf("got %+v, %v; want the dataset 5000", got, err)
		}
		got, err = c.ArtifactsNamed(context.Background(), "squad")
		if err != nil || len(got) != 0 {
			t.Fatalf("got %+v, %v; want none (the registry's JSON 404)", got, err)
		}
	})
	t.Run("HTML 404 on byName falls back", func(t *testing.T) {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /artifact/byName/{name}", htmlNotFound)
		mux.Handle("/", thousandModels(t).handler())
		srv := httptest.NewServer(mux)
		defer srv.Close()
		c := newTestClient(t, srv, Config{})
		got, err := c.ArtifactsNamed(context.Background(), "bert-base-uncased")
		if err != nil || len(got) != 2 {
			t.Fatalf("got %+v, %v; want the model and the dataset", got, err)
		}
		got, err = c.ArtifactsNamed(context.Background(), "squad", "dataset")
		if err != nil || len(got) != 0 {
			t.Fatalf("got %+v, %v; want none", got, err)
		}
	})
	t.Run("both unrouted", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/authenticate" {
				w.WriteHeader(http.StatusNotImplemented)
				return
			}
			htmlNotFound(w, r)
		}))
		defer srv.Close()
		c := newTestClient(t, srv, Config{MaxRetries: -1})
		_, err := c.ArtifactsNamed(context.Background(), "squad", "dataset")
		if err == nil || IsNotFound(err) {
			t.Fatalf("err %v: want an error that is not \"not found\"", err)
		}
		for _, want := range []string{"does not serve GET /artifact/byName/squad", "Cannot GET /artifact/byName/squad", "POST /artifacts: 404"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q: want %q in it", err, want)
			}
		}
	})
}
