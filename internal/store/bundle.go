package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"strconv"
	"time"
)

// ErrTooLarge means a bundle passed the size cap given to Blobs.Put; nothing
// of it is kept.
var ErrTooLarge = errors.New("the bundle is larger than the size cap")

// errNotBlobKey: a record names a blob key that its backend never makes
// (a record edited by hand); it is not followed.
var errNotBlobKey = errors.New("the record's bundle key is not one this storage makes")

// Bundle is the stored bundle of an artifact: what GET of its download_url
// serves. Records refer to it once it is complete (write, then publish).
type Bundle struct {
	// Key locates the blob in its backend (S3: artifacts/<id>/files/<name>,
	// as the guide lays them out; SQLite: a file name in the blob folder;
	// memory: a map key).
	Key string `json:"key"`
	// SHA256 is the lowercase hex digest of the bytes, Size their count.
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size_bytes"`
	// StoredAt is when the blob was written.
	StoredAt time.Time `json:"stored_at"`
	// Version identifies this exact object in its backend (S3: the ETag;
	// SQLite: size and modification time; memory: unused), so that a
	// bundle changed behind the registry's back is noticed (Blobs.Stat).
	// The JSON form is how records keep it (S3: data.bundle of
	// metadata.json; SQLite: the bundle column).
	Version string `json:"version,omitempty"`
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
	// Put streams r into a new blob of artifact id, reading at most limit
	// bytes (ErrTooLarge past it) with bounded memory, and returns the
	// bundle with its digest and size. A failed or interrupted Put leaves
	// nothing that a reader sees; a completed one is seen only through a
	// record that refers to it.
	Put(ctx context.Context, id string, r io.Reader, limit int64) (Bundle, error)
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

// blobName is a new blob's name within its artifact's folder: unique, so
// that a new bundle of an artifact (a new url) is written beside the old
// one, which its record still names until the new one is published.
func blobName(now time.Time) string {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	return "bundle-" + strconv.FormatInt(now.UnixNano(), 10) + "-" + hex.EncodeToString(rnd[:])
}

// capReader is what every Put reads: it hashes and counts the bytes, and
// fails with ErrTooLarge once more than limit came, or with ctx's error
// once ctx ends (a client gone, a deadline), so that no backend reads a
// source past its cap or its deadline.
type capReader struct {
	ctx   context.Context
	r     io.Reader
	limit int64
	n     int64
	h     hash.Hash
}

func newCapReader(ctx context.Context, r io.Reader, limit int64) *capReader {
	return &capReader{ctx: ctx, r: r, limit: limit, h: sha256.New()}
}

func (c *capReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	if c.over() {
		return n, ErrTooLarge
	}
	return n, err
}

// over reports whether more than limit bytes came.
func (c *capReader) over() bool { return c.n > c.limit }

// bundle is what was read, as a Bundle without its key and version.
func (c *capReader) bundle(storedAt time.Time) Bundle {
	return Bundle{SHA256: hex.EncodeToString(c.h.Sum(nil)), Size: c.n, StoredAt: storedAt.UTC()}
}
