package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/replay"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// Source urls of the replay's recordings (internal/replay/testdata).
const (
	bertURL      = "https://huggingface.co/google-bert/bert-base-uncased"
	fineTunedURL = "https://huggingface.co/csarron/bert-base-uncased-squad-v1"
	whisperURL   = "https://huggingface.co/openai/whisper-tiny"
	poorURL      = "https://huggingface.co/example-org/tiny-unlicensed-model"
	squadURL     = "https://huggingface.co/datasets/rajpurkar/squad"
	bertCodeURL  = "https://github.com/google-research/bert"
	whisperCode  = "https://github.com/openai/whisper"
	poorCodeURL  = "https://github.com/example-org/tiny-unlicensed-model"
)

// startReplay serves the recorded upstream answers on loopback.
func startReplay(t testing.TB) *httptest.Server {
	t.Helper()
	rp := replay.NewServer()
	t.Cleanup(rp.Close)
	return rp
}

// withUpstream points the server's trust pipeline at base.
func withUpstream(base string, mode RatingMode) harnessOption {
	return func(c *Config) {
		c.HFEndpoint, c.GitHubAPIURL, c.RatingMode = base, base, mode
		c.UpstreamTimeout = 5 * time.Second
	}
}

func (h *harness) rate(token, id string) (response, wire.ModelRating) {
	h.t.Helper()
	res := h.do(http.MethodGet, "/artifact/model/"+id+"/rate", nil, token)
	var r wire.ModelRating
	if res.status == http.StatusOK {
		res.decode(h.t, &r)
	}
	return res, r
}

// storedRating reads the rating straight from the backend.
func (h *harness) storedRating(id string) (store.Record, wire.ModelRating, bool) {
	h.t.Helper()
	rec, err := h.st.Get(context.Background(), id)
	if err != nil {
		return rec, wire.ModelRating{}, false
	}
	var r wire.ModelRating
	if len(rec.Rating) == 0 {
		return rec, r, false
	}
	if err := json.Unmarshal(rec.Rating, &r); err != nil {
		h.t.Fatalf("stored rating of %s is not JSON: %v", id, err)
	}
	return rec, r, true
}

func checkRatingRange(t *testing.T, r wire.ModelRating) {
	t.Helper()
	for name, v := range map[string]float64{
		"net_score": r.NetScore, "ramp_up_time": r.RampUpTime, "bus_factor": r.BusFactor,
		"performance_claims": r.PerformanceClaims, "license": r.License, "dataset_and_code_score": r.DatasetAndCodeScore,
		"dataset_quality": r.DatasetQuality, "code_quality": r.CodeQuality, "reproducibility": r.Reproducibility,
		"reviewedness": r.Reviewedness, "tree_score": r.TreeScore, "size_score.raspberry_pi": r.SizeScore.RaspberryPi,
		"size_score.aws_server": r.SizeScore.AWSServer,
	} {
		if v < 0 || v > 1 {
			t.Errorf("%s = %v, outside [0, 1]", name, v)
		}
	}
}

func TestRatingModeOffRatesOnFirstRead(t *testing.T) {
	rp := startReplay(t)
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc, withUpstream(rp.URL, RatingOff))
		tok := h.login(defaultadmin.Name, adminPassword)
		bert := h.create(tok, "model", bertURL)
		if _, _, ok := h.storedRating(string(bert.Metadata.ID)); ok {
			t.Fatal("mode off stored a rating at ingest")
		}
		res, r := h.rate(tok, string(bert.Metadata.ID))
		if res.status != http.StatusOK {
			t.Fatalf("rate: %d %s", res.status, res.body)
		}
		checkRatingRange(t, r)
		if r.Name != "bert-base-uncased" || r.Category != "fill-mask" || r.License != 1 || r.NetScore < DefaultRatingMinNetScore {
			t.Errorf("bert-base-uncased rated %+v", r)
		}
		_, stored, ok := h.storedRating(string(bert.Metadata.ID))
		if !ok || stored != r {
			t.Fatalf("the backend holds %+v (present %v), /rate answered %+v", stored, ok, r)
		}
		if loc.backend == "s3" {
			checkRatingInMetadataJSON(t, loc, string(bert.Metadata.ID), r.NetScore)
		}
		// The second read is the stored rating, not a recomputation.
		if _, again := h.rate(tok, string(bert.Metadata.ID)); again != r {
			t.Errorf("second /rate %+v differs from the first %+v", again, r)
		}
		entries, _ := h.st.Audit(context.Background(), string(bert.Metadata.ID))
		rates := 0
		for _, e := range entries {
			if e.Action == store.ActionRate {
				rates++
			}
		}
		if rates != 1 {
			t.Errorf("audit has %d RATE entries, want 1: %+v", rates, entries)
		}
	})
}

