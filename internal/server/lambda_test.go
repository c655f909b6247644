package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// The registry deployed as a Lambda function (internal/teststack: the server
// binary under the Lambda Runtime Interface Emulator, S3 on versitygw,
// behind lambdaproxy.Gateway playing API Gateway's HTTP API) answers as the
// process does: the same status and the same JSON shape for the same
// requests, every response within the OpenAPI contract, download_url on the
// API's host, and names with any keyboard character found by name.

func lambdaEndpoints(t *testing.T) (lambda, process string) {
	t.Helper()
	why := "the Lambda tests compare the registry under the Lambda Runtime Interface Emulator with the process"
	lambda, process = teststack.Getenv(t, "REGISTRY_LAMBDA_ENDPOINT", why), teststack.Getenv(t, "REGISTRY_S3_ENDPOINT", why)
	teststack.Getenv(t, "REGISTRY_USERNAME", why)
	return lambda, process
}

// remote sends requests to a running registry and checks each response
// against the contract.
type remote struct {
	t    *testing.T
	base string
}

func (r remote) do(method, path string, body []byte, token string) response {
	r.t.Helper()
	req, err := http.NewRequest(method, r.base+path, bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("X-Authorization", token)
	}
	client := &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	res, err := client.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s%s: %v", method, r.base, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	out := response{status: res.StatusCode, header: res.Header, body: raw}
	vreq := httptest.NewRequest(method, "http://registry.test"+path, io.NopCloser(bytes.NewReader(body)))
	vreq.Header = req.Header.Clone()
	checkContract(r.t, vreq, out)
	return out
}

// lambdaScript is one pass over the API; it returns each step's response,
// keyed by a step name, and the created artifact's download_url.
func lambdaScript(t *testing.T, r remote, suffix string) (map[string]response, string) {
	t.Helper()
	steps := map[string]response{}
	step := func(name, method, path string, body []byte, token string) response {
		res := r.do(method, path, body, token)
		steps[name] = res
		return res
	}
	step("health", http.MethodGet, "/health", nil, "")
	step("tracks", http.MethodGet, "/tracks", nil, "")
	auth := step("authenticate", http.MethodPut, "/authenticate",
		mustJSON(t, authBody(os.Getenv("REGISTRY_USERNAME"), os.Getenv("REGISTRY_PASSWORD"))), "")
	var tok string
	auth.decode(t, &tok)

	name := "lambda-cmp-" + suffix
	created := step("create", http.MethodPost, "/artifact/model", mustJSON(t, map[string]string{"url": "https://huggingface.co/acc/" + name}), tok)
	var a wire.Artifact
	created.decode(t, &a)
	id := a.Metadata.ID
	step("get", http.MethodGet, string("/artifacts/model/"+id), nil, tok)
	step("byName", http.MethodGet, "/artifact/byName/"+name, nil, tok)
	step("byName missing", http.MethodGet, "/artifact/byName/"+name+"-none", nil, tok)
	step("query", http.MethodPost, "/artifacts", mustJSON(t, []map[string]string{{"name": name}}), tok)
	step("byRegEx", http.MethodPost, "/artifact/byRegEx", mustJSON(t, map[string]string{"regex": "^" + regexp.QuoteMeta(name) + "$"}), tok)
	step("update", http.MethodPut, string("/artifacts/model/"+id), mustJSON(t, wire.Artifact{
		Metadata: wire.ArtifactMetadata{Name: name, ID: id, Type: "model"},
		Data:     wire.ArtifactData{URL: "https://huggingface.co/acc/" + name + "/tree/main"},
	}), tok)
	step("audit", http.MethodGet, string("/artifact/model/"+id+"/audit"), nil, tok)
	step("download", http.MethodGet, string("/download/"+id), nil, tok)
	step("no token", http.MethodGet, string("/artifacts/model/"+id), nil, "")
	step("bad token", http.MethodGet, string("/artifacts/model/"+id), nil, "bearer not-a-token")
	step("not routed", http.MethodGet, "/no/such/path", nil, tok)
	step("wrong method", http.MethodDelete, "/health", nil, "")
	step("not implemented", http.MethodGet, string("/artifact/model/"+id+"/rate"), nil, tok)
	step("invalid JSON", http.MethodPost, "/artifact/model", []byte("{"), tok)
	step("binary body", http.MethodPost, "/artifact/model", []byte{0xff, 0xfe, 0x00, '{'}, tok)
	step("delete", http.MethodDelete, string("/artifacts/model/"+id), nil, tok)
	step("get deleted", http.MethodGet, string("/artifacts/model/"+id), nil, tok)
	return steps, a.Data.DownloadURL
}

func TestLambdaAnswersAsTheProcess(t *testing.T) {
	lambda, process := lambdaEndpoints(t)
	suffix := randomHex(t)
	got, download := lambdaScript(t, remote{t, lambda}, suffix)
	want, _ := lambdaScript(t, remote{t, process}, suffix)

	for _, name := range slices.Sorted(maps.Keys(want)) {
		g, w := got[name], want[name]
		if g.status != w.status {
			t.Errorf("%s: the Lambda answered %d, the process %d\nLambda: %s\nprocess: %s", name, g.status, w.status, g.body, w.body)
			continue
		}
		if gs, ws := jsonShape(g.body), jsonShape(w.body); !slices.Equal(gs, ws) {
			t.Errorf("%s: the Lambda's body has the fields %v, the process's %v", name, gs, ws)
		}
	}
	if !strings.HasPrefix(download, lambda+"/download/") {
		t.Errorf("download_url %q is not on the API's host %s", download, lambda)
	}
}

