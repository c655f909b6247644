package s3bucket

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/prereq"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
)

// testServer is an S3 server on loopback that the tests run against.
type testServer struct {
	name   string
	client *s3.Client
	// full reports AWS semantics for public access block, encryption and
	// lifecycle (moto); versitygw answers NotImplemented to them.
	full bool
}

func servers(t *testing.T) []testServer {
	t.Helper()
	var out []testServer
	if ep := teststack.Partly(t, "MOTO_ENDPOINT", "the moto_server round"); ep != "" {
		out = append(out, testServer{"moto", testClient(t, ep, "test", "test"), true})
	}
	if ep := teststack.Partly(t, "VERSITYGW_ENDPOINT", "the versitygw round"); ep != "" {
		out = append(out, testServer{"versitygw", testClient(t, ep, os.Getenv("VERSITYGW_ACCESS_KEY"), os.Getenv("VERSITYGW_SECRET_KEY")), false})
	}
	if len(out) == 0 {
		prereq.Missing(t, "neither moto_server nor versitygw is available: these tests need an S3 server")
	}
	return out
}

func testClient(t *testing.T, endpoint, access, secret string) *s3.Client {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", access)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_REGION", "us-east-1")
	c, err := NewClient(context.Background(), ClientConfig{Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newTestBucket(t *testing.T, srv testServer) *Bucket {
	t.Helper()
	name, err := GenerateName("s3bucket-test-")
	if err != nil {
		t.Fatal(err)
	}
	b := New(srv.client, name)
	if err := b.Create(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		if _, err := b.Empty(ctx); err != nil && !errors.Is(err, ErrBucketNotFound) {
			t.Errorf("cleanup: %v", err)
		}
		if err := b.Delete(ctx); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return b
}

func TestBucketLifecycle(t *testing.T) {
	for _, srv := range servers(t) {
		t.Run(srv.name, func(t *testing.T) {
			ctx := context.Background()
			b := newTestBucket(t, srv)

			if err := b.Create(ctx); err == nil || !strings.Contains(err.Error(), "already exists") {
				t.Fatalf("creating an existing bucket: %v, want a refusal", err)
			}
			// Ensure, the server's open, uses an existing bucket as it is.
			if err := b.Ensure(ctx); err != nil {
				t.Fatalf("Ensure on an existing bucket: %v", err)
			}

			want := Settings{Versioning: true, EnforceTLS: true, Tags: map[string]string{"team": "ml"}}
			if srv.full {
				want.BlockPublicAccess = true
				want.SSEAlgorithm = SSEAES256
				want.NoncurrentVersionExpirationDays = 30
				want.AbortIncompleteMultipartUploadDays = 7
			}
			// The access check leaves nothing behind in a versioned bucket.
			// (Before enforce_tls: moto enforces it on the tests' plain http.)
			versioned := Settings{Versioning: true, BlockPublicAccess: srv.full}
			if err := b.Apply(ctx, nil, versioned); err != nil {
				t.Fatal(err)
			}
			if err := b.VerifyAccess(ctx); err != nil {
				t.Fatal(err)
			}
			if counts, err := b.Count(ctx); err != nil || !counts.Empty() {
				t.Fatalf("the access check left %+v behind (%v)", counts, err)
			}
			if err := b.Apply(ctx, &versioned, want); err != nil {
				t.Fatal(err)
			}
			obs, err := b.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			checkSettings(t, obs.Settings, want)
			if obs.Region != "us-east-1" {
				t.Errorf("region = %q, want us-east-1", obs.Region)
			}

			// Changing only some settings leaves the others as they are.
			next := want
			next.Versioning = false
			next.EnforceTLS = false
			next.Tags = nil
			if srv.full {
				next.NoncurrentVersionExpirationDays = 0
				next.AbortIncompleteMultipartUploadDays = 2
				next.BlockPublicAccess = false
			}
			if err := b.Apply(ctx, &want, next); err != nil {
				t.Fatal(err)
			}
			obs, err = b.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			checkSettings(t, obs.Settings, next)

			if err := b.VerifyAccess(ctx); err != nil {
				t.Fatal(err)
			}
			counts, err := b.Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !counts.Empty() {
				t.Fatalf("the access check left %+v behind", counts)
			}
		})
	}
}

func checkSettings(t *testing.T, got, want Settings) {
	t.Helper()
	if got.Versioning != want.Versioning || got.BlockPublicAccess != want.BlockPublicAccess ||
		got.SSEAlgorithm != want.SSEAlgorithm || got.NoncurrentVersionExpirationDays != want.NoncurrentVersionExpirationDays ||
		got.AbortIncompleteMultipartUploadDays != want.AbortIncompleteMultipartUploadDays ||
		got.EnforceTLS != want.EnforceTLS || !maps.Equal(got.Tags, want.Tags) {
		t.Fatalf("settings read back = %+v, want %+v", got, want)
	}
}

func TestUnsupportedSettings(t *testing.T) {
	for _, srv := range servers(t) {
		if srv.full {
			continue
		}
		t.Run(srv.name, func(t *testing.T) {
			ctx := context.Background()
			b := newTestBucket(t, srv)
			cases := []struct {
				settings Settings
				want     Setting
			}{
				{Settings{BlockPublicAccess: true}, SettingPublicAccessBlock},
				{Settings{SSEAlgorithm: SSEAES256}, SettingEncryption},
				{Settings{NoncurrentVersionExpirationDays: 7}, SettingLifecycle},
				{Settings{AbortIncompleteMultipartUploadDays: 7}, SettingLifecycle},
			}
			for _, c := range cases {
				err := b.Apply(ctx, nil, c.settings)
				var u *UnsupportedError
				if !errors.As(err, &u) || u.Setting != c.want {
					t.Errorf("Apply(%+v) = %v, want an UnsupportedError for the %s", c.settings, err, c.want)
				}
			}
			// Turning the unsupported settings off needs nothing from the server.
			if err := b.Apply(ctx, nil, Settings{}); err != nil {
				t.Fatalf("Apply with everything off: %v", err)
			}
		})
	}
}

func TestEmptyAndDelete(t *testing.T) {
	for _, srv := range servers(t) {
		t.Run(srv.name, func(t *testing.T) {
			ctx := context.Background()
			b := newTestBucket(t, srv)
			b.pageSize = 3 // several pages and batches
			if err := b.Apply(ctx, nil, Settings{Versioning: true}); err != nil {
				t.Fatal(err)
			}
			for i := range 4 {
				key := fmt.Sprintf("artifacts/model-%d-1/metadata.json", i)
				for v := range 2 {
					if _, err := srv.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b.Name()), Key: aws.String(key), Body: strings.NewReader(fmt.Sprint(v))}); err != nil {
						t.Fatal(err)
					}
				}
				if i%2 == 0 {
					if _, err := srv.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b.Name()), Key: aws.String(key)}); err != nil {
						t.Fatal(err)
					}
				}
			}
			counts, err := b.Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if want := (Counts{Objects: 2, Versions: 8, DeleteMarkers: 2}); counts != want {
				t.Fatalf("Count = %+v, want %+v", counts, want)
			}
			if err := b.Delete(ctx); !IsBucketNotEmpty(err) {
				t.Fatalf("deleting a non-empty bucket: %v, want BucketNotEmpty", err)
			}
			n, err := b.Empty(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != 10 {
				t.Errorf("Empty removed %d entries, want 10", n)
			}
			if err := b.Delete(ctx); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if _, err := b.Read(ctx); !errors.Is(err, ErrBucketNotFound) {
				t.Fatalf("Read after Delete = %v, want ErrBucketNotFound", err)
			}
		})
	}
}
