package server

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/api"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

func TestHealthAndTracks(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc)
		if res := h.do(http.MethodGet, "/health", nil, ""); res.status != http.StatusOK {
			t.Fatalf("GET /health: %d", res.status)
		}
		res := h.do(http.MethodGet, "/tracks", nil, "")
		var tracks struct {
			PlannedTracks []string `json:"plannedTracks"`
		}
		res.decode(t, &tracks)
		// Only the track this server implements (see tracks in health.go).
		if res.status != http.StatusOK || fmt.Sprint(tracks.PlannedTracks) != "[Access control track]" {
			t.Fatalf("GET /tracks: %d %s, want exactly the access control track", res.status, res.body)
		}
	})
}

// The server serves the description it implements, which is what its
// answers are checked against.
func TestAPIDescription(t *testing.T) {
	h := newHarness(t, location{backend: "memory"})
	res := h.do(http.MethodGet, "/openapi.yaml", nil, "")
	if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/yaml" {
		t.Fatalf("GET /openapi.yaml: %d %s", res.status, res.header.Get("Content-Type"))
	}
	want, err := api.Effective()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.body, want) {
		t.Fatal("GET /openapi.yaml does not serve the effective API description")
	}
}

func TestHealthComponents(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc)
		tok := h.login(defaultadmin.Name, adminPassword)
		h.create(tok, "model", "https://huggingface.co/google-bert/bert-base-uncased")
		h.create(tok, "dataset", "https://huggingface.co/datasets/bookcorpus/bookcorpus")

		res := h.do(http.MethodGet, "/health/components?windowMinutes=5&includeTimeline=true", nil, "")
		if res.status != http.StatusOK {
			t.Fatalf("health/components: %d %s", res.status, res.body)
		}
		var hc struct {
			Components []struct {
				ID       string         `json:"id"`
				Status   string         `json:"status"`
				Metrics  map[string]any `json:"metrics"`
				Timeline []struct {
					Value float64 `json:"value"`
				} `json:"timeline"`
			} `json:"components"`
			WindowMinutes int `json:"window_minutes"`
		}
		res.decode(t, &hc)
		if hc.WindowMinutes != 5 || len(hc.Components) != 2 {
			t.Fatalf("want window 5 and components api and storage, got %s", res.body)
		}
		api, storage := hc.Components[0], hc.Components[1]
		if api.ID != "api" || api.Status != "ok" || storage.ID != "storage" || storage.Status != "ok" {
			t.Fatalf("components: %s", res.body)
		}
		if got := api.Metrics["requests.route.POST /artifact/{artifact_type}"]; got != float64(2) {
			t.Errorf("per-route count of creates = %v, want 2", got)
		}
		if got := api.Metrics["requests.artifact_type.dataset"]; got != float64(1) {
			t.Errorf("per-type count of datasets = %v, want 1", got)
		}
		if storage.Metrics["backend"] != loc.backend {
			t.Errorf("storage backend metric = %v, want %s", storage.Metrics["backend"], loc.backend)
		}
		if len(api.Timeline) != 5 {
			t.Errorf("timeline has %d buckets, want 5", len(api.Timeline))
		}

		for _, q := range []string{"windowMinutes=4", "windowMinutes=1441", "windowMinutes=abc", "includeTimeline=maybe"} {
			res := h.do(http.MethodGet, "/health/components?"+q, nil, "")
			if res.status != http.StatusBadRequest {
				t.Errorf("health/components?%s: %d, want 400", q, res.status)
			}
			res.errorMessage(t)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc)
		admin := h.login(defaultadmin.Name, adminPassword)
		alice := h.login(userName, userPassword)
		for _, tok := range []string{admin, alice} {
			if res := h.do(http.MethodPost, "/artifacts", `[{"name":"*"}]`, tok); res.status != http.StatusOK {
				t.Fatalf("token refused: %d %s", res.status, res.body)
			}
		}
		for name, body := range map[string]any{
			"wrong password": authBody(defaultadmin.Name, adminPassword+"x"),
			"unknown user":   authBody("mallory", adminPassword),
			"SQL as user":    authBody(`x' OR '1'='1`, `' OR '1'='1`),
		} {
			if res := h.do(http.MethodPut, "/authenticate", body, ""); res.status != http.StatusUnauthorized {
				t.Errorf("%s: %d, want 401", name, res.status)
			}
		}
		for name, body := range map[string]string{
			"malformed":        `{"user":`,
			"no secret":        `{"user":{"name":"` + defaultadmin.Name + `","is_admin":true}}`,
			"no user":          `{"secret":{"password":"x"}}`,
			"array":            `[]`,
			"empty":            ``,
			"trailing garbage": `{"user":{"name":"a"},"secret":{"password":"b"}} x`,
		} {
			res := h.do(http.MethodPut, "/authenticate", body, "")
			if res.status != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400", name, res.status)
			}
			res.errorMessage(t)
		}
	})
}

