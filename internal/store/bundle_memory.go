package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strconv"
	"sync"
	"time"
)

// MemoryBlobs keeps bundles in process memory, for the memory store.
type MemoryBlobs struct {
	mu    sync.RWMutex
	seq   int64
	blobs map[string][]byte
	now   func() time.Time
}

// NewMemoryBlobs returns an empty blob store.
func NewMemoryBlobs() *MemoryBlobs {
	return &MemoryBlobs{blobs: map[string][]byte{}, now: time.Now}
}

func (m *MemoryBlobs) Put(ctx context.Context, id string, r io.Reader, max int64) (Bundle, error) {
	var buf bytes.Buffer
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(&buf, h), io.LimitReader(contextReader{ctx, r}, max+1))
	if err != nil {
		return Bundle{}, err
	}
	if n > max {
		return Bundle{}, ErrTooLarge
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	key := id + "/" + strconv.FormatInt(m.seq, 10)
	m.blobs[key] = buf.Bytes()
	return Bundle{Key: key, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n, StoredAt: m.now().UTC()}, nil
}

func (m *MemoryBlobs) Open(_ context.Context, b Bundle) (io.ReadSeekCloser, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	data, ok := m.blobs[b.Key]
	if !ok {
		return nil, ErrNotFound
	}
	return nopCloser{bytes.NewReader(data)}, nil
}

func (m *MemoryBlobs) Stat(_ context.Context, b Bundle) (BlobInfo, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	data, ok := m.blobs[b.Key]
	if !ok {
		return BlobInfo{}, ErrNotFound
	}
	return BlobInfo{Size: int64(len(data)), Version: b.Version}, nil
}

// Presign: memory blobs are served only by the server itself.
func (m *MemoryBlobs) Presign(context.Context, Bundle, time.Duration) (string, error) { return "", nil }

func (m *MemoryBlobs) Delete(_ context.Context, b Bundle) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.blobs, b.Key)
	return nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// contextReader stops a copy when ctx ends (a client gone, a deadline).
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
