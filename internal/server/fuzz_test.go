package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// FuzzRequests sends arbitrary bodies to every endpoint that decodes JSON,
// and arbitrary text as a name and an id in the path. Bad input never makes
// the server answer 5xx, and every 4xx carries a JSON error body in words
// (no Go internals). The seed corpus runs with go test; scripts/test.sh
// fuzzes each target for a few seconds; longer locally with, e.g.,
//
//	go test -run '^$' -fuzz '^FuzzRequests$' -fuzztime 5m ./internal/server/
func FuzzRequests(f *testing.F) {
	srv, err := New(Config{Storage: &store.Opened{Store: store.NewMemory(), Requested: "memory"}, Users: testUsers})
	if err != nil {
		f.Fatal(err)
	}
	tok := adminToken(f, srv)
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
	var a wire.Artifact
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		f.Fatalf("seed artifact: %d %s", rec.Code, rec.Body)
	}
	id := a.Metadata.ID

	for _, seed := range []struct{ body, text string }{
		{`{"url":"https://huggingface.co/a/b"}`, "gpt2"},
		{`[{"name":"*","types":["model"]}]`, string(id)},
		{string(`{"metadata":{"name":"gpt2","id":"` + id + `","type":"model"},"data":{"url":"https://huggingface.co/gpt2/tree/main"}}`), "../x"},
		{`{"user":{"name":"` + defaultadmin.Name + `","is_admin":true},"secret":{"password":"x"}}`, "%2F"},
		{`{"regex":"(a+)+$"}`, "a%00b"},
		{`{"url":"http://[::1"}`, ".."},
		{`[{"name":null,"types":[1]}]`, "%FF"},
		{`{"regex":"` + strings.Repeat("(", 200) + `"}`, " "},
		{"\xff\xfe", "?x=1#y"},
		{`{"url":"https://example.com/%zz"}`, "model-1-1"},
		// What once broke the server (issue 11): a huge url, a costly
		// pattern, bodies whose errors named Go types.
		{`{"url":"https://huggingface.co/org/` + strings.Repeat("a", 5000) + `"}`, strings.Repeat("n", 600)},
		{`{"regex":"[a-z]{999}[0-9]"}`, "model-1-1795000000"},
		{`{"user":"x","secret":{"password":"p"}}`, "%00"},
		{`{"metadata":"x","data":{"url":"https://huggingface.co/gpt2"}}`, string(id)},
		{`[{"name":"*","types":"model"}]`, "é中"},
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
			{http.MethodPut, string("/artifacts/model/" + id), body},
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
			checkErrorBody(t, r.method, r.target, r.body, rec)
		}
	})
}

// checkErrorBody fails t when an error answer is not a JSON error object
// in words.
func checkErrorBody(t *testing.T, method, target, body string, rec *httptest.ResponseRecorder) {
	t.Helper()
	var e wire.Error
	if rec.Code >= 400 && (json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error == "") {
		t.Fatalf("%s %s with body %q: %d without a JSON error body: %s", method, target, body, rec.Code, rec.Body)
	}
	checkErrorWording(t, method, target, rec.Code, rec.Body.Bytes())
}

// FuzzRegex searches with arbitrary patterns over artifacts whose names
// and READMEs are at their limits: every pattern is answered (200, 404 or a
// 400 in words, never 5xx), and the search deadline is never reached.
func FuzzRegex(f *testing.F) {
	st := store.NewMemory()
	for i, name := range []string{"bert-base-uncased", strings.Repeat("a", DefaultLimits.MaxNameBytes), "名前 with spaces"} {
		_, err := st.Create(context.Background(), store.Record{
			Metadata: wire.ArtifactMetadata{Name: name, Type: "model"}, URL: fmt.Sprintf("https://huggingface.co/org/m%d", i),
			HFData: []map[string]any{{"readme_text": strings.Repeat("readme text 0123 ", DefaultLimits.MaxReadmeBytes/17)}},
		}, wire.ArtifactAuditEntry{Action: store.ActionCreate})
		if err != nil {
			f.Fatal(err)
		}
	}
	srv, err := New(Config{Storage: &store.Opened{Store: st, Requested: "memory"}, Users: testUsers[:1], Limits: Limits{SearchTimeout: time.Minute}})
	if err != nil {
		f.Fatal(err)
	}
	tok := adminToken(f, srv)
	for _, seed := range []string{
		"[a-z]{999}[0-9]", "[a-z]{488}[0-9]", "(a+)+$", "(?i)BERT", "^名前", `\p{Greek}+`, "(((", "a{1001}",
		strings.Repeat("(a|b)", 200), "(?:x{50}){50}", ".*.*.*=.*", "\\", "",
		"[]a", "map[a", "a**", "x{2,1}", "(?P<n", `\8`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		body, _ := json.Marshal(map[string]string{"regex": pattern})
		req := httptest.NewRequest(http.MethodPost, "http://registry.test/artifact/byRegEx", strings.NewReader(string(body)))
		req.Header.Set("X-Authorization", tok)
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusNotFound, http.StatusBadRequest:
		default:
			t.Fatalf("pattern %q: %d %s", pattern, rec.Code, rec.Body)
		}
		checkErrorBody(t, http.MethodPost, "/artifact/byRegEx", string(body), rec)
	})
}
