package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
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
	endpoint := os.Getenv("VERSITYGW_ENDPOINT")
	if endpoint == "" {
		b.Skip("VERSITYGW_ENDPOINT is not set: S3 benchmarks need a running versitygw")
	}
	client := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider(os.Getenv("VERSITYGW_ACCESS_KEY"), os.Getenv("VERSITYGW_SECRET_KEY"), ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	rnd := make([]byte, 6)
	_, _ = rand.Read(rnd)
	bucket := "srvbench-" + hex.EncodeToString(rnd)
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
		Metadata:  Metadata{Name: fmt.Sprintf("model-%d", i), Type: "model"},
		URL:       fmt.Sprintf("https://huggingface.co/bench/model-%d", i),
		CreatedAt: time.Now(),
		CreatedBy: "bench",
	}
}

func fill(b *testing.B, st Store, n int) []string {
	b.Helper()
	ids := make([]string, n)
	for i := range ids {
		r, err := st.Create(context.Background(), record(i), AuditEntry{Action: ActionCreate})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = r.Metadata.ID
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
				if _, err := st.Create(ctx, record(i), AuditEntry{Action: ActionCreate}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGet(b *testing.B) {
	for _, backend := range benchBackends {
		for _, n := range []int{100, 1000} {
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

func BenchmarkList(b *testing.B) {
	const n = 100
	for _, backend := range benchBackends {
		b.Run(fmt.Sprintf("%s/stored=%d", backend, n), func(b *testing.B) {
			st := benchStore(b, backend)
			fill(b, st, n)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rs, err := st.List(ctx)
				if err != nil || len(rs) != n {
					b.Fatalf("List: %d records, %v", len(rs), err)
				}
			}
		})
	}
}
