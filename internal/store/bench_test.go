package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// Benchmarks of create, get and list on each backend:
//
//	go test -run '^$' -bench . -benchtime 200x ./internal/store/
//
// Get is measured with 100 and 1000 artifacts stored: it reads one row or
// object by id and must not slow down as the registry grows.

func benchStore(b *testing.B, backend string) Store {
	b.Helper()
	ctx := context.Background()
	switch backend {
	case "memory":
		return NewMemory()
	case "sqlite":
		st, err := OpenSQLite(ctx, filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		return st
	}
	client, bucket := teststack.VersitygwClient(b), teststack.BucketName("srvbench")
	st, err := OpenS3(ctx, client, bucket)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = st.Reset(ctx)
		_, _ = client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	})
	return st
}

var benchBackends = []string{"memory", "sqlite", "s3"}

func record(i int) Record {
	return Record{
		Metadata:  wire.ArtifactMetadata{Name: fmt.Sprintf("model-%d", i), Type: "model"},
		URL:       fmt.Sprintf("https://huggingface.co/bench/model-%d", i),
		CreatedAt: time.Now(),
		CreatedBy: "bench",
	}
}

func fill(b *testing.B, st Store, n int) []string {
	b.Helper()
	ids := make([]string, n)
	for i := range ids {
		r, err := st.Create(context.Background(), record(i), wire.ArtifactAuditEntry{Action: ActionCreate})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = r.ID()
	}
	return ids
}

func BenchmarkCreate(b *testing.B) {
	for _, backend := range benchBackends {
		b.Run(backend, func(b *testing.B) {
			st := benchStore(b, backend)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := st.Create(ctx, record(i), wire.ArtifactAuditEntry{Action: ActionCreate}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGet(b *testing.B) {
	for _, backend := range benchBackends {
		for _, n := range storedCounts() {
			b.Run(fmt.Sprintf("%s/stored=%d", backend, n), func(b *testing.B) {
				st := benchStore(b, backend)
				ids := fill(b, st, n)
				ctx := context.Background()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := st.Get(ctx, ids[i%n]); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkPage(b *testing.B) {
	const n = 100
	for _, backend := range benchBackends {
		b.Run(fmt.Sprintf("%s/stored=%d", backend, n), func(b *testing.B) {
			st := benchStore(b, backend)
			fill(b, st, n)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rs, _, err := st.Page(ctx, Query{{Name: "*"}}, "", n)
				if err != nil || len(rs) != n {
					b.Fatalf("Page: %d records, %v", len(rs), err)
				}
			}
		})
	}
}

// GET by id on SQLite while two writers create artifacts as fast as they
// can: p50 and p99 of the reads, and the writes per second. With one connection for everything, reads
// queued behind writes; WAL readers do not.
//
//	go test -run '^$' -bench SQLiteGetUnderWrites -benchtime 2000x ./internal/store/
func BenchmarkSQLiteGetUnderWrites(b *testing.B) {
	st := benchStore(b, "sqlite")
	ids := fill(b, st, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	var writers sync.WaitGroup
	var written atomic.Int64
	for w := range 2 {
		writers.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				if _, err := st.Create(ctx, record(1_000_000*(w+1)+i), wire.ArtifactAuditEntry{Action: ActionCreate}); err == nil {
					written.Add(1)
				}
			}
		})
	}
	lat := make([]time.Duration, b.N)
	began := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := st.Get(context.Background(), ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
		lat[i] = time.Since(start)
	}
	b.StopTimer()
	elapsed := time.Since(began)
	cancel()
	writers.Wait()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(written.Load())/elapsed.Seconds(), "writes/s")
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