// Names with any keyboard character, stored in the function's bucket, are
// found by name through the gateway: the HTTP API decodes the path, so the
// function rebuilds it from the route's path parameter.
func TestLambdaNamesRoundTrip(t *testing.T) {
	r, st, tok := lambdaWithStore(t)
	suffix := randomHex(t)
	for i, name := range keyboardNames {
		rec, err := st.Create(context.Background(), store.Record{
			Metadata: wire.ArtifactMetadata{Name: name, Type: "code"}, URL: fmt.Sprintf("https://example.com/lambda-%s-%d", suffix, i),
			CreatedAt: time.Now(), CreatedBy: defaultadmin.Name,
		}, wire.ArtifactAuditEntry{Action: store.ActionCreate})
		if err != nil {
			t.Fatalf("storing %q: %v", name, err)
		}
		t.Cleanup(func() { _ = st.Delete(context.Background(), rec.ID()) })
		res := r.do(http.MethodGet, "/artifact/byName/"+nameSegment(name), nil, tok)
		var found []wire.ArtifactMetadata
		if res.status == http.StatusOK {
			res.decode(t, &found)
		}
		if !slices.Contains(found, rec.Metadata) {
			t.Errorf("byName %q through the Lambda: %d %s", name, res.status, res.body)
		}
	}
}

// lambdaWithStore is the Lambda function, a store on its bucket (to
// write what its API cannot) and a token of the default admin.
func lambdaWithStore(t *testing.T) (remote, *store.S3, string) {
	t.Helper()
	lambda, _ := lambdaEndpoints(t)
	bucket := teststack.Getenv(t, "REGISTRY_LAMBDA_BUCKET", "the test writes to the Lambda function's bucket")
	st, err := store.OpenS3(context.Background(), teststack.VersitygwClient(t), bucket)
	if err != nil {
		t.Fatal(err)
	}
	r := remote{t, lambda}
	var tok string
	r.do(http.MethodPut, "/authenticate", mustJSON(t, authBody(os.Getenv("REGISTRY_USERNAME"), os.Getenv("REGISTRY_PASSWORD"))), "").decode(t, &tok)
	return r, st, tok
}

// jsonShape lists the JSON paths of a body's object fields (array elements
// collapsed), so that bodies with different ids and hosts compare equal.
func jsonShape(body []byte) []string {
	var v any
	if jsonUnmarshal(body, &v) != nil {
		return []string{"<not JSON>"}
	}
	var paths []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				paths = append(paths, prefix+"/"+k)
				walk(prefix+"/"+k, e)
			}
		case []any:
			for _, e := range x {
				walk(prefix+"[]", e)
			}
		}
	}
	walk("", v)
	slices.Sort(paths)
	return slices.Compact(paths)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randomHex(t testing.TB) string {
	t.Helper()
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// Per-request cost of the deployed shape: the same requests to the process
// (S3 mode, REGISTRY_S3_ENDPOINT) and to the function under the emulator
// behind lambda-gateway (REGISTRY_LAMBDA_ENDPOINT), both on the same
// versitygw; the difference is the Lambda path's overhead.
//
//	go test -run '^$' -bench Lambda -benchtime 200x ./internal/server/
func BenchmarkLambdaVsProcess(b *testing.B) {
	why := "the benchmark compares the registry under the Lambda Runtime Interface Emulator with the process"
	lambda, process := teststack.Getenv(b, "REGISTRY_LAMBDA_ENDPOINT", why), teststack.Getenv(b, "REGISTRY_S3_ENDPOINT", why)
	client := &http.Client{Timeout: 30 * time.Second}
	send := func(b *testing.B, method, url string, body []byte, tok string) []byte {
		req, err := http.NewRequest(method, url, bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("X-Authorization", tok)
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 300 {
			b.Fatalf("%s %s: %d %s", method, url, res.StatusCode, raw)
		}
		return raw
	}
	for _, target := range []struct{ name, base string }{{"process", process}, {"lambda", lambda}} {
		auth, _ := json.Marshal(authBody(os.Getenv("REGISTRY_USERNAME"), os.Getenv("REGISTRY_PASSWORD")))
		var tok string
		if err := json.Unmarshal(send(b, http.MethodPut, target.base+"/authenticate", auth, ""), &tok); err != nil {
			b.Fatal(err)
		}
		var a wire.Artifact
		body, _ := json.Marshal(map[string]string{"url": "https://huggingface.co/acc/bench-" + target.name + "-" + randomHex(b)})
		if err := json.Unmarshal(send(b, http.MethodPost, target.base+"/artifact/model", body, tok), &a); err != nil {
			b.Fatal(err)
		}
		b.Run(target.name+"/health", func(b *testing.B) {
			for b.Loop() {
				send(b, http.MethodGet, target.base+"/health", nil, "")
			}
		})
		b.Run(target.name+"/get", func(b *testing.B) {
			for b.Loop() {
				send(b, http.MethodGet, target.base+"/artifacts/model/"+string(a.Metadata.ID), nil, tok)
			}
		})
		send(b, http.MethodDelete, target.base+"/artifacts/model/"+string(a.Metadata.ID), nil, tok)
	}
}
