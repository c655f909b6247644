package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// The S3 backend writes one object per artifact at
// artifacts/<id>/metadata.json, in exactly the guide's "Metadata Format".
func TestS3ObjectLayoutAndFormat(t *testing.T) {
	loc := newLocation(t, "s3")
	h := newHarness(t, loc)
	tok := h.login(defaultadmin.Name, adminPassword)
	a := h.create(tok, "model", "https://huggingface.co/google/gemma-2-2b")

	out, err := loc.client.GetObject(context.Background(), &s3.GetObjectInput{
		Bucket: aws.String(loc.bucket), Key: aws.String(string("artifacts/" + a.Metadata.ID + "/metadata.json")),
	})
	if err != nil {
		t.Fatalf("reading artifacts/%s/metadata.json from the bucket: %v", a.Metadata.ID, err)
	}
	raw, _ := io.ReadAll(out.Body)
	out.Body.Close()

	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("metadata.json is not a JSON object: %v\n%s", err, raw)
	}
	if got := keys(doc); got != "created_at,created_by,data,metadata" {
		t.Errorf("top-level keys %s, want the guide's metadata, data, created_at, created_by", got)
	}
	var md wire.ArtifactMetadata
	_ = json.Unmarshal(doc["metadata"], &md)
	if md != a.Metadata {
		t.Errorf("metadata %+v, want %+v", md, a.Metadata)
	}
	var data map[string]json.RawMessage
	_ = json.Unmarshal(doc["data"], &data)
	if got := keys(data); got != "hf_data,url" {
		t.Errorf("data keys %s, want url and hf_data", got)
	}
	if string(data["url"]) != `"https://huggingface.co/google/gemma-2-2b"` || string(bytes.TrimSpace(data["hf_data"])) != "[]" {
		t.Errorf("data = %s", doc["data"])
	}
	var created, by string
	_ = json.Unmarshal(doc["created_at"], &created)
	_ = json.Unmarshal(doc["created_by"], &by)
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$`).MatchString(created) || by != defaultadmin.Name {
		t.Errorf("created_at %q (want 2025-11-05T20:00:00 form), created_by %q", created, by)
	}
	if !regexp.MustCompile(`^model-\d+-\d+$`).MatchString(string(a.Metadata.ID)) {
		t.Errorf("id %q is not model-<seq>-<unix seconds>", a.Metadata.ID)
	}

	// An object written by another deployment in the guide's format (with
	// README text) is read as is.
	foreign := `{"metadata":{"name":"audience-classifier","id":"model-9000-1234567890","type":"model"},
	  "data":{"url":"https://huggingface.co/parvk11/audience_classifier_model",
	  "hf_data":[{"readme_text":"Classifies audiences.","pipeline_tag":"text-classification","datasets":["imdb"]}]},
	  "created_at":"2025-11-05T20:00:00.123456","created_by":"lambda"}`
	if _, err := loc.client.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(loc.bucket), Key: aws.String("artifacts/model-9000-1234567890/metadata.json"), Body: strings.NewReader(foreign),
	}); err != nil {
		t.Fatal(err)
	}
	res := h.do(http.MethodGet, "/artifacts/model/model-9000-1234567890", nil, tok)
	if res.status != http.StatusOK || !strings.Contains(string(res.body), "audience-classifier") {
		t.Fatalf("foreign object: %d %s", res.status, res.body)
	}
	if res := h.do(http.MethodPost, "/artifact/byRegEx", `{"regex":"Classifies"}`, tok); res.status != http.StatusOK {
		t.Errorf("README of a foreign object not searched: %d", res.status)
	}
}

func keys[V any](m map[string]V) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), ",")
}

// Data written through SQLite and S3 is there after a restart (a new store
// and server on the same file or bucket); tokens of the old process, signed
// with its random secret, are refused with 403; ids keep growing.
func TestRestart(t *testing.T) {
	for _, backend := range []string{"sqlite", "s3"} {
		t.Run(backend, func(t *testing.T) {
			loc := newLocation(t, backend)
			first := newHarness(t, loc)
			oldTok := first.login(defaultadmin.Name, adminPassword)
			a := first.create(oldTok, "model", "https://huggingface.co/google-bert/bert-base-uncased")
			b := first.create(oldTok, "code", "https://github.com/openai/whisper")
			if res := first.do(http.MethodDelete, string("/artifacts/code/"+b.Metadata.ID), nil, oldTok); res.status != http.StatusOK {
				t.Fatalf("delete: %d", res.status)
			}
			first.st.Close()

			second := newHarness(t, loc)
			if res := second.do(http.MethodGet, string("/artifacts/model/"+a.Metadata.ID), nil, oldTok); res.status != http.StatusForbidden {
				t.Errorf("token from before the restart: %d, want 403", res.status)
			}
			tok := second.login(defaultadmin.Name, adminPassword)
			res := second.do(http.MethodGet, string("/artifacts/model/"+a.Metadata.ID), nil, tok)
			var got wire.Artifact
			res.decode(t, &got)
			if res.status != http.StatusOK || got.Metadata != a.Metadata || got.Data.URL != a.Data.URL {
				t.Fatalf("after restart: %d %s", res.status, res.body)
			}
			res = second.do(http.MethodGet, string("/artifact/model/"+a.Metadata.ID+"/audit"), nil, tok)
			var trail []wire.ArtifactAuditEntry
			res.decode(t, &trail)
			if len(trail) != 1 || trail[0].Action != store.ActionCreate {
				t.Errorf("audit after restart: %s", res.body)
			}
			if res := second.do(http.MethodPost, "/artifact/model", `{"url":"https://huggingface.co/google-bert/bert-base-uncased"}`, tok); res.status != http.StatusConflict {
				t.Errorf("409 rule after restart: %d", res.status)
			}
			c := second.create(tok, "dataset", "https://huggingface.co/datasets/bookcorpus/bookcorpus")
			if store.ParseSeq(string(c.Metadata.ID)) <= store.ParseSeq(string(b.Metadata.ID)) {
				t.Errorf("id %s after restart does not continue past %s", c.Metadata.ID, b.Metadata.ID)
			}
		})
	}
}

// captureLog collects JSON log records.
type captureLog struct{ buf bytes.Buffer }

func (c *captureLog) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(&c.buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (c *captureLog) has(level, msgPart string) bool {
	for _, line := range strings.Split(c.buf.String(), "\n") {
		var rec struct{ Level, Msg, Error string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Level == level && strings.Contains(rec.Msg+" "+rec.Error, msgPart) {
			return true
		}
	}
	return false
}

// S3 that cannot start falls back to SQLite (when enabled), never
// silently: ERROR logs and a degraded storage component naming the active
// backend. With STORAGE_FALLBACK=0 start-up fails instead.
func TestStorageFallback(t *testing.T) {
	// Nothing listens on port 1: the S3 backend fails at once.
	t.Setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	dbURL := "sqlite:///" + filepath.Join(t.TempDir(), "fallback.db")
	env := map[string]string{"USE_S3": "1", "S3_BUCKET_NAME": "b", "AWS_REGION": "us-east-1", "USE_SQLITE": "1", "SQLALCHEMY_DATABASE_URL": dbURL}
	getenv := func(k string) string { return env[k] }

	var logs captureLog
	opened, err := store.Open(context.Background(), store.OptionsFromEnv(getenv), logs.logger())
	if err != nil {
		t.Fatalf("Open with fallback: %v", err)
	}
	defer opened.Store.Close()
	if opened.Store.Backend() != "sqlite" || opened.Requested != "s3" || len(opened.Failures) != 1 {
		t.Fatalf("fallback chose %s (requested %s, failures %v), want sqlite after s3", opened.Store.Backend(), opened.Requested, opened.Failures)
	}
	if !logs.has("ERROR", "Failed to access S3 bucket") || !logs.has("ERROR", "storage fallback active") {
		t.Errorf("fallback not logged at ERROR:\n%s", logs.buf.String())
	}

	srv, err := New(Config{Storage: opened, Users: testUsers})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: srv, st: opened.Store}
	res := h.do(http.MethodGet, "/health/components", nil, "")
	var hc wire.HealthComponentCollection
	res.decode(t, &hc)
	byID := map[string]wire.HealthComponentDetail{}
	for _, c := range hc.Components {
		byID[c.ID] = c
	}
	st := byID["storage"]
	if st.Status != "degraded" || len(st.Issues) == 0 || st.Issues[0].Code != "STORAGE_FALLBACK_SQLITE" {
		t.Errorf("storage component: %+v, want degraded with issue STORAGE_FALLBACK_SQLITE", st)
	}
	if byID["storage-s3"].Status != "critical" {
		t.Errorf("failed S3 backend component: %+v, want critical", byID["storage-s3"])
	}
	// The fallback store works.
	tok := h.login(defaultadmin.Name, adminPassword)
	h.create(tok, "model", "https://huggingface.co/gpt2")

	// Without SQLite, the next stop is memory.
	env["USE_SQLITE"] = "0"
	opened, err = store.Open(context.Background(), store.OptionsFromEnv(getenv), logs.logger())
	if err != nil || opened.Store.Backend() != "memory" {
		t.Fatalf("fallback without SQLite: %v %v, want memory", opened, err)
	}

	env["STORAGE_FALLBACK"] = "0"
	if _, err := store.Open(context.Background(), store.OptionsFromEnv(getenv), logs.logger()); err == nil || !strings.Contains(err.Error(), "STORAGE_FALLBACK=0") {
		t.Errorf("STORAGE_FALLBACK=0: err = %v, want a start-up failure", err)
	}

	// A bad SQLite URL falls back to memory, or fails with fallback off.
	env = map[string]string{"USE_SQLITE": "1", "SQLALCHEMY_DATABASE_URL": "postgres://x"}
	if opened, err := store.Open(context.Background(), store.OptionsFromEnv(getenv), logs.logger()); err != nil || opened.Store.Backend() != "memory" || len(opened.Failures) != 1 {
		t.Errorf("bad SQLite URL: %v %v, want memory fallback", opened, err)
	}
}

// A missing bucket is created at start-up when permitted.
func TestS3CreatesMissingBucket(t *testing.T) {
	loc := newLocation(t, "s3")
	if _, err := store.OpenS3(context.Background(), loc.client, loc.bucket); err != nil {
		t.Fatalf("OpenS3 on a missing bucket: %v", err)
	}
	if _, err := loc.client.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(loc.bucket)}); err != nil {
		t.Errorf("bucket %s was not created: %v", loc.bucket, err)
	}
}

func TestLoadUsersFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.json")
	writeFile(t, path, `[{"name":"bob","password":"b0b's pass","is_admin":false},{"name":"carol","password":"c","is_admin":true}]`)
	users, err := LoadUsers("", path)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 3 || users[0].Password != defaultadmin.Password || users[1].Name != "bob" || !users[2].IsAdmin {
		t.Fatalf("users: %+v", users)
	}
	users, _ = LoadUsers("override", "")
	if users[0].Password != "override" {
		t.Errorf("REGISTRY_ADMIN_PASSWORD not applied")
	}
	writeFile(t, path, `{"name":"bob"}`)
	if _, err := LoadUsers("", path); err == nil {
		t.Errorf("a users file that is not an array was accepted")
	}
	if _, err := hashUsers([]UserSpec{{Name: "x", Password: "a"}, {Name: "x", Password: "b"}}, tokenSigner{}); err == nil {
		t.Errorf("a user defined twice was accepted")
	}
}

// The production path: USE_S3=1 with the endpoint and credentials from the
// SDK's environment chain (s3bucket.NewClient: path-style, checksums when
// required), logging the guide's initialisation line.
func TestOpenS3FromEnvironment(t *testing.T) {
	loc := newLocation(t, "s3")
	t.Setenv("AWS_ENDPOINT_URL_S3", os.Getenv("VERSITYGW_ENDPOINT"))
	t.Setenv("AWS_ACCESS_KEY_ID", os.Getenv("VERSITYGW_ACCESS_KEY"))
	t.Setenv("AWS_SECRET_ACCESS_KEY", os.Getenv("VERSITYGW_SECRET_KEY"))
	env := map[string]string{"USE_S3": "1", "S3_BUCKET_NAME": loc.bucket, "AWS_REGION": "us-east-1", "USE_SQLITE": "0", "STORAGE_FALLBACK": "0"}
	var logs captureLog
	opened, err := store.Open(context.Background(), store.OptionsFromEnv(func(k string) string { return env[k] }), logs.logger())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if opened.Store.Backend() != "s3" || len(opened.Failures) != 0 {
		t.Fatalf("backend %s, failures %v", opened.Store.Backend(), opened.Failures)
	}
	if !logs.has("INFO", "S3 storage initialized: bucket="+loc.bucket) {
		t.Errorf("no INFO 'S3 storage initialized: bucket=%s' in\n%s", loc.bucket, logs.buf.String())
	}
	srv, err := New(Config{Storage: opened, Users: testUsers})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: srv, st: opened.Store}
	tok := h.login(defaultadmin.Name, adminPassword)
	a := h.create(tok, "model", "https://huggingface.co/gpt2")
	if got, err := loc.open(t).Get(context.Background(), string(a.Metadata.ID)); err != nil || got.Metadata != a.Metadata {
		t.Errorf("artifact not in the bucket: %+v %v", got, err)
	}
}

// Two servers on one bucket (e.g. two Lambda instances) start from the
// same sequence number; conditional writes keep their ids apart.
func TestS3TwoWritersUniqueIDs(t *testing.T) {
	loc := newLocation(t, "s3")
	stores := []store.Store{loc.open(t), loc.open(t)}
	const perWriter = 8
	ids := make([]string, 2*perWriter)
	var g errgroup.Group
	for w, st := range stores {
		for i := range perWriter {
			g.Go(func() error {
				r, err := st.Create(context.Background(), store.Record{
					Metadata: wire.ArtifactMetadata{Name: "m", Type: "model"},
					URL:      "https://huggingface.co/org/w" + string(rune('a'+w)) + "-" + string(rune('a'+i)),
				}, wire.ArtifactAuditEntry{Action: store.ActionCreate})
				ids[w*perWriter+i] = r.ID()
				return err
			})
		}
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("create: %v", err)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("id %s given twice", id)
		}
		seen[id] = true
	}
	all, _, err := stores[0].Page(context.Background(), store.Query{{Name: "*"}}, "", 0)
	if err != nil || len(all) != 2*perWriter {
		t.Errorf("bucket holds %d artifacts (%v), want %d", len(all), err, 2*perWriter)
	}
}

// Two stores on one bucket allocate the same ids at first; concurrent
// creates of one url through both still create it once (the url claim
// does not trust an owner with its own id).
func TestS3TwoWritersOneURL(t *testing.T) {
	loc := newLocation(t, "s3")
	stores := []store.Store{loc.open(t), loc.open(t)}
	for k := range 5 {
		var g errgroup.Group
		var created atomic.Int32
		for i := range 6 {
			g.Go(func() error {
				_, err := stores[i%2].Create(context.Background(), store.Record{
					Metadata: wire.ArtifactMetadata{Name: "m", Type: "model"}, URL: fmt.Sprintf("https://huggingface.co/org/same-%d", k),
				}, wire.ArtifactAuditEntry{Action: store.ActionCreate})
				if err == nil {
					created.Add(1)
				}
				if errors.Is(err, store.ErrConflict) {
					err = nil
				}
				return err
			})
		}
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		if created.Load() != 1 {
			t.Errorf("url %d created %d times, want once", k, created.Load())
		}
	}
}