// Every endpoint but health, tracks and authenticate answers 403 without a
// valid token; the token is accepted in X-Authorization and Authorization,
// with or without "bearer ".
func TestTokensRequired(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc, func(c *Config) { c.TokenTTL = time.Hour })
		tok := h.login(defaultadmin.Name, adminPassword)
		a := h.create(tok, "model", "https://huggingface.co/gpt2")
		id := string(a.Metadata.ID)
		endpoints := []struct{ method, path, body string }{
			{"POST", "/artifacts", `[{"name":"*"}]`},
			{"DELETE", "/reset", ""},
			{"GET", "/artifacts/model/" + id, ""},
			{"PUT", "/artifacts/model/" + id, `{"metadata":{"name":"gpt2","id":"` + id + `","type":"model"},"data":{"url":"https://huggingface.co/gpt2"}}`},
			{"DELETE", "/artifacts/model/" + id, ""},
			{"POST", "/artifact/model", `{"url":"https://huggingface.co/x/y"}`},
			{"GET", "/artifact/byName/gpt2", ""},
			{"POST", "/artifact/byRegEx", `{"regex":"gpt"}`},
			{"GET", "/artifact/model/" + id + "/audit", ""},
			{"GET", "/artifact/model/" + id + "/rate", ""},
			{"GET", "/artifact/model/" + id + "/cost", ""},
			{"GET", "/artifact/model/" + id + "/lineage", ""},
			{"POST", "/artifact/model/" + id + "/license-check", `{"github_url":"https://github.com/google-research/bert"}`},
			{"GET", "/download/" + id, ""},
			{"POST", "/artifacts/PackageConfusionAudit", ""},
		}
		other := newHarness(t, loc) // another secret signs other tokens
		foreign := other.login(defaultadmin.Name, adminPassword)
		for _, e := range endpoints {
			for name, token := range map[string]string{"none": "", "garbage": "bearer abc.def", "foreign secret": foreign} {
				res := h.do(e.method, e.path, e.body, token)
				if res.status != http.StatusForbidden {
					t.Errorf("%s %s with token %s: %d, want 403", e.method, e.path, name, res.status)
				}
			}
		}

		// Both headers, with and without the prefix.
		bare := strings.TrimPrefix(tok, "bearer ")
		for _, hdr := range []struct{ name, value string }{
			{"X-Authorization", bare}, {"Authorization", tok}, {"Authorization", bare},
		} {
			req := newRequest(t, http.MethodGet, "/artifacts/model/"+id, "")
			req.Header.Set(hdr.name, hdr.value)
			if st := serve(h, req); st != http.StatusOK {
				t.Errorf("token in %s (%q prefix): %d, want 200", hdr.name, hdr.value[:6], st)
			}
		}

		// Expiry.
		h.offset.Store(int64(2 * time.Hour))
		if res := h.do(http.MethodGet, "/artifacts/model/"+id, nil, tok); res.status != http.StatusForbidden {
			t.Errorf("expired token: %d, want 403", res.status)
		}

		// TOKEN_TTL defaults to 10h.
		d := newHarness(t, loc)
		dtok := d.login(defaultadmin.Name, adminPassword)
		for offset, want := range map[time.Duration]int{10*time.Hour - time.Minute: http.StatusOK, 10 * time.Hour: http.StatusForbidden} {
			d.offset.Store(int64(offset))
			if res := d.do(http.MethodPost, "/artifacts", `[{"name":"*"}]`, dtok); res.status != want {
				t.Errorf("default TTL, token %v old: %d, want %d", offset, res.status, want)
			}
		}
	})
}

