package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// End-to-end handler benchmarks (auth, JSON, storage) on each backend:
//
//	go test -run '^$' -bench . -benchtime 200x ./internal/server/
//
// The store package has the same per-backend benchmarks without HTTP.

type benchServer struct {
	h   http.Handler
	tok string
}

func newBenchServer(b *testing.B, backend string) benchServer {
	b.Helper()
	loc := newLocation(b, backend)
	srv, err := New(Config{Storage: &store.Opened{Store: loc.open(b), Requested: backend}, Users: testUsers[:1]})
	if err != nil {
		b.Fatal(err)
	}
	return benchServer{h: srv.Handler(), tok: "bearer " + adminToken(b, srv)}
}

func (s benchServer) call(b *testing.B, method, path, body string, want int) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://registry.test"+path, strings.NewReader(body))
	req.Header.Set("X-Authorization", s.tok)
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body.String())
	}
	return rec
}

func (s benchServer) create(b *testing.B, i int) string {
	rec := s.call(b, http.MethodPost, "/artifact/model", fmt.Sprintf(`{"url":"https://huggingface.co/bench/m-%d"}`, i), http.StatusCreated)
	var a wire.Artifact
	if err := jsonUnmarshal(rec.Body.Bytes(), &a); err != nil {
		b.Fatal(err)
	}
	return string(a.Metadata.ID)
}

func BenchmarkHandlerCreate(b *testing.B) {
	for _, backend := range backends {
		b.Run(backend, func(b *testing.B) {
			s := newBenchServer(b, backend)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s.create(b, i)
			}
		})
	}
}

func BenchmarkHandlerGet(b *testing.B) {
	for _, backend := range backends {
		for _, n := range storedCounts() {
			b.Run(fmt.Sprintf("%s/stored=%d", backend, n), func(b *testing.B) {
				s := newBenchServer(b, backend)
				ids := make([]string, n)
				for i := range ids {
					ids[i] = s.create(b, i)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					s.call(b, http.MethodGet, "/artifacts/model/"+ids[i%n], "", http.StatusOK)
				}
			})
		}
	}
}

func BenchmarkHandlerList(b *testing.B) {
	const n = 100
	for _, backend := range backends {
		b.Run(fmt.Sprintf("%s/stored=%d", backend, n), func(b *testing.B) {
			s := newBenchServer(b, backend)
			for i := 0; i < n; i++ {
				s.create(b, i)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s.call(b, http.MethodPost, "/artifacts", `[{"name":"*"}]`, http.StatusOK)
			}
		})
	}
}

// BenchmarkAuthenticatedGet is the server's hot path: an authenticated
// GET /artifacts/{type}/{id} on SQLite holding 1,000 artifacts (token
// check, store read, JSON answer, request log at INFO as registry-server
// writes it), called in process ("handler") and over loopback HTTP with
// keep-alive ("http", which adds net/http on both sides: the client's
// share is in the figure too). cpu-s/1000req is this process's
// user+system CPU (garbage collection included) per 1,000 requests, which
// load on the machine inflates far less than ns/op:
//
//	go test -run '^$' -bench BenchmarkAuthenticatedGet -benchmem -count 5 ./internal/server/
func BenchmarkAuthenticatedGet(b *testing.B) {
	const n = 1000
	st := newLocation(b, "sqlite").open(b)
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := New(Config{Storage: &store.Opened{Store: st, Requested: "sqlite"}, Users: testUsers[:1], Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	ctx := context.Background()
	ids := make([]string, n)
	for i := range ids {
		md := wire.ArtifactMetadata{Name: fmt.Sprintf("m-%d", i), Type: "model"}
		rec, err := st.Create(ctx, store.Record{Metadata: md, URL: fmt.Sprintf("https://huggingface.co/bench/m-%d", i), CreatedAt: time.Now(), CreatedBy: defaultadmin.Name},
			wire.ArtifactAuditEntry{User: wire.User{Name: defaultadmin.Name, IsAdmin: true}, Date: store.AuditDate(time.Now()), Artifact: md, Action: store.ActionCreate})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = string(rec.Metadata.ID)
	}
	h, tok := srv.Handler(), "bearer "+adminToken(b, srv)
	perRequestCPU := func(b *testing.B, get func(id string) int) {
		b.ReportAllocs()
		before := processCPU(b)
		for i := 0; b.Loop(); i++ {
			if code := get(ids[i%n]); code != http.StatusOK {
				b.Fatalf("GET %s: %d", ids[i%n], code)
			}
		}
		b.ReportMetric((processCPU(b)-before).Seconds()*1000/float64(b.N), "cpu-s/1000req")
	}
	b.Run("handler", func(b *testing.B) {
		perRequestCPU(b, func(id string) int {
			req := httptest.NewRequest(http.MethodGet, "http://registry.test/artifacts/model/"+id, nil)
			req.Header.Set("X-Authorization", tok)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec.Code
		})
	})
	b.Run("http", func(b *testing.B) {
		ts := httptest.NewServer(h)
		defer ts.Close()
		client := ts.Client()
		perRequestCPU(b, func(id string) int {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/artifacts/model/"+id, nil)
			req.Header.Set("X-Authorization", tok)
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			return res.StatusCode
		})
	})
}

// processCPU is the user+system CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// storedCounts are the registry sizes a benchmark of a read is measured
// at; -short (the smoke run of make test) keeps the smallest, since
// storing 1,000 artifacts on S3 is most of the smoke run's time.
func storedCounts() []int {
	if testing.Short() {
		return []int{100}
	}
	return []int{100, 1000}
}
