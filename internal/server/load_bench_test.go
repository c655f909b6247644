package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// BenchmarkLoad runs b.N requests from 50 concurrent clients over loopback
// HTTP (keep-alive, as a real client) against the server on memory and on
// SQLite, in a mix of creates, reads, searches and audits. It reports the
// throughput, p50 and p99 per route, and the writes that were answered 201
// but are missing afterwards or lack their CREATE entry (lost-writes, which
// fails the benchmark unless 0). Bounded by count, e.g.
//
//	go test -run '^$' -bench BenchmarkLoad -benchtime 5000x ./internal/server/
func BenchmarkLoad(b *testing.B) {
	const clients = 50
	for _, backend := range []string{"memory", "sqlite"} {
		b.Run(backend, func(b *testing.B) {
			st := newLocation(b, backend).open(b)
			srv, err := New(Config{Storage: &store.Opened{Store: st, Requested: backend}, Users: testUsers[:1]})
			if err != nil {
				b.Fatal(err)
			}
			ts := httptest.NewServer(srv.Handler()) // 127.0.0.1
			defer ts.Close()
			lg := &loadGen{
				base:   ts.URL,
				tok:    "bearer " + adminToken(b, srv),
				client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}},
				lat:    map[string][]time.Duration{},
			}
			for i := range 20 {
				lg.create(b, fmt.Sprintf("seed-%d", i))
			}
			clear(lg.lat) // the seeds are not part of the load

			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range clients {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						lg.step(b, i)
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()

			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
			for _, r := range slices.Sorted(maps.Keys(lg.lat)) {
				d := lg.lat[r]
				slices.Sort(d)
				b.ReportMetric(ms(d[len(d)*50/100]), r+"-p50-ms")
				b.ReportMetric(ms(d[min(len(d)-1, len(d)*99/100)]), r+"-p99-ms")
			}
			lost := lg.lostWrites(b, st)
			b.ReportMetric(float64(lost), "lost-writes")
			b.ReportMetric(float64(lg.failed.Load()), "failed-requests")
			if lost > 0 || lg.failed.Load() > 0 {
				b.Fatalf("%d acknowledged writes lost, %d requests failed", lost, lg.failed.Load())
			}
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// loadGen sends the requests of BenchmarkLoad and keeps their latencies
// per route and the ids of the acknowledged creates.
type loadGen struct {
	base, tok string
	client    *http.Client
	mu        sync.Mutex
	lat       map[string][]time.Duration
	created   []wire.Artifact
	failed    atomic.Int64
}

// send makes one request and records its latency under route; it returns
// the status and body, or 0 after a transport error.
func (lg *loadGen) send(b *testing.B, route, method, path, body string) (int, []byte) {
	req, _ := http.NewRequestWithContext(context.Background(), method, lg.base+path, strings.NewReader(body))
	req.Header.Set("X-Authorization", lg.tok)
	t := time.Now()
	res, err := lg.client.Do(req)
	if err != nil {
		lg.failed.Add(1)
		b.Logf("%s %s: %v", method, path, err)
		return 0, nil
	}
	out, _ := io.ReadAll(res.Body)
	res.Body.Close()
	d := time.Since(t)
	lg.mu.Lock()
	lg.lat[route] = append(lg.lat[route], d)
	lg.mu.Unlock()
	if res.StatusCode >= 500 {
		lg.failed.Add(1)
		b.Logf("%s %s: %d %s", method, path, res.StatusCode, out)
	}
	return res.StatusCode, out
}

func (lg *loadGen) create(b *testing.B, name string) {
	st, body := lg.send(b, "create", http.MethodPost, "/artifact/model", `{"url":"https://huggingface.co/load/`+name+`"}`)
	if st != http.StatusCreated {
		if st != 0 {
			lg.failed.Add(1)
			b.Logf("create %s: %d %s", name, st, body)
		}
		return
	}
	var a wire.Artifact
	if err := json.Unmarshal(body, &a); err != nil {
		lg.failed.Add(1)
		return
	}
	lg.mu.Lock()
	lg.created = append(lg.created, a)
	lg.mu.Unlock()
}

// pick returns an acknowledged artifact.
func (lg *loadGen) pick(i int64) wire.Artifact {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	return lg.created[int(i)%len(lg.created)]
}

// step is request i of the mix: 30% create, 30% get, 10% list, 10%
// byName, 10% byRegEx, 10% audit.
func (lg *loadGen) step(b *testing.B, i int64) {
	switch i % 10 {
	case 0, 1, 2:
		lg.create(b, fmt.Sprintf("m-%d", i))
	case 3, 4, 5:
		a := lg.pick(i)
		lg.send(b, "get", http.MethodGet, string("/artifacts/model/"+a.Metadata.ID), "")
	case 6:
		lg.send(b, "list", http.MethodPost, "/artifacts", `[{"name":"*"}]`)
	case 7:
		lg.send(b, "byName", http.MethodGet, "/artifact/byName/"+lg.pick(i).Metadata.Name, "")
	case 8:
		lg.send(b, "byRegEx", http.MethodPost, "/artifact/byRegEx", `{"regex":"^seed-1"}`)
	case 9:
		lg.send(b, "audit", http.MethodGet, string("/artifact/model/"+lg.pick(i).Metadata.ID+"/audit"), "")
	}
}

// lostWrites counts the acknowledged creates that are not stored, or not
// with their CREATE entry.
func (lg *loadGen) lostWrites(b *testing.B, st store.Store) int {
	ctx := context.Background()
	lost := 0
	for _, a := range lg.created {
		rec, err := st.Get(ctx, string(a.Metadata.ID))
		trail, aerr := st.Audit(ctx, string(a.Metadata.ID))
		if err != nil || rec.Metadata != a.Metadata || aerr != nil || len(trail) == 0 || trail[0].Action != store.ActionCreate {
			lost++
			b.Logf("acknowledged create %s: stored %+v (%v), trail %+v (%v)", a.Metadata.ID, rec.Metadata, err, trail, aerr)
		}
	}
	return lost
}