func TestRatingModeSync(t *testing.T) {
	rp := startReplay(t)
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc, withUpstream(rp.URL, RatingSync))
		tok := h.login(userName, userPassword)
		res := h.do(http.MethodPost, "/artifact/model", map[string]string{"url": poorURL}, tok)
		if res.status != http.StatusFailedDependency {
			t.Fatalf("poor model: %d %s, want 424", res.status, res.body)
		}
		if msg := res.errorMessage(t); !strings.Contains(msg, "net_score") || !strings.Contains(msg, "license=0.00") {
			t.Errorf("the 424 message %q does not name net_score and the failing license score", msg)
		}
		all, _ := store.All(context.Background(), h.st)
		if len(all) != 0 {
			t.Fatalf("the disqualified model was stored: %+v", all)
		}
		bert := h.create(tok, "model", bertURL)
		_, stored, ok := h.storedRating(string(bert.Metadata.ID))
		if !ok || stored.NetScore < DefaultRatingMinNetScore {
			t.Fatalf("bert stored without its rating: %+v", stored)
		}
		if _, r := h.rate(tok, string(bert.Metadata.ID)); r != stored {
			t.Errorf("/rate %+v is not the stored rating %+v", r, stored)
		}
		// Datasets and code are never disqualified.
		h.create(tok, "dataset", squadURL)
		h.create(tok, "code", poorCodeURL)
	})
}

// waitStatus polls path until it answers want (bounded: the replay answers
// in milliseconds).
func (h *harness) waitStatus(path, token string, want int) response {
	h.t.Helper()
	var res response
	for range 200 {
		if res = h.do(http.MethodGet, path, nil, token); res.status == want {
			return res
		}
		time.Sleep(25 * time.Millisecond)
	}
	h.t.Fatalf("GET %s still answers %d %s, want %d", path, res.status, res.body, want)
	return res
}

func TestRatingModeAsync(t *testing.T) {
	rp := startReplay(t)
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc, withUpstream(rp.URL, RatingAsync))
		tok := h.login(userName, userPassword)
		res := h.do(http.MethodPost, "/artifact/model", map[string]string{"url": bertURL}, tok)
		if res.status != http.StatusAccepted {
			t.Fatalf("async ingest: %d %s, want 202", res.status, res.body)
		}
		var bert wire.Artifact
		res.decode(t, &bert)
		poor := h.do(http.MethodPost, "/artifact/model", map[string]string{"url": poorURL}, tok)
		if poor.status != http.StatusAccepted {
			t.Fatalf("async ingest: %d %s, want 202", poor.status, poor.body)
		}
		var poorArt wire.Artifact
		poor.decode(t, &poorArt)

		h.waitStatus(string("/artifact/model/"+bert.Metadata.ID+"/rate"), tok, http.StatusOK)
		h.waitStatus(string("/artifacts/model/"+bert.Metadata.ID), tok, http.StatusOK)
		// The disqualified model disappears, from the backend too.
		h.waitStatus(string("/artifacts/model/"+poorArt.Metadata.ID), tok, http.StatusNotFound)
		for range 200 {
			if _, err := h.st.Get(context.Background(), string(poorArt.Metadata.ID)); err != nil {
				break
			}
			time.Sleep(25 * time.Millisecond)
		}
		if _, err := h.st.Get(context.Background(), string(poorArt.Metadata.ID)); err == nil {
			t.Errorf("the disqualified model %s is still stored", poorArt.Metadata.ID)
		}
		rec, _, ok := h.storedRating(string(bert.Metadata.ID))
		if !ok || rec.IngestPending {
			t.Errorf("bert after its rating: pending %v, rating stored %v", rec.IngestPending, ok)
		}
	})
}

