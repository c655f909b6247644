package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// newTestClient returns a client of srv with millisecond backoff, so that
// retry tests take no time.
func newTestClient(t *testing.T, srv *httptest.Server, cfg Config) *Client {
	t.Helper()
	cfg.Endpoint = srv.URL
	cfg.HTTPClient = srv.Client()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, rc := range []*retryablehttp.Client{c.retrying, c.once} {
		rc.RetryWaitMin, rc.RetryWaitMax = time.Millisecond, 4*time.Millisecond
	}
	return c
}

// hangUp drops the connection without an answer.
func hangUp(t *testing.T, w http.ResponseWriter) {
	t.Helper()
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	conn.Close()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func TestNewValidatesEndpoint(t *testing.T) {
	for _, bad := range []string{"", "127.0.0.1:8000", "ftp://127.0.0.1", "http://", "http://user:pw@127.0.0.1", "http://127.0.0.1/?x=1"} {
		if _, err := New(Config{Endpoint: bad}); err == nil {
			t.Errorf("New(%q): want an error", bad)
		} else if strings.Contains(err.Error(), "pw") {
			t.Errorf("New(%q): error shows the URL's password: %v", bad, err)
		}
	}
	if _, err := New(Config{Endpoint: "http://127.0.0.1:1", RequestTimeout: -time.Second}); err == nil {
		t.Error("negative request timeout: want an error")
	}
	if _, err := New(Config{Endpoint: "http://127.0.0.1:1", RetryWaitMin: 10 * time.Second}); err == nil {
		t.Error("retry_wait_min above the default retry_wait_max: want an error")
	}
	c, err := New(Config{Endpoint: "https://registry.example.com/api/v1/"})
	if err != nil {
		t.Fatal(err)
	}
	if c.baseURL != "https://registry.example.com/api/v1" {
		t.Errorf("baseURL = %q", c.baseURL)
	}
}

func TestEndpointPathPrefixAndEscaping(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.EscapedPath()
		writeJSON(w, 200, []wire.ArtifactMetadata{})
	}))
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL + "/prefix/", HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ArtifactsByName(context.Background(), "a/b c"); err != nil {
		t.Fatal(err)
	}
	if want := "/prefix/artifact/byName/a%2Fb%20c"; got != want {
		t.Errorf("path = %q, want %q", got, want)
	}
}

func TestRetry429HonoursRetryAfter(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "slow down"})
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	c := newTestClient(t, srv, Config{})

	start := time.Now()
	if err := c.Health(context.Background()); err != nil {
		t.Fatalf("Health: %v", err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("calls = %d, want 2", n)
	}
	// The test client's backoff is milliseconds: only Retry-After explains a second.
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("retried after %s, want Retry-After's 1s", d)
	}
}

func TestRetryGatewayStatuses(t *testing.T) {
	for _, status := range []int{http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) <= 2 {
					w.WriteHeader(status)
					return
				}
				writeJSON(w, 200, wire.Artifact{Metadata: wire.ArtifactMetadata{Name: "bert", ID: "1", Type: "model"}, Data: wire.ArtifactData{URL: "https://huggingface.co/google-bert/bert"}})
			}))
			defer srv.Close()
			c := newTestClient(t, srv, Config{})
			a, err := c.GetArtifact(context.Background(), "model", "1")
			if err != nil {
				t.Fatalf("GetArtifact: %v", err)
			}
			if a.Metadata.Name != "bert" || calls.Load() != 3 {
				t.Errorf("artifact %+v after %d calls, want bert after 3", a, calls.Load())
			}
		})
	}
}

func TestNoRetryOnOtherStatuses(t *testing.T) {
	for _, status := range []int{http.StatusInternalServerError, http.StatusNotFound, http.StatusBadRequest, http.StatusNotImplemented} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				writeJSON(w, status, map[string]string{"error": "nope"})
			}))
			defer srv.Close()
			c := newTestClient(t, srv, Config{})
			_, err := c.GetArtifact(context.Background(), "model", "1")
			if StatusCode(err) != status || calls.Load() != 1 {
				t.Errorf("err %v after %d calls, want status %d after 1", err, calls.Load(), status)
			}
		})
	}
}

func TestRetryGivesUpAfterMaxRetries(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"message": "database is restarting"})
	}))
	defer srv.Close()
	c := newTestClient(t, srv, Config{MaxRetries: 2})
	err := c.DeleteArtifact(context.Background(), "model", "7")
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("want an *APIError, got %v", err)
	}
	if calls.Load() != 3 || apiErr.Attempts != 3 {
		t.Errorf("calls = %d, Attempts = %d, want 3", calls.Load(), apiErr.Attempts)
	}
	want := "DELETE /artifacts/model/7: 503 Service Unavailable: database is restarting (after 3 attempts)"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestRetriesDisabled(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	c := newTestClient(t, srv, Config{MaxRetries: -1})
	if err := c.Health(context.Background()); StatusCode(err) != 502 || calls.Load() != 1 {
		t.Errorf("err %v after %d calls, want 502 after 1", err, calls.Load())
	}
}

