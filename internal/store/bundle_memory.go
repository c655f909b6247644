package store

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"time"
)

// MemoryBlobs keeps bundles in process memory, for the memory store.
type MemoryBlobs struct {
	mu    sync.RWMutex
	blobs map[string][]byte // id + "/" + blobName -> bytes
	now   func() time.Time
}

// NewMemoryBlobs returns an empty blob store.
func NewMemoryBlobs() *MemoryBlobs {
	return &MemoryBlobs{blobs: map[string][]byte{}, now: time.Now}
}

func (m *MemoryBlobs) Put(ctx context.Context, id string, r io.Reader, limit int64) (Bundle, error) {
	var buf bytes.Buffer
	cr := newCapReader(ctx, r, limit)
	if _, err := io.Copy(&buf, cr); err != nil {
		if cr.over() {
			return Bundle{}, ErrTooLarge
		}
		return Bundle{}, err
	}
	b := cr.bundle(m.now())
	b.Key = id + "/" + blobName(b.StoredAt)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.blobs[b.Key] = buf.Bytes()
	return b, nil
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

// Presign returns "": memory blobs are served only by the server itself.
func (m *MemoryBlobs) Presign(context.Context, Bundle, time.Duration) (string, error) { return "", nil }

func (m *MemoryBlobs) Delete(_ context.Context, b Bundle) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.blobs, b.Key)
	return nil
}

// deleteArtifact removes every blob of artifact id (Memory.Delete).
func (m *MemoryBlobs) deleteArtifact(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.blobs {
		if strings.HasPrefix(k, id+"/") {
			delete(m.blobs, k)
		}
	}
}

// reset removes every blob (Memory.Reset).
func (m *MemoryBlobs) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.blobs = map[string][]byte{}
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