// An artifact whose asynchronous rating runs is invisible to every read,
// and a restart during the rating finishes it instead of leaving it half
// registered.
func TestRatingAsyncPendingHiddenAndResumedAfterRestart(t *testing.T) {
	rp := startReplay(t)
	forEachBackend(t, func(t *testing.T, loc location) {
		// An upstream that never answers keeps the rating running.
		release := make(chan struct{})
		stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(stuck.Close)
		t.Cleanup(func() { close(release) })
		down := newHarness(t, loc, withUpstream(stuck.URL, RatingAsync))
		tok := down.login(userName, userPassword)
		res := down.do(http.MethodPost, "/artifact/model", map[string]string{"url": bertURL}, tok)
		if res.status != http.StatusAccepted {
			t.Fatalf("async ingest: %d %s", res.status, res.body)
		}
		var a wire.Artifact
		res.decode(t, &a)
		id := a.Metadata.ID
		for _, path := range []string{string("/artifacts/model/" + id), string("/artifact/model/" + id + "/rate"), string("/artifact/model/" + id + "/cost"), string("/artifact/model/" + id + "/lineage"), string("/artifact/model/" + id + "/audit")} {
			if res := down.do(http.MethodGet, path, nil, tok); res.status != http.StatusNotFound {
				t.Errorf("GET %s of a pending artifact: %d, want 404", path, res.status)
			}
		}
		if res := down.do(http.MethodPost, "/artifacts", `[{"name":"*"}]`, tok); string(res.body) != "[]\n" {
			t.Errorf("the listing shows a pending artifact: %s", res.body)
		}
		if res := down.do(http.MethodGet, "/artifact/byName/bert-base-uncased", nil, tok); res.status != http.StatusNotFound {
			t.Errorf("byName finds a pending artifact: %d", res.status)
		}
		// Shutting down mid-rating leaves it pending; the next server on
		// the same storage (upstream reachable) finishes it. Process memory
		// does not survive a restart, so memory stops here.
		down.srv.Close()
		if rec, err := down.st.Get(context.Background(), string(id)); err != nil || !rec.IngestPending {
			t.Fatalf("after a shutdown mid-rating: %v, pending %v; want still stored and pending", err, rec.IngestPending)
		}
		if loc.backend == "memory" {
			return
		}
		up := newHarness(t, loc, withUpstream(rp.URL, RatingAsync))
		up.waitStatus(string("/artifact/model/"+id+"/rate"), up.login(userName, userPassword), http.StatusOK)
	})
}

// With the replay stopped nothing is invented: 500 and 502 as the spec
// says, and the server keeps answering.
func TestTrustUpstreamDown(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		rp := replay.NewServer()
		h := newHarness(t, loc, withUpstream(rp.URL, RatingOff))
		h.allow5xx = true
		tok := h.login(defaultadmin.Name, adminPassword)
		id := h.create(tok, "model", bertURL).Metadata.ID
		rp.Close()
		for _, c := range []struct {
			method, path, body string
			want               int
		}{
			{"GET", string("/artifact/model/" + id + "/rate"), "", http.StatusInternalServerError},
			{"GET", string("/artifact/model/" + id + "/cost"), "", http.StatusInternalServerError},
			{"GET", string("/artifact/model/" + id + "/cost?dependency=true"), "", http.StatusInternalServerError},
			{"GET", string("/artifact/model/" + id + "/lineage"), "", http.StatusBadGateway},
			{"POST", string("/artifact/model/" + id + "/license-check"), `{"github_url":"https://github.com/google-research/bert"}`, http.StatusBadGateway},
		} {
			res := h.do(c.method, c.path, c.body, tok)
			if res.status != c.want {
				t.Errorf("%s %s: %d %s, want %d", c.method, c.path, res.status, res.body, c.want)
				continue
			}
			if msg := res.errorMessage(t); !strings.Contains(msg, "could not be reached") {
				t.Errorf("%s %s: the error %q does not say the upstream could not be reached", c.method, c.path, msg)
			}
		}
		if _, _, ok := h.storedRating(string(id)); ok {
			t.Error("a rating was stored although the upstream was down")
		}
		// sync mode: not registered, 424.
		sync := newHarness(t, loc, withUpstream("http://127.0.0.1:1", RatingSync))
		if res := sync.do(http.MethodPost, "/artifact/model", map[string]string{"url": whisperURL}, sync.login(userName, userPassword)); res.status != http.StatusFailedDependency {
			t.Errorf("sync ingest with the upstream down: %d %s, want 424", res.status, res.body)
		}
		if res := h.do(http.MethodGet, "/health", nil, ""); res.status != http.StatusOK {
			t.Errorf("health after upstream failures: %d", res.status)
		}
	})
}