func TestCreate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc)
		tok := h.login(defaultadmin.Name, adminPassword)
		cases := []struct{ typ, url, name string }{
			{"model", "https://huggingface.co/google-bert/bert-base-uncased", "bert-base-uncased"},
			{"dataset", "https://huggingface.co/datasets/bookcorpus/bookcorpus", "bookcorpus"},
			{"code", "https://github.com/openai/whisper", "whisper"},
			// Same url, other type: allowed.
			{"code", "https://huggingface.co/google-bert/bert-base-uncased", "bert-base-uncased"},
		}
		seen := map[string]bool{}
		for _, c := range cases {
			a := h.create(tok, c.typ, c.url)
			if a.Metadata.Name != c.name || a.Metadata.Type != c.typ || a.Data.URL != c.url {
				t.Errorf("create %s %s: got %+v", c.typ, c.url, a)
			}
			if !strings.HasPrefix(string(a.Metadata.ID), c.typ+"-") || store.ParseSeq(string(a.Metadata.ID)) == 0 || seen[string(a.Metadata.ID)] {
				t.Errorf("id %q is not a fresh <type>-<seq>-<unix seconds>", a.Metadata.ID)
			}
			seen[string(a.Metadata.ID)] = true
			if a.Data.DownloadURL != "http://registry.test/download/"+string(a.Metadata.ID) {
				t.Errorf("download_url = %q", a.Data.DownloadURL)
			}
		}

		res := h.do(http.MethodPost, "/artifact/model", `{"url":"https://huggingface.co/google-bert/bert-base-uncased"}`, tok)
		if res.status != http.StatusConflict {
			t.Errorf("duplicate type+url: %d, want 409", res.status)
		}
		res.errorMessage(t)

		for name, c := range map[string]struct{ typ, body string }{
			"unknown type":   {"weights", `{"url":"https://huggingface.co/a/b"}`},
			"missing url":    {"model", `{}`},
			"empty url":      {"model", `{"url":"  "}`},
			"ftp url":        {"model", `{"url":"ftp://example.com/x"}`},
			"relative url":   {"model", `{"url":"/x/y"}`},
			"github owner":   {"code", `{"url":"https://github.com/openai"}`},
			"malformed JSON": {"model", `{"url":`},
			"url not string": {"model", `{"url":42}`},
			"body is array":  {"model", `["https://huggingface.co/a/b"]`},
		} {
			res := h.do(http.MethodPost, "/artifact/"+c.typ, c.body, tok)
			if res.status != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400 (%s)", name, res.status, res.body)
				continue
			}
			res.errorMessage(t)
		}

		big := `{"url":"https://huggingface.co/a/b","pad":"` + strings.Repeat("x", MaxBodyBytes) + `"}`
		res = h.do(http.MethodPost, "/artifact/model", big, tok)
		if res.status != http.StatusRequestEntityTooLarge {
			t.Errorf("body over 1 MiB: %d, want 413", res.status)
		}
		res.errorMessage(t)
		// Without a Content-Length the limit still holds.
		req := newRequest(t, http.MethodPost, "/artifact/model", big)
		req.ContentLength = -1
		req.Header.Set("X-Authorization", tok)
		if st := serve(h, req); st != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked body over 1 MiB: %d, want 413", st)
		}
	})
}

