package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// blobBackend is a store whose data a test can open again (reopen) and
// look into (leftovers lists what the backend holds of an artifact's
// bundles, finished or not).
type blobBackend struct {
	st        Store
	reopen    func(t *testing.T) Store
	leftovers func(t *testing.T, id string) []string
}

func blobBackends(t *testing.T) map[string]func(t *testing.T) blobBackend {
	return map[string]func(t *testing.T) blobBackend{
		"memory": func(t *testing.T) blobBackend {
			m := NewMemory()
			return blobBackend{st: m, leftovers: func(t *testing.T, id string) []string {
				m.blobs.mu.RLock()
				defer m.blobs.mu.RUnlock()
				var out []string
				for k := range m.blobs.blobs {
					if strings.HasPrefix(k, id+"/") {
						out = append(out, k)
					}
				}
				return out
			}}
		},
		"sqlite": func(t *testing.T) blobBackend {
			path := filepath.Join(t.TempDir(), "r.db")
			open := func(t *testing.T) Store {
				st, err := OpenSQLite(context.Background(), path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				return st
			}
			return blobBackend{st: open(t), reopen: open, leftovers: func(t *testing.T, id string) []string {
				files, _ := filepath.Glob(filepath.Join(DefaultBundleDir(path), id, "*"))
				return files
			}}
		},
		"s3": func(t *testing.T) blobBackend {
			client, bucket := teststack.VersitygwClient(t), teststack.BucketName("blobs")
			open := func(t *testing.T) Store {
				st, err := OpenS3(context.Background(), client, bucket)
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
			st := open(t)
			t.Cleanup(func() {
				ctx := context.Background()
				_ = st.Reset(ctx)
				_, _ = client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
			})
			return blobBackend{st: st, reopen: open, leftovers: func(t *testing.T, id string) []string {
				ctx := context.Background()
				keys, err := (&S3{client: client, bucket: bucket}).keys(ctx, filesPrefix(id))
				if err != nil {
					t.Fatal(err)
				}
				uploads, err := client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: aws.String(filesPrefix(id))})
				if err != nil {
					t.Fatal(err)
				}
				for _, u := range uploads.Uploads {
					keys = append(keys, "unfinished upload of "+aws.ToString(u.Key))
				}
				return keys
			}}
		},
	}
}

func forEachBlobBackend(t *testing.T, f func(t *testing.T, b blobBackend)) {
	for _, name := range []string{"memory", "sqlite", "s3"} {
		t.Run(name, func(t *testing.T) { f(t, blobBackends(t)[name](t)) })
	}
}