func TestLineageCostLicense(t *testing.T) {
	rp := startReplay(t)
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc, withUpstream(rp.URL, RatingOff))
		h.allow5xx = true
		tok := h.login(defaultadmin.Name, adminPassword)
		bert := h.create(tok, "model", bertURL).Metadata.ID
		squad := h.create(tok, "dataset", squadURL).Metadata.ID
		code := h.create(tok, "code", bertCodeURL).Metadata.ID
		tuned := h.create(tok, "model", fineTunedURL).Metadata.ID

		// Lineage: bert (base_model, from config.json), squad (fine-tuning dataset), the code the card links.
		res := h.do(http.MethodGet, string("/artifact/model/"+tuned+"/lineage"), nil, tok)
		if res.status != http.StatusOK {
			t.Fatalf("lineage: %d %s", res.status, res.body)
		}
		var g wire.ArtifactLineageGraph
		res.decode(t, &g)
		edges := map[string]string{}
		for _, e := range g.Edges {
			if e.ToNodeArtifactID == tuned {
				edges[string(e.FromNodeArtifactID)] = e.Relationship
			}
		}
		want := map[string]string{string(bert): relBaseModel, string(squad): relFineTuneDataset, string(code): relCode}
		if len(edges) != len(want) || len(g.Nodes) != 4 {
			t.Errorf("lineage %+v, want edges %v", g, want)
		}
		for from, rel := range want {
			if edges[from] != rel {
				t.Errorf("edge from %s: %q, want %q", from, edges[from], rel)
			}
		}
		// The parent's rating feeds tree_score.
		_, parent := h.rate(tok, string(bert))
		_, child := h.rate(tok, string(tuned))
		if child.TreeScore != parent.NetScore {
			t.Errorf("tree_score %v, want the parent's net_score %v", child.TreeScore, parent.NetScore)
		}

		// Cost: without dependencies one entry; with them every held dependency and the sum.
		res = h.do(http.MethodGet, string("/artifact/model/"+tuned+"/cost"), nil, tok)
		var alone wire.ArtifactCost
		res.decode(t, &alone)
		if len(alone) != 1 || alone[string(tuned)].TotalCost <= 0 || alone[string(tuned)].StandaloneCost != nil {
			t.Fatalf("cost: %s", res.body)
		}
		res = h.do(http.MethodGet, string("/artifact/model/"+tuned+"/cost?dependency=true"), nil, tok)
		var all wire.ArtifactCost
		res.decode(t, &all)
		if len(all) != 4 {
			t.Fatalf("cost with dependencies has %d entries, want 4: %s", len(all), res.body)
		}
		var sum float64
		for id, e := range all {
			if e.StandaloneCost == nil {
				t.Fatalf("entry %s lacks standalone_cost: %s", id, res.body)
			}
			sum += *e.StandaloneCost
		}
		if got := all[string(tuned)].TotalCost; got < sum-0.01 || got > sum+0.01 {
			t.Errorf("total_cost %v, want the sum of standalone costs %v", got, sum)
		}
		if *all[string(tuned)].StandaloneCost != alone[string(tuned)].TotalCost {
			t.Errorf("standalone %v differs from the cost without dependencies %v", *all[string(tuned)].StandaloneCost, alone[string(tuned)].TotalCost)
		}
		if res := h.do(http.MethodGet, string("/artifact/dataset/"+squad+"/cost"), nil, tok); res.status != http.StatusOK {
			t.Errorf("dataset cost: %d %s", res.status, res.body)
		}
		if res := h.do(http.MethodGet, string("/artifact/code/"+code+"/cost"), nil, tok); res.status != http.StatusOK {
			t.Errorf("code cost: %d %s", res.status, res.body)
		}

		// License check: MIT model with Apache-2.0 code is compatible; code without a license is not.
		for _, c := range []struct {
			body string
			want int
			ok   string
		}{
			{`{"github_url":"https://github.com/google-research/bert"}`, http.StatusOK, "true\n"},
			{`{"github_url":"https://github.com/openai/whisper"}`, http.StatusOK, "true\n"},
			{`{"github_url":"https://github.com/example-org/tiny-unlicensed-model"}`, http.StatusOK, "false\n"},
			{`{"github_url":"https://github.com/no-such/project"}`, http.StatusNotFound, ""},
			{`{"github_url":"not a url"}`, http.StatusBadRequest, ""},
			{`{"github_url":"https://gitlab.com/a/b"}`, http.StatusBadRequest, ""},
			{`{}`, http.StatusBadRequest, ""},
		} {
			res := h.do(http.MethodPost, string("/artifact/model/"+tuned+"/license-check"), c.body, tok)
			if res.status != c.want || (c.ok != "" && string(res.body) != c.ok) {
				t.Errorf("license-check %s: %d %s, want %d %s", c.body, res.status, res.body, c.want, c.ok)
			}
		}

		// 404 for unknown ids and for a model id used as a dataset; 400 for malformed ids.
		for _, path := range []string{"/artifact/model/model-999-1/rate", "/artifact/model/model-999-1/lineage", "/artifact/model/model-999-1/cost", string("/artifact/dataset/" + tuned + "/cost"), string("/artifact/model/" + squad + "/rate")} {
			if res := h.do(http.MethodGet, path, nil, tok); res.status != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", path, res.status)
			}
		}
		if res := h.do(http.MethodPost, "/artifact/model/model-999-1/license-check", `{"github_url":"https://github.com/openai/whisper"}`, tok); res.status != http.StatusNotFound {
			t.Errorf("license-check of an unknown model: %d, want 404", res.status)
		}
		for _, e := range []struct{ method, path, body string }{
			{"GET", "/artifact/model/a%2Fb/rate", ""},
			{"GET", "/artifact/model/a%2Fb/cost", ""},
			{"GET", string("/artifact/model/" + tuned + "/cost?dependency=maybe"), ""},
			{"GET", "/artifact/model/a%2Fb/lineage", ""},
			{"POST", "/artifact/model/a%2Fb/license-check", `{"github_url":"https://github.com/openai/whisper"}`},
		} {
			if res := h.do(e.method, e.path, e.body, tok); res.status != http.StatusBadRequest {
				t.Errorf("%s %s: %d, want 400", e.method, e.path, res.status)
			}
		}
		// A model whose Hugging Face repository does not exist: lineage 400, rate and cost 500.
		ghost := h.create(tok, "model", "https://huggingface.co/nobody/ghost-model").Metadata.ID
		if res := h.do(http.MethodGet, string("/artifact/model/"+ghost+"/lineage"), nil, tok); res.status != http.StatusBadRequest {
			t.Errorf("lineage without metadata: %d %s, want 400", res.status, res.body)
		}
		if res, _ := h.rate(tok, string(ghost)); res.status != http.StatusInternalServerError {
			t.Errorf("rate without metadata: %d %s, want 500", res.status, res.body)
		}
	})
}