func TestGetUpdateDelete(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc)
		tok := h.login(defaultadmin.Name, adminPassword)
		a := h.create(tok, "model", "https://huggingface.co/openai/whisper-tiny")
		other := h.create(tok, "model", "https://huggingface.co/openai/whisper-base")
		id := string(a.Metadata.ID)
		path := "/artifacts/model/" + id

		res := h.do(http.MethodGet, path, nil, tok)
		var got wire.Artifact
		res.decode(t, &got)
		if res.status != http.StatusOK || got != a {
			t.Fatalf("GET: %d %+v, want %+v", res.status, got, a)
		}

		for name, p := range map[string]string{
			"unknown id":    "/artifacts/model/model-999999-1",
			"type mismatch": "/artifacts/dataset/" + id,
		} {
			if res := h.do(http.MethodGet, p, nil, tok); res.status != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", name, res.status)
			}
		}
		for _, p := range []string{"/artifacts/model/..%2Fx", "/artifacts/model/a%2Fb", "/artifacts/model/bad_id", "/artifacts/model/x%00y", "/artifacts/weights/" + id} {
			for _, m := range []string{http.MethodGet, http.MethodDelete} {
				res := h.do(m, p, nil, tok)
				if res.status != http.StatusBadRequest {
					t.Errorf("%s %s: %d, want 400", m, p, res.status)
					continue
				}
				res.errorMessage(t)
			}
		}

		update := func(name, idInBody, typ, url string) response {
			return h.do(http.MethodPut, path, map[string]any{
				"metadata": map[string]string{"name": name, "id": idInBody, "type": typ},
				"data":     map[string]string{"url": url},
			}, tok)
		}
		newURL := "https://huggingface.co/openai/whisper-tiny/tree/main"
		if res := update(a.Metadata.Name, id, "model", newURL); res.status != http.StatusOK {
			t.Fatalf("PUT: %d %s", res.status, res.body)
		}
		res = h.do(http.MethodGet, path, nil, tok)
		res.decode(t, &got)
		if got.Data.URL != newURL || got.Metadata != a.Metadata {
			t.Errorf("after PUT: %+v", got)
		}
		for name, c := range map[string]struct {
			res  response
			want int
		}{
			"name mismatch":   {update("other-name", id, "model", newURL), 400},
			"id mismatch":     {update(a.Metadata.Name, string(other.Metadata.ID), "model", newURL), 400},
			"type mismatch":   {update(a.Metadata.Name, id, "dataset", newURL), 400},
			"bad url":         {update(a.Metadata.Name, id, "model", "not a url"), 400},
			"url of other":    {update(a.Metadata.Name, id, "model", other.Data.URL), 409},
			"malformed":       {h.do(http.MethodPut, path, `{"metadata":`, tok), 400},
			"no data":         {h.do(http.MethodPut, path, `{"metadata":{"name":"x","id":"`+id+`","type":"model"}}`, tok), 400},
			"unknown id":      {h.do(http.MethodPut, "/artifacts/model/model-999999-1", `{"metadata":{"name":"x","id":"model-999999-1","type":"model"},"data":{"url":"https://a.b/c"}}`, tok), 404},
			"wrong path type": {h.do(http.MethodPut, "/artifacts/dataset/"+id, `{"metadata":{"name":"whisper-tiny","id":"`+id+`"},"data":{"url":"https://a.b/c"}}`, tok), 404},
			"bad id in path":  {h.do(http.MethodPut, "/artifacts/model/a%2Fb", `{"metadata":{"name":"x","id":"a/b","type":"model"},"data":{"url":"https://a.b/c"}}`, tok), 400},
			"body over 1 MiB": {h.do(http.MethodPut, path, strings.Repeat(" ", MaxBodyBytes+1), tok), 413},
		} {
			if c.res.status != c.want {
				t.Errorf("PUT %s: %d, want %d (%s)", name, c.res.status, c.want, c.res.body)
				continue
			}
			c.res.errorMessage(t)
		}

		if res := h.do(http.MethodDelete, "/artifacts/dataset/"+id, nil, tok); res.status != http.StatusNotFound {
			t.Errorf("DELETE with wrong type: %d, want 404", res.status)
		}
		if res := h.do(http.MethodDelete, path, nil, tok); res.status != http.StatusOK {
			t.Fatalf("DELETE: %d %s", res.status, res.body)
		}
		if res := h.do(http.MethodGet, path, nil, tok); res.status != http.StatusNotFound {
			t.Errorf("GET after DELETE: %d, want 404", res.status)
		}
		if res := h.do(http.MethodDelete, path, nil, tok); res.status != http.StatusNotFound {
			t.Errorf("second DELETE: %d, want 404", res.status)
		}
		// The url is free again once its artifact is gone.
		h.create(tok, "model", newURL)
	})
}

