package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

const (
	adminPassword = defaultadmin.Password
	userName      = "alice"
	userPassword  = "alice's password: \"quoted\" `tick`;--"
)

var testUsers = []UserSpec{
	{Name: defaultadmin.Name, Password: adminPassword, IsAdmin: true},
	{Name: userName, Password: userPassword, IsAdmin: false},
}

// backends are the storage backends every handler test runs against.
var backends = []string{"memory", "sqlite", "s3"}

// testS3 returns a client for the versitygw given by VERSITYGW_ENDPOINT,
// or skips (in strict mode fails) the test when it is not set.

// location says where a backend keeps its data, so that a second store
// can be opened on the same data (restart tests).
type location struct {
	backend string
	path    string // sqlite
	client  *s3.Client
	bucket  string // s3
}

func newLocation(t testing.TB, backend string) location {
	switch backend {
	case "sqlite":
		return location{backend: backend, path: filepath.Join(t.TempDir(), "registry.db")}
	case "s3":
		loc := location{backend: backend, client: teststack.VersitygwClient(t), bucket: teststack.BucketName("srvtest")}
		t.Cleanup(func() { emptyAndDeleteBucket(loc.client, loc.bucket) })
		return loc
	}
	return location{backend: backend}
}

func emptyAndDeleteBucket(c *s3.Client, bucket string) {
	ctx := context.Background()
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return
		}
		for _, o := range page.Contents {
			_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		}
	}
	_, _ = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
}

func (l location) open(t testing.TB) store.Store {
	t.Helper()
	ctx := context.Background()
	var (
		st  store.Store
		err error
	)
	switch l.backend {
	case "memory":
		st = store.NewMemory()
	case "sqlite":
		st, err = store.OpenSQLite(ctx, l.path)
	case "s3":
		st, err = store.OpenS3(ctx, l.client, l.bucket)
	}
	if err != nil {
		t.Fatalf("opening %s store: %v", l.backend, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// harness is one Server with a settable clock. Every exchange is checked
// against the OpenAPI document (see contract_test.go).
type harness struct {
	t   *testing.T
	srv *Server
	// allow5xx lets do return 5xx answers (upstream outage tests).
	allow5xx bool
	st       store.Store
	loc      location
	offset   atomic.Int64 // clock offset in nanoseconds
}

type harnessOption func(*Config)

func newHarness(t *testing.T, loc location, opts ...harnessOption) *harness {
	t.Helper()
	h := &harness{t: t, loc: loc, st: loc.open(t)}
	cfg := Config{
		Storage: &store.Opened{Store: h.st, Requested: loc.backend},
		Users:   testUsers,
		Now:     func() time.Time { return time.Now().Add(time.Duration(h.offset.Load())) },
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.srv = srv
	t.Cleanup(srv.Close)
	return h
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response %d is not the expected JSON (%v): %s", r.status, err, r.body)
	}
}

// errorMessage checks that the body is a JSON error object and returns it.
func (r response) errorMessage(t *testing.T) string {
	t.Helper()
	var e wire.Error
	r.decode(t, &e)
	if e.Error == "" {
		t.Fatalf("error response %d has no error message: %s", r.status, r.body)
	}
	return e.Error
}

// do sends one request. body is sent as is when it is a string or []byte,
// else as JSON; token goes into X-Authorization.
func (h *harness) do(method, path string, body any, token string) response {
	h.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			h.t.Fatal(err)
		}
	}
	req := httptest.NewRequest(method, "http://registry.test"+path, bytes.NewReader(raw))
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("X-Authorization", token)
	}
	rec := httptest.NewRecorder()
	h.srv.Handler().ServeHTTP(rec, req)
	res := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	checkErrorWording(h.t, method, path, res.status, res.body)
	if res.status >= 500 && res.status != http.StatusNotImplemented && !h.allow5xx {
		h.t.Fatalf("%s %s answered %d: %s", method, path, res.status, res.body)
	}
	// A fresh request for the validator: the handler consumed the body.
	vreq := httptest.NewRequest(method, "http://registry.test"+path, io.NopCloser(bytes.NewReader(raw)))
	vreq.Header = req.Header.Clone()
	checkContract(h.t, vreq, res)
	return res
}

func (h *harness) login(name, password string) string {
	h.t.Helper()
	res := h.do(http.MethodPut, "/authenticate", authBody(name, password), "")
	if res.status != http.StatusOK {
		h.t.Fatalf("authenticate %s: %d %s", name, res.status, res.body)
	}
	var tok string
	res.decode(h.t, &tok)
	if !strings.HasPrefix(tok, "bearer ") {
		h.t.Fatalf("token %q lacks the bearer prefix", tok)
	}
	return tok
}

func authBody(name, password string) map[string]any {
	return map[string]any{
		"user":   map[string]any{"name": name, "is_admin": name == defaultadmin.Name},
		"secret": map[string]any{"password": password},
	}
}

func (h *harness) create(token, typ, url string) wire.Artifact {
	h.t.Helper()
	res := h.do(http.MethodPost, "/artifact/"+typ, map[string]string{"url": url}, token)
	if res.status != http.StatusCreated {
		h.t.Fatalf("create %s %s: %d %s", typ, url, res.status, res.body)
	}
	var a wire.Artifact
	res.decode(h.t, &a)
	return a
}

func forEachBackend(t *testing.T, f func(t *testing.T, loc location)) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) { f(t, newLocation(t, b)) })
	}
}

func newRequest(t *testing.T, method, path, body string) *http.Request {
	t.Helper()
	req := httptest.NewRequest(method, "http://registry.test"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

// serveRecorder runs a hand-made request (no contract check: used for
// header variants and concurrency).
func serveRecorder(h *harness, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.srv.Handler().ServeHTTP(rec, req)
	checkErrorWording(h.t, req.Method, req.URL.Path, rec.Code, rec.Body.Bytes())
	return rec
}

func serve(h *harness, req *http.Request) int { return serveRecorder(h, req).Code }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// adminToken is a token of the default admin issued by srv directly, for
// benchmarks and fuzzing that skip PUT /authenticate.
func adminToken(t testing.TB, srv *Server) string {
	t.Helper()
	tok, err := srv.issueFor(context.Background(), defaultadmin.Name, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