// checkRatingInMetadataJSON reads the guide's metadata.json object itself:
// the rating lives there, beside the guide's fields.
func checkRatingInMetadataJSON(t *testing.T, loc location, id string, netScore float64) {
	t.Helper()
	out, err := loc.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(loc.bucket), Key: aws.String(store.MetadataKey(id))})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	var doc struct {
		Metadata wire.ArtifactMetadata `json:"metadata"`
		Rating   *wire.ModelRating     `json:"rating"`
	}
	if err := json.NewDecoder(out.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if string(doc.Metadata.ID) != id || doc.Rating == nil || doc.Rating.NetScore != netScore {
		t.Errorf("%s holds metadata %+v and rating %+v, want the rating with net_score %v", store.MetadataKey(id), doc.Metadata, doc.Rating, netScore)
	}
}

// Concurrent first reads compute one rating; a new url drops it.
func TestRatingComputedOnceAndClearedByNewURL(t *testing.T) {
	var modelInfoCalls atomic.Int64
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/models/google-bert/bert-base-uncased" {
			modelInfoCalls.Add(1)
		}
		replay.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(rp.Close)
	h := newHarness(t, newLocation(t, "sqlite"), withUpstream(rp.URL, RatingOff))
	tok := h.login(defaultadmin.Name, adminPassword)
	a := h.create(tok, "model", bertURL)
	const n = 8
	codes := make(chan int, n)
	for range n {
		go func() {
			req := newRequest(t, http.MethodGet, string("/artifact/model/"+a.Metadata.ID+"/rate"), "")
			req.Header.Set("X-Authorization", tok)
			codes <- serve(h, req)
		}()
	}
	for range n {
		if c := <-codes; c != http.StatusOK {
			t.Errorf("concurrent /rate: %d", c)
		}
	}
	if got := modelInfoCalls.Load(); got != 1 {
		t.Errorf("%d concurrent first reads fetched the model info %d times, want once", n, got)
	}
	body := map[string]any{"metadata": a.Metadata, "data": map[string]string{"url": whisperURL}}
	if res := h.do(http.MethodPut, string("/artifacts/model/"+a.Metadata.ID), body, tok); res.status != http.StatusOK {
		t.Fatalf("update: %d %s", res.status, res.body)
	}
	if _, _, ok := h.storedRating(string(a.Metadata.ID)); ok {
		t.Error("the rating of the old url survived the url change")
	}
}
