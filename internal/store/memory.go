package store

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// Memory keeps everything in process memory; nothing survives a restart.
type Memory struct {
	mu     sync.RWMutex
	seq    int64
	byID   map[string]Record
	byURL  map[string]string // type + "\x00" + url -> id
	audits map[string][]wire.ArtifactAuditEntry
	gen    int64
	now    func() time.Time
	blobs  *MemoryBlobs
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{
		byID:   map[string]Record{},
		byURL:  map[string]string{},
		audits: map[string][]wire.ArtifactAuditEntry{},
		now:    time.Now,
		blobs:  NewMemoryBlobs(),
	}
}

func urlKey(typ, url string) string { return typ + "\x00" + normURL(url) }

func (m *Memory) Backend() string  { return "memory" }
func (m *Memory) Describe() string { return "process memory (lost on restart)" }

func (m *Memory) Create(_ context.Context, r Record, e wire.ArtifactAuditEntry) (Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := urlKey(r.Metadata.Type, r.URL)
	if _, ok := m.byURL[key]; ok {
		return Record{}, ErrConflict
	}
	m.seq++
	r.Metadata.ID = wire.ID(FormatID(r.Metadata.Type, m.seq, m.now()))
	m.byID[r.ID()] = r
	m.byURL[key] = r.ID()
	e.Artifact = r.Metadata
	m.audits[r.ID()] = append(m.audits[r.ID()], e)
	return r, nil
}

func (m *Memory) Get(_ context.Context, id string) (Record, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r, ok := m.byID[id]
	if !ok {
		return Record{}, ErrNotFound
	}
	return r, nil
}

func (m *Memory) Update(_ context.Context, r Record, e *wire.ArtifactAuditEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.byID[r.ID()]
	if !ok {
		return ErrNotFound
	}
	newKey := urlKey(old.Metadata.Type, r.URL)
	if owner, ok := m.byURL[newKey]; ok && owner != r.ID() {
		return ErrConflict
	}
	delete(m.byURL, urlKey(old.Metadata.Type, old.URL))
	m.byURL[newKey] = r.ID()
	m.byID[r.ID()] = r
	if e != nil {
		m.audits[r.ID()] = append(m.audits[r.ID()], *e)
	}
	return nil
}

func (m *Memory) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.byID[id]
	if !ok {
		return ErrNotFound
	}
	delete(m.byID, id)
	delete(m.byURL, urlKey(r.Metadata.Type, r.URL))
	delete(m.audits, id)
	m.blobs.deleteArtifact(id)
	return nil
}

func (m *Memory) RefreshBundle(_ context.Context, id string, b Bundle) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.byID[id]
	if !ok || r.Bundle == nil || r.Bundle.Key != b.Key {
		return ErrNotFound
	}
	r.Bundle = &b
	m.byID[id] = r
	return nil
}

func (m *Memory) Blobs() Blobs { return m.blobs }

func (m *Memory) Page(_ context.Context, q Query, after string, limit int) ([]Record, string, error) {
	m.mu.RLock()
	var out []Record
	for _, r := range m.byID {
		if q.Match(r.Metadata) && (after == "" || orderKey(r.ID()) > orderKey(after)) {
			out = append(out, r)
		}
	}
	m.mu.RUnlock()
	sortBySeq(out)
	if limit > 0 && len(out) > limit {
		return out[:limit], out[limit-1].ID(), nil
	}
	return out, "", nil
}

func (m *Memory) Skip(ctx context.Context, q Query, n int) (string, bool, error) {
	recs, _, err := m.Page(ctx, q, "", n)
	if err != nil || len(recs) < n {
		return "", false, err
	}
	return recs[n-1].ID(), true, nil
}

func (m *Memory) Count(_ context.Context, q Query, _ int) (int, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n := 0
	for _, r := range m.byID {
		if q.Match(r.Metadata) {
			n++
		}
	}
	return n, nil
}

func (m *Memory) Each(ctx context.Context, f func(Record) bool) error {
	m.mu.RLock()
	all := make([]Record, 0, len(m.byID))
	for _, r := range m.byID {
		all = append(all, r)
	}
	m.mu.RUnlock()
	for _, r := range all {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !f(r) {
			break
		}
	}
	return nil
}

func sortBySeq(rs []Record) {
	seqs := make(map[string]int64, len(rs))
	for _, r := range rs {
		seqs[r.ID()] = ParseSeq(r.ID())
	}
	slices.SortFunc(rs, func(a, b Record) int {
		return cmp.Or(cmp.Compare(seqs[a.ID()], seqs[b.ID()]), strings.Compare(a.ID(), b.ID()))
	})
}

func (m *Memory) Reset(_ context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.byID = map[string]Record{}
	m.byURL = map[string]string{}
	m.audits = map[string][]wire.ArtifactAuditEntry{}
	m.blobs.reset()
	m.gen++
	return nil
}

func (m *Memory) Generation(context.Context, time.Duration) (int64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.gen, nil
}

func (m *Memory) AppendAudit(_ context.Context, id string, e wire.ArtifactAuditEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.byID[id]; !ok {
		return ErrNotFound
	}
	m.audits[id] = append(m.audits[id], e)
	return nil
}

func (m *Memory) Audit(_ context.Context, id string) ([]wire.ArtifactAuditEntry, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if _, ok := m.byID[id]; !ok {
		return nil, ErrNotFound
	}
	return append([]wire.ArtifactAuditEntry(nil), m.audits[id]...), nil
}

func (m *Memory) Ping(context.Context) error { return nil }
func (m *Memory) Close() error               { return nil }