func TestListArtifacts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc, func(c *Config) { c.PageSize = 2; c.MaxResults = 4 })
		tok := h.login(defaultadmin.Name, adminPassword)
		var ids []string
		for _, c := range []struct{ typ, url string }{
			{"model", "https://huggingface.co/a/alpha"},
			{"dataset", "https://huggingface.co/datasets/a/beta"},
			{"model", "https://huggingface.co/b/alpha"},
			{"code", "https://github.com/a/gamma"},
		} {
			ids = append(ids, string(h.create(tok, c.typ, c.url).Metadata.ID))
		}
		list := func(body string, offset string) ([]wire.ArtifactMetadata, response) {
			p := "/artifacts"
			if offset != "" {
				p += "?offset=" + offset
			}
			res := h.do(http.MethodPost, p, body, tok)
			var out []wire.ArtifactMetadata
			if res.status == http.StatusOK {
				res.decode(t, &out)
			}
			return out, res
		}

		// Enumerate all, page by page.
		var all []string
		offset := ""
		for pages := 0; ; pages++ {
			page, res := list(`[{"name":"*"}]`, offset)
			if res.status != http.StatusOK || pages > 3 {
				t.Fatalf("page %d: %d %s", pages, res.status, res.body)
			}
			for _, m := range page {
				all = append(all, string(m.ID))
			}
			offset = res.header.Get("offset")
			if offset == "" {
				break
			}
		}
		if fmt.Sprint(all) != fmt.Sprint(ids) {
			t.Errorf("enumeration = %v, want %v in creation order", all, ids)
		}
		if page, res := list(`[{"name":"*"}]`, "10"); res.status != http.StatusOK || len(page) != 0 || res.header.Get("offset") != "" {
			t.Errorf("offset past the end: %d %v %q", res.status, page, res.header.Get("offset"))
		}

		if page, _ := list(`[{"name":"*","types":["model"]}]`, ""); len(page) != 2 || page[0].Type != "model" || page[1].Type != "model" {
			t.Errorf("types filter: %v", page)
		}
		if page, _ := list(`[{"name":"alpha"},{"name":"gamma","types":["code"]},{"name":"alpha"}]`, ""); len(page) != 2 {
			t.Errorf("by name, union of queries, first page: %v", page)
		}
		if page, res := list(`[{"name":"alpha"},{"name":"gamma","types":["code"]}]`, "2"); len(page) != 1 || page[0].Name != "gamma" || res.header.Get("offset") != "" {
			t.Errorf("second page: %v %q", page, res.header.Get("offset"))
		}
		if page, res := list(`[{"name":"nothing"}]`, ""); res.status != http.StatusOK || page == nil || len(page) != 0 {
			t.Errorf("no match: %d %s, want 200 []", res.status, res.body)
		}

		for name, c := range map[string]struct{ body, offset string }{
			"empty array":  {`[]`, ""},
			"no name":      {`[{"types":["model"]}]`, ""},
			"bad type":     {`[{"name":"*","types":["weights"]}]`, ""},
			"not an array": {`{"name":"*"}`, ""},
			"malformed":    {`[{"name":`, ""},
			"bad offset":   {`[{"name":"*"}]`, "-1"},
			"text offset":  {`[{"name":"*"}]`, "abc"},
		} {
			_, res := list(c.body, c.offset)
			if res.status != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400", name, res.status)
				continue
			}
			res.errorMessage(t)
		}

		// Past the hard cap of 4 results: 413.
		h.create(tok, "code", "https://github.com/a/delta")
		if _, res := list(`[{"name":"*"}]`, ""); res.status != http.StatusRequestEntityTooLarge {
			t.Errorf("past the cap: %d, want 413", res.status)
		}
	})
}

