package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
		for _, n := range []int{100, 1000} {
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
