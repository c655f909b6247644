package server

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// Trust pipeline benchmarks against the replay on loopback:
//
//	go test -run '^$' -bench 'SyncIngest|RateRead' -benchtime 100x ./internal/server/
//
// Sync ingest includes the whole rating (about 20 upstream calls to the
// replay for bert-base-uncased); the /rate read is the stored rating.

func newTrustBenchServer(b *testing.B, backend string, mode RatingMode) benchServer {
	b.Helper()
	rp := startReplay(b)
	loc := newLocation(b, backend)
	cfg := Config{Storage: &store.Opened{Store: loc.open(b), Requested: backend}, Users: testUsers[:1]}
	withUpstream(rp.URL, mode)(&cfg)
	srv, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	return benchServer{h: srv.Handler(), tok: "bearer " + adminToken(b, srv)}
}

func BenchmarkSyncIngest(b *testing.B) {
	for _, backend := range backends {
		b.Run(backend, func(b *testing.B) {
			s := newTrustBenchServer(b, backend, RatingSync)
			body := `{"url":"` + bertURL + `"}`
			b.ResetTimer()
			for range b.N {
				rec := s.call(b, http.MethodPost, "/artifact/model", body, http.StatusCreated)
				b.StopTimer()
				var a wire.Artifact
				if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
					b.Fatal(err)
				}
				s.call(b, http.MethodDelete, string("/artifacts/model/"+a.Metadata.ID), "", http.StatusOK)
				b.StartTimer()
			}
		})
	}
}

func BenchmarkRateRead(b *testing.B) {
	for _, backend := range backends {
		b.Run(backend, func(b *testing.B) {
			s := newTrustBenchServer(b, backend, RatingSync)
			rec := s.call(b, http.MethodPost, "/artifact/model", `{"url":"`+bertURL+`"}`, http.StatusCreated)
			var a wire.Artifact
			if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				s.call(b, http.MethodGet, string("/artifact/model/"+a.Metadata.ID+"/rate"), "", http.StatusOK)
			}
		})
	}
}