func TestByNameAndRegex(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc)
		tok := h.login(defaultadmin.Name, adminPassword)
		h.create(tok, "model", "https://huggingface.co/parvk11/audience-classifier")
		h.create(tok, "dataset", "https://huggingface.co/datasets/x/audience-classifier")
		odd := h.create(tok, "code", "https://example.com/src/My%20Model%20(v2)%21%20%22q%22%20%25%20%3F")
		wantOdd := `My Model (v2)! "q" % ?`
		if odd.Metadata.Name != wantOdd {
			t.Fatalf("derived name %q, want %q", odd.Metadata.Name, wantOdd)
		}
		// README text is stored by ingests that fetch it (hf_data).
		readme, err := h.st.Create(context.Background(), store.Record{
			Metadata: wire.ArtifactMetadata{Name: "plain-name", Type: "model"}, URL: "https://huggingface.co/org/plain-name",
			HFData: []map[string]any{{"readme_text": "A speech recognizer fine-tuned on LibriSpeech."}}, CreatedAt: time.Now(), CreatedBy: defaultadmin.Name,
		}, wire.ArtifactAuditEntry{Action: store.ActionCreate})
		if err != nil {
			t.Fatal(err)
		}

		res := h.do(http.MethodGet, "/artifact/byName/audience-classifier", nil, tok)
		var found []wire.ArtifactMetadata
		res.decode(t, &found)
		if res.status != http.StatusOK || len(found) != 2 {
			t.Errorf("byName: %d %s", res.status, res.body)
		}
		res = h.do(http.MethodGet, "/artifact/byName/"+url.PathEscape(wantOdd), nil, tok)
		found = nil
		res.decode(t, &found)
		if res.status != http.StatusOK || len(found) != 1 || found[0] != odd.Metadata {
			t.Errorf("byName with an odd name: %d %s", res.status, res.body)
		}
		if res := h.do(http.MethodGet, "/artifact/byName/nothing-here", nil, tok); res.status != http.StatusNotFound {
			t.Errorf("byName none: %d, want 404", res.status)
		}
		for _, bad := range []string{"a%00b", "line%0Abreak", "%FF%FE"} {
			res := h.do(http.MethodGet, "/artifact/byName/"+bad, nil, tok)
			if res.status != http.StatusBadRequest {
				t.Errorf("byName %s: %d, want 400", bad, res.status)
				continue
			}
			res.errorMessage(t)
		}

		regex := func(body any) response { return h.do(http.MethodPost, "/artifact/byRegEx", body, tok) }
		res = regex(map[string]string{"regex": ".*?(audience|bert).*"})
		found = nil
		res.decode(t, &found)
		if res.status != http.StatusOK || len(found) != 2 {
			t.Errorf("byRegEx over names: %d %s", res.status, res.body)
		}
		res = regex(map[string]string{"regex": "(?i)librispeech"})
		found = nil
		res.decode(t, &found)
		if res.status != http.StatusOK || len(found) != 1 || found[0] != readme.Metadata {
			t.Errorf("byRegEx over README text: %d %s", res.status, res.body)
		}
		if res := regex(map[string]string{"regex": "^zzz$"}); res.status != http.StatusNotFound {
			t.Errorf("byRegEx none: %d, want 404", res.status)
		}
		// RE2 is linear: the classic catastrophic pattern answers at once.
		start := time.Now()
		regex(map[string]string{"regex": "(a+)+$"})
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("(a+)+$ took %v", d)
		}
		for name, body := range map[string]any{
			"invalid regex": map[string]string{"regex": "(unclosed"},
			"backreference": map[string]string{"regex": `(a)\1`},
			"too long":      map[string]string{"regex": strings.Repeat("a", DefaultLimits.MaxRegexBytes+1)},
			"missing":       map[string]string{},
			"empty":         map[string]string{"regex": ""},
			"malformed":     `{"regex":`,
		} {
			res := regex(body)
			if res.status != http.StatusBadRequest {
				t.Errorf("byRegEx %s: %d, want 400", name, res.status)
				continue
			}
			res.errorMessage(t)
		}
	})
}