func TestRetryConnectionError(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			hangUp(t, w)
			return
		}
		writeJSON(w, 200, []wire.ArtifactMetadata{{Name: "x", ID: "1", Type: "code"}})
	}))
	defer srv.Close()
	c := newTestClient(t, srv, Config{})
	got, err := c.ArtifactsByRegex(context.Background(), ".*")
	if err != nil {
		t.Fatalf("ArtifactsByRegex: %v", err)
	}
	if len(got) != 1 || calls.Load() != 3 {
		t.Errorf("%d artifacts after %d calls, want 1 after 3", len(got), calls.Load())
	}
}

func TestRetryConnectionDroppedMidBody(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"metadata":`))
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // drops the connection
		}
		writeJSON(w, 200, wire.Artifact{Metadata: wire.ArtifactMetadata{Name: "bert", ID: "1", Type: "model"}})
	}))
	defer srv.Close()
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	c := newTestClient(t, srv, Config{})
	a, err := c.GetArtifact(context.Background(), "model", "1")
	if err != nil || a.Metadata.Name != "bert" || calls.Load() != 2 {
		t.Errorf("%+v, %v after %d calls; want bert after 2", a, err, calls.Load())
	}
}

func TestConnectionErrorGivesUp(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		hangUp(t, w)
	}))
	defer srv.Close()
	c := newTestClient(t, srv, Config{MaxRetries: 1})
	err := c.Health(context.Background())
	if err == nil || StatusCode(err) != 0 || calls.Load() != 2 {
		t.Fatalf("err %v after %d calls, want a transport error after 2", err, calls.Load())
	}
	if !strings.HasPrefix(err.Error(), "GET /health: ") || !strings.Contains(err.Error(), "after 2 attempts") {
		t.Errorf("error = %q", err)
	}
}

func TestRetryPerAttemptTimeout(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	c := newTestClient(t, srv, Config{RequestTimeout: 100 * time.Millisecond})
	if err := c.Health(context.Background()); err != nil {
		t.Fatalf("Health: %v", err)
	}
	if calls.Load() != 2 {
		t.Errorf("calls = %d, want 2", calls.Load())
	}
}

func TestContextCancelStopsRetrying(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	c := newTestClient(t, srv, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Health(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s after the context ended", d)
	}
}

func TestBackoff(t *testing.T) {
	for attempt := range 6 {
		d := backoff(100*time.Millisecond, time.Second, attempt, nil)
		base := min(100*time.Millisecond<<attempt, time.Second)
		if d < base/2 || d > base {
			t.Errorf("attempt %d: %s not in [%s, %s]", attempt, d, base/2, base)
		}
	}
	resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"3"}}}
	if d := backoff(time.Millisecond, time.Millisecond, 0, resp); d != 3*time.Second {
		t.Errorf("Retry-After 3: %s", d)
	}
	resp.Header.Set("Retry-After", "86400")
	if d := backoff(time.Millisecond, time.Millisecond, 0, resp); d != maxRetryAfter {
		t.Errorf("Retry-After 86400: %s, want the cap %s", d, maxRetryAfter)
	}
}

func TestLoggerGetsNoSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/authenticate" {
			writeJSON(w, 200, "bearer secret-token-value")
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`[]`))
	}))
	defer srv.Close()
	var (
		mu    sync.Mutex
		lines []map[string]any
	)
	c := newTestClient(t, srv, Config{Username: defaultadmin.Name, Password: defaultadmin.Password, Logger: loggerFunc(func(_ context.Context, msg string, f map[string]any) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, f)
	})})
	if _, err := c.ArtifactsByName(context.Background(), "bert"); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want 2 (authenticate, byName)", len(lines))
	}
	for _, f := range lines {
		for k, v := range f {
			s := fmt.Sprint(v)
			if strings.Contains(s, "secret-token") || strings.Contains(s, defaultadmin.Password) {
				t.Errorf("log field %s = %q holds a secret", k, s)
			}
		}
		if len(f) != 5 || f["method"] == nil || f["path"] == nil || f["status"] != 200 || f["attempt"] != 1 || f["duration_ms"] == nil {
			t.Errorf("log fields %v, want method, path, status, attempt, duration_ms", f)
		}
	}
	if lines[1]["path"] != "/artifact/byName/bert" {
		t.Errorf("path = %v", lines[1]["path"])
	}
}

type loggerFunc func(ctx context.Context, msg string, fields map[string]any)

func (f loggerFunc) Debug(ctx context.Context, msg string, fields map[string]any) {
	f(ctx, msg, fields)
}

// Rounds of concurrent calls, as terraform's parallel workers make them,
// reuse the connections of the previous round instead of opening new ones.
func TestConnectionsReused(t *testing.T) {
	var opened atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond) // keep the round's calls concurrent
		w.WriteHeader(http.StatusOK)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL}) // the default HTTP client
	if err != nil {
		t.Fatal(err)
	}
	const workers, rounds = 10, 4
	for range rounds {
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				if err := c.Health(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	// One connection per worker, and a little slack for a connection that
	// was not back in the pool when the next round began.
	if n := opened.Load(); n > workers+workers/2 {
		t.Errorf("%d rounds of %d concurrent calls opened %d connections, want about %d", rounds, workers, n, workers)
	}
}