func createArtifact(t *testing.T, st Store, url string) Record {
	t.Helper()
	r, err := st.Create(context.Background(), Record{Metadata: wire.ArtifactMetadata{Name: "m", Type: "model"}, URL: url}, wire.ArtifactAuditEntry{Action: ActionCreate})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// content is n bytes that differ from offset to offset.
func content(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// A bundle goes in, reads back whole and from an offset, is kept by its
// record across a restart, and goes away with its artifact. On S3 the
// bundle is larger than a part, so it is a multipart upload.
func TestBlobsPutOpenStatDelete(t *testing.T) {
	forEachBlobBackend(t, func(t *testing.T, be blobBackend) {
		ctx := context.Background()
		rec := createArtifact(t, be.st, "https://huggingface.co/org/m")
		data := content(s3PartSize + 12345)
		b, err := be.st.Blobs().Put(ctx, rec.ID(), bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		if b.SHA256 != hexSHA256(data) || b.Size != int64(len(data)) || b.Key == "" || time.Since(b.StoredAt) > time.Minute {
			t.Fatalf("Put: %+v, want sha256 %s and size %d", b, hexSHA256(data), len(data))
		}
		f, err := be.st.Blobs().Open(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(f)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("Open: %d bytes (%v), want the %d put", len(got), err, len(data))
		}
		if _, err := f.Seek(3, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		part := make([]byte, 10)
		if _, err := io.ReadFull(f, part); err != nil || !bytes.Equal(part, data[3:13]) {
			t.Errorf("read after Seek(3): %v %v, want %v", part, err, data[3:13])
		}
		f.Close()
		if info, err := be.st.Blobs().Stat(ctx, b); err != nil || info.Size != b.Size || info.Version != b.Version {
			t.Errorf("Stat: %+v %v, want size %d version %q", info, err, b.Size, b.Version)
		}

		rec.Bundle = &b
		if err := be.st.Update(ctx, rec, &wire.ArtifactAuditEntry{Action: ActionUpdate}); err != nil {
			t.Fatal(err)
		}
		st := be.st
		if be.reopen != nil {
			st = be.reopen(t)
		}
		again, err := st.Get(ctx, rec.ID())
		if err != nil || again.Bundle == nil || again.Bundle.Key != b.Key || again.Bundle.SHA256 != b.SHA256 ||
			again.Bundle.Size != b.Size || again.Bundle.Version != b.Version || !again.Bundle.StoredAt.Equal(b.StoredAt) {
			t.Fatalf("record after a restart: %+v %v, want bundle %+v", again.Bundle, err, b)
		}

		if err := st.Delete(ctx, rec.ID()); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Blobs().Stat(ctx, b); !errors.Is(err, ErrNotFound) {
			t.Errorf("Stat after the artifact's Delete: %v, want ErrNotFound", err)
		}
		if left := be.leftovers(t, rec.ID()); len(left) > 0 {
			t.Errorf("left after Delete: %v", left)
		}
	})
}

// failingReader gives n bytes, then fails, as a source that breaks off.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("connection reset by the source")
	}
	k := min(len(p), f.n)
	clear(p[:k])
	f.n -= k
	return k, nil
}

// A Put whose source fails half way, or passes the cap, leaves nothing
// (on S3 also no unfinished multipart upload), and says which it was.
func TestBlobsFailedPutLeavesNothing(t *testing.T) {
	forEachBlobBackend(t, func(t *testing.T, be blobBackend) {
		ctx := context.Background()
		rec := createArtifact(t, be.st, "https://huggingface.co/org/broken")
		_, err := be.st.Blobs().Put(ctx, rec.ID(), &failingReader{n: s3PartSize + 100}, 1<<30)
		if err == nil || errors.Is(err, ErrTooLarge) {
			t.Errorf("Put from a source failing half way: %v, want its error", err)
		}
		_, err = be.st.Blobs().Put(ctx, rec.ID(), bytes.NewReader(content(s3PartSize+101)), s3PartSize+100)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("Put past the cap: %v, want ErrTooLarge", err)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := be.st.Blobs().Put(cancelled, rec.ID(), bytes.NewReader(content(10)), 100); !errors.Is(err, context.Canceled) {
			t.Errorf("Put with its context gone: %v, want context.Canceled", err)
		}
		if left := be.leftovers(t, rec.ID()); len(left) > 0 {
			t.Errorf("left by failed Puts: %v", left)
		}
		if b, err := be.st.Blobs().Put(ctx, rec.ID(), bytes.NewReader(content(100)), 100); err != nil || b.Size != 100 {
			t.Errorf("Put of exactly the cap: %+v %v", b, err)
		}
	})
}

// A reset removes every bundle.
func TestBlobsResetRemovesBundles(t *testing.T) {
	forEachBlobBackend(t, func(t *testing.T, be blobBackend) {
		ctx := context.Background()
		rec := createArtifact(t, be.st, "https://huggingface.co/org/reset")
		b, err := be.st.Blobs().Put(ctx, rec.ID(), bytes.NewReader(content(64)), 64)
		if err != nil {
			t.Fatal(err)
		}
		if err := be.st.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := be.st.Blobs().Stat(ctx, b); !errors.Is(err, ErrNotFound) {
			t.Errorf("Stat after Reset: %v, want ErrNotFound", err)
		}
	})
}

// RefreshBundle replaces the facts of the blob the record names, and of
// no other.
func TestRefreshBundle(t *testing.T) {
	forEachBlobBackend(t, func(t *testing.T, be blobBackend) {
		ctx := context.Background()
		rec := createArtifact(t, be.st, "https://huggingface.co/org/refresh")
		if err := be.st.RefreshBundle(ctx, rec.ID(), Bundle{Key: "x"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("RefreshBundle of an artifact without a bundle: %v, want ErrNotFound", err)
		}
		b, err := be.st.Blobs().Put(ctx, rec.ID(), bytes.NewReader(content(64)), 64)
		if err != nil {
			t.Fatal(err)
		}
		rec.Bundle = &b
		if err := be.st.Update(ctx, rec, &wire.ArtifactAuditEntry{Action: ActionUpdate}); err != nil {
			t.Fatal(err)
		}
		other := b
		other.Key += "-other"
		if err := be.st.RefreshBundle(ctx, rec.ID(), other); !errors.Is(err, ErrNotFound) {
			t.Errorf("RefreshBundle of another blob: %v, want ErrNotFound", err)
		}
		fresh := b
		fresh.SHA256, fresh.Size, fresh.Version = strings.Repeat("ab", 32), 65, "v2"
		if err := be.st.RefreshBundle(ctx, rec.ID(), fresh); err != nil {
			t.Fatal(err)
		}
		got, err := be.st.Get(ctx, rec.ID())
		if err != nil || got.Bundle == nil || got.Bundle.SHA256 != fresh.SHA256 || got.Bundle.Size != 65 || got.Bundle.Version != "v2" {
			t.Errorf("after RefreshBundle: %+v %v, want %+v", got.Bundle, err, fresh)
		}
		trail, err := be.st.Audit(ctx, rec.ID())
		if err != nil || len(trail) != 2 {
			t.Errorf("trail after RefreshBundle: %d entries (%v), want CREATE and UPDATE only", len(trail), err)
		}
	})
}

// A database made before the bundle columns existed gains them; its
// artifacts read as having no bundle.
func TestSQLiteMigratesBundleColumns(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	// sqliteSchema is the first version's schema; migrations add the rest.
	if _, err := db.ExecContext(ctx, sqliteSchema); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO artifacts(seq, id, type, name, url, created_at, created_by) VALUES (1, 'model-1-1', 'model', 'm', 'https://a.b/m', '2025-01-01T00:00:00Z', 'u')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := st.Get(ctx, "model-1-1")
	if err != nil || r.Bundle != nil || r.BundleNotStored != "" {
		t.Fatalf("old row: %+v %v", r, err)
	}
	r.BundleNotStored = "larger than the size cap"
	if err := st.Update(ctx, r, &wire.ArtifactAuditEntry{Action: ActionUpdate}); err != nil {
		t.Fatal(err)
	}
	if r, err := st.Get(ctx, "model-1-1"); err != nil || r.BundleNotStored != "larger than the size cap" {
		t.Errorf("bundle_not_stored after Update: %q %v", r.BundleNotStored, err)
	}
}

// Opening the store removes the temporary files that writers which are
// gone left, and no file that a writer may still be writing.
func TestSQLiteRemovesStaleTempFiles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	folder := filepath.Join(DefaultBundleDir(path), "model-1-1")
	if err := os.MkdirAll(folder, 0o750); err != nil {
		t.Fatal(err)
	}
	stale, fresh := filepath.Join(folder, fileTempPrefix+"stale"), filepath.Join(folder, fileTempPrefix+"fresh")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("half a bundle"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * fileTempGrace)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	st, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a crashed writer's temporary file is still there: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a temporary file being written was removed: %v", err)
	}
}