func TestAuditAndDownload(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc)
		admin := h.login(defaultadmin.Name, adminPassword)
		alice := h.login(userName, userPassword)
		a := h.create(admin, "model", "https://huggingface.co/google/gemma-2-2b")
		id := string(a.Metadata.ID)
		if res := h.do(http.MethodPut, "/artifacts/model/"+id, wire.Artifact{Metadata: a.Metadata, Data: wire.ArtifactData{URL: "https://huggingface.co/google/gemma-2-2b/tree/main"}}, alice); res.status != http.StatusOK {
			t.Fatalf("PUT: %d %s", res.status, res.body)
		}
		res := h.do(http.MethodGet, "/download/"+id, nil, alice)
		if res.status != http.StatusFound || res.header.Get("Location") != "https://huggingface.co/google/gemma-2-2b/tree/main" {
			t.Errorf("download: %d to %q", res.status, res.header.Get("Location"))
		}
		if res := h.do(http.MethodGet, "/download/model-999999-1", nil, alice); res.status != http.StatusNotFound {
			t.Errorf("download unknown: %d, want 404", res.status)
		}

		res = h.do(http.MethodGet, "/artifact/model/"+id+"/audit", nil, alice)
		var trail []wire.ArtifactAuditEntry
		res.decode(t, &trail)
		if res.status != http.StatusOK || len(trail) != 3 {
			t.Fatalf("audit: %d %s", res.status, res.body)
		}
		want := []struct {
			user   string
			admin  bool
			action string
		}{{defaultadmin.Name, true, "CREATE"}, {userName, false, "UPDATE"}, {userName, false, "DOWNLOAD"}}
		for i, w := range want {
			e := trail[i]
			date, err := time.Parse(time.RFC3339, e.Date)
			if err != nil || !strings.HasSuffix(e.Date, "Z") || time.Since(date) > time.Minute ||
				e.User.Name != w.user || e.User.IsAdmin != w.admin || e.Action != w.action || e.Artifact != a.Metadata {
				t.Errorf("audit entry %d: %+v, want %s by %s", i, e, w.action, w.user)
			}
		}
		for p, want := range map[string]int{
			"/artifact/model/model-999999-1/audit": 404,
			"/artifact/dataset/" + id + "/audit":   404,
			"/artifact/model/a%2Fb/audit":          400,
			"/artifact/weights/" + id + "/audit":   400,
			"/download/..%2Fx":                     400,
			"/download/a%2Fb":                      400,
		} {
			if res := h.do(http.MethodGet, p, nil, alice); res.status != want {
				t.Errorf("GET %s: %d, want %d", p, res.status, want)
			}
		}
	})
}

func TestReset(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc)
		admin := h.login(defaultadmin.Name, adminPassword)
		alice := h.login(userName, userPassword)
		a := h.create(admin, "model", "https://huggingface.co/gpt2")
		res := h.do(http.MethodDelete, "/reset", nil, alice)
		if res.status != http.StatusUnauthorized {
			t.Fatalf("reset by a non-admin: %d, want 401", res.status)
		}
		res.errorMessage(t)
		if res := h.do(http.MethodDelete, "/reset", nil, admin); res.status != http.StatusOK {
			t.Fatalf("reset: %d %s", res.status, res.body)
		}
		// The reset restores the default state: every earlier token is
		// revoked, the admin's own included.
		for who, tok := range map[string]string{"admin": admin, "alice": alice} {
			if res := h.do(http.MethodGet, string("/artifacts/model/"+a.Metadata.ID), nil, tok); res.status != http.StatusForbidden || !strings.Contains(res.errorMessage(t), "revoked") {
				t.Errorf("%s's token of before the reset: %d %s, want 403 revoked", who, res.status, res.body)
			}
		}
		// The default admin is there after a reset; ids are not reused.
		admin = h.login(defaultadmin.Name, adminPassword)
		if res := h.do(http.MethodGet, string("/artifacts/model/"+a.Metadata.ID), nil, admin); res.status != http.StatusNotFound {
			t.Errorf("artifact after reset: %d, want 404", res.status)
		}
		res = h.do(http.MethodPost, "/artifacts", `[{"name":"*"}]`, admin)
		if res.status != http.StatusOK || strings.TrimSpace(string(res.body)) != "[]" {
			t.Errorf("list after reset: %d %s", res.status, res.body)
		}
		b := h.create(admin, "model", "https://huggingface.co/gpt2")
		if b.Metadata.ID == a.Metadata.ID {
			t.Errorf("id %s reused after reset", b.Metadata.ID)
		}
	})
}

func TestNotImplementedEndpoints(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc)
		tok := h.login(defaultadmin.Name, adminPassword)
		if res := h.do(http.MethodPost, "/artifacts/PackageConfusionAudit", nil, tok); res.status != http.StatusNotImplemented {
			t.Errorf("package confusion audit: %d, want 501", res.status)
		} else {
			res.errorMessage(t)
		}
		// Answering 501 is not a fault of the API.
		res := h.do(http.MethodGet, "/health/components", nil, "")
		var hc wire.HealthComponentCollection
		res.decode(t, &hc)
		if len(hc.Components) == 0 || hc.Components[0].ID != "api" || hc.Components[0].Status != wire.HealthStatusOk {
			t.Errorf("api component after 501s: %s", res.body)
		}
	})
}

