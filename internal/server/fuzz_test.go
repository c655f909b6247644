package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
)

// FuzzRequests sends arbitrary bodies to every endpoint that decodes JSON,
// and arbitrary text as a name and an id in the path. Bad input never makes
// the server answer 5xx, and every 4xx carries a JSON error body. The seed
// corpus runs with go test; fuzz locally (not in CI) with, e.g.,
//
//	go test -run '^$' -fuzz FuzzRequests -fuzztime 30s ./internal/server/
func FuzzRequests(f *testing.F) {
	srv, err := New(Config{Storage: &store.Opened{Store: store.NewMemory(), Requested: "memory"}, Users: testUsers})
	if err != nil {
		f.Fatal(err)
	}
	tok := srv.issueFor(DefaultAdminName, time.Now())
	h := srv.Handler()
	send := func(method, target, body string) *httptest.ResponseRecorder {
		// Every target is built with url.PathEscape or QueryEscape, so it parses.
		req := httptest.NewRequest(method, "http://registry.test"+target, strings.NewReader(body))
		req.Header.Set("X-Authorization", tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := send(http.MethodPost, "/artifact/model", `{"url":"https://huggingface.co/gpt2"}`)
	var a Artifact
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		f.Fatalf("seed artifact: %d %s", rec.Code, rec.Body)
	}
	id := a.Metadata.ID

	for _, seed := range []struct{ body, text string }{
		{`{"url":"https://huggingface.co/a/b"}`, "gpt2"},
		{`[{"name":"*","types":["model"]}]`, id},
		{`{"metadata":{"name":"gpt2","id":"` + id + `","type":"model"},"data":{"url":"https://huggingface.co/gpt2/tree/main"}}`, "../x"},
		{`{"user":{"name":"ece30861defaultadminuser","is_admin":true},"secret":{"password":"x"}}`, "%2F"},
		{`{"regex":"(a+)+$"}`, "a%00b"},
		{`{"url":"http://[::1"}`, ".."},
		{`[{"name":null,"types":[1]}]`, "%FF"},
		{`{"regex":"` + strings.Repeat("(", 200) + `"}`, " "},
		{"\xff\xfe", "?x=1#y"},
		{`{"url":"https://example.com/%zz"}`, "model-1-1"},
	} {
		f.Add(seed.body, seed.text)
	}
	f.Fuzz(func(t *testing.T, body, text string) {
		seg := url.PathEscape(text)
		for _, r := range []struct{ method, target, body string }{
			{http.MethodPut, "/authenticate", body},
			{http.MethodPost, "/artifact/model", body},
			{http.MethodPost, "/artifacts?offset=" + url.QueryEscape(text), body},
			{http.MethodPost, "/artifact/byRegEx", body},
			{http.MethodPut, "/artifacts/model/" + id, body},
			{http.MethodPut, "/artifacts/code/" + seg, body},
			{http.MethodGet, "/artifact/byName/" + seg, ""},
			{http.MethodGet, "/artifacts/dataset/" + seg, ""},
			{http.MethodGet, "/artifact/model/" + seg + "/audit", ""},
			{http.MethodGet, "/download/" + seg, ""},
			{http.MethodGet, "/health/components?windowMinutes=" + url.QueryEscape(text) + "&includeTimeline=" + url.QueryEscape(text), ""},
		} {
			rec := send(r.method, r.target, r.body)
			if rec.Code >= 500 {
				t.Fatalf("%s %s with body %q: %d %s", r.method, r.target, r.body, rec.Code, rec.Body)
			}
			var e errorBody
			if rec.Code >= 400 && (json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error == "") {
				t.Fatalf("%s %s with body %q: %d without a JSON error body: %s", r.method, r.target, r.body, rec.Code, rec.Body)
			}
		}
	})
}
