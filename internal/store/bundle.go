package store

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrTooLarge means a bundle passed the size cap given to Blobs.Put; nothing
// of it is kept.
var ErrTooLarge = errors.New("the bundle is larger than the size cap")

// Bundle is the stored bundle of an artifact: what GET of its download_url
// serves. Records refer to it once it is complete (write, then publish).
type Bundle struct {
	// Key locates the blob in its backend (S3: artifacts/<id>/files/<name>,
	// as the guide lays them out; SQLite: a file name in the blob folder;
	// memory: a map key).
	Key string
	// SHA256 is the lowercase hex digest of the bytes, Size their count.
	SHA256 string
	Size   int64
	// StoredAt is when the blob was written.
	StoredAt time.Time
	// Version identifies this exact object in its backend (S3: the ETag;
	// SQLite: size and modification time; memory: unused), so that a
	// bundle changed behind the registry's back is noticed (Blobs.Stat).
	Version string
}

// BlobInfo is what Blobs.Stat reads of a stored blob without reading it.
type BlobInfo struct {
	Size    int64
	Version string // as Bundle.Version
}

// Blobs keeps artifact bundles beside a Store's records: S3 under
// artifacts/<id>/files/ in the same bucket, SQLite in a folder beside the
// database, memory in process memory.
type Blobs interface {
	// Put streams r into a new blob of artifact id, reading at most max
	// bytes (ErrTooLarge past it) with bounded memory, and returns the
	// bundle with its digest and size. A failed or interrupted Put leaves
	// nothing that a reader sees; a completed one is seen only through a
	// record that refers to it.
	Put(ctx context.Context, id string, r io.Reader, max int64) (Bundle, error)
	// Open reads a stored blob; the result seeks, for Range requests
	// (http.ServeContent). ErrNotFound when it is gone.
	Open(ctx context.Context, b Bundle) (io.ReadSeekCloser, error)
	// Stat reads the blob's size and version (ErrNotFound when gone).
	Stat(ctx context.Context, b Bundle) (BlobInfo, error)
	// Presign returns a short-lived url from which a client GETs the blob
	// directly, or "" when the backend serves blobs only through Open.
	Presign(ctx context.Context, b Bundle, ttl time.Duration) (string, error)
	// Delete removes a blob; a missing one is not an error.
	Delete(ctx context.Context, b Bundle) error
}