// A request that matches no route gets net/http's 404 or 405 (with Allow),
// but with a JSON error body like every other error.
func TestNoRoute(t *testing.T) {
	h := newHarness(t, newLocation(t, "memory"))
	tok := h.login(defaultadmin.Name, adminPassword)
	for _, c := range []struct {
		method, path string
		want         int
		allow        string
	}{
		{http.MethodGet, "/no/such/endpoint", http.StatusNotFound, ""},
		{http.MethodGet, "/artifacts/model", http.StatusNotFound, ""},
		{http.MethodGet, "/reset", http.StatusMethodNotAllowed, "DELETE"},
		{http.MethodPost, "/authenticate", http.StatusMethodNotAllowed, "PUT"},
	} {
		res := h.do(c.method, c.path, nil, tok)
		if res.status != c.want || res.header.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d (Allow %q), want %d (Allow %q)", c.method, c.path, res.status, res.header.Get("Allow"), c.want, c.allow)
			continue
		}
		res.errorMessage(t)
	}
}

// Concurrent creates get distinct ids; concurrent creates of one url get
// exactly one 201.
func TestConcurrentCreates(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc)
		tok := h.login(defaultadmin.Name, adminPassword)
		const n = 12
		type result struct {
			status int
			id     string
		}
		run := func(url func(i int) string) []result {
			out := make(chan result, n)
			for i := 0; i < n; i++ {
				go func() {
					req := newRequest(t, http.MethodPost, "/artifact/model", `{"url":"`+url(i)+`"}`)
					req.Header.Set("X-Authorization", tok)
					rec := serveRecorder(h, req)
					var a wire.Artifact
					if rec.Code == http.StatusCreated {
						_ = jsonUnmarshal(rec.Body.Bytes(), &a)
					}
					out <- result{rec.Code, string(a.Metadata.ID)}
				}()
			}
			var rs []result
			for i := 0; i < n; i++ {
				rs = append(rs, <-out)
			}
			return rs
		}
		ids := map[string]bool{}
		for _, r := range run(func(i int) string { return fmt.Sprintf("https://huggingface.co/org/m%d", i) }) {
			if r.status != http.StatusCreated || ids[r.id] {
				t.Errorf("concurrent create: %d %q (duplicate: %v)", r.status, r.id, ids[r.id])
			}
			ids[r.id] = true
		}
		created := 0
		for _, r := range run(func(int) string { return "https://huggingface.co/org/same" }) {
			switch r.status {
			case http.StatusCreated:
				created++
			case http.StatusConflict:
			default:
				t.Errorf("concurrent create of one url: %d", r.status)
			}
		}
		if created != 1 {
			t.Errorf("concurrent creates of one url: %d answered 201, want 1", created)
		}
	})
}

// failingStore is a backend that has gone away after start-up.
type failingStore struct{ store.Store }

var errBackendDown = fmt.Errorf("connection refused")

func (failingStore) Get(context.Context, string) (store.Record, error) {
	return store.Record{}, errBackendDown
}
func (failingStore) Page(context.Context, store.Query, string, int) ([]store.Record, string, error) {
	return nil, "", errBackendDown
}
func (failingStore) Ping(context.Context) error { return errBackendDown }

// A backend failure is a 503 with a JSON error (the client retries), logged,
// and shown in /health/components; never a 500.
func TestStorageFailure(t *testing.T) {
	var logs captureLog
	srv, err := New(Config{Storage: &store.Opened{Store: failingStore{store.NewMemory()}, Requested: "memory"}, Users: testUsers, Logger: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: srv}
	tok := h.login(defaultadmin.Name, adminPassword)
	for _, path := range []string{"/artifacts/model/model-1-1", "/artifact/byName/x"} {
		req := newRequest(t, http.MethodGet, path, "")
		req.Header.Set("X-Authorization", tok)
		rec := serveRecorder(h, req)
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"error"`) {
			t.Errorf("GET %s on a failed backend: %d %s, want 503 with a JSON error", path, rec.Code, rec.Body)
		}
	}
	if !logs.has("ERROR", "connection refused") {
		t.Errorf("storage error not logged at ERROR")
	}
	res := h.do(http.MethodGet, "/health/components", nil, "")
	var hc wire.HealthComponentCollection
	res.decode(t, &hc)
	if hc.Components[0].Status != "degraded" || hc.Components[1].Status != "critical" || hc.Components[1].Issues[0].Code != "STORAGE_UNREACHABLE" {
		t.Errorf("health with a failed backend: %s", res.body)
	}
}
