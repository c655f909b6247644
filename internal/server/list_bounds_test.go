package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// readCounter is a store that counts the records its Page calls return
// (on S3: the objects they read) and the storage calls of POST /artifacts.
type readCounter struct {
	store.Store
	records, calls atomic.Int64
}

func (c *readCounter) Page(ctx context.Context, q store.Query, after string, limit int) ([]store.Record, string, error) {
	c.calls.Add(1)
	recs, next, err := c.Store.Page(ctx, q, after, limit)
	c.records.Add(int64(len(recs)))
	return recs, next, err
}

func (c *readCounter) Count(ctx context.Context, q store.Query, atMost int) (int, error) {
	c.calls.Add(1)
	return c.Store.Count(ctx, q, atMost)
}

func (c *readCounter) Skip(ctx context.Context, q store.Query, n int) (string, bool, error) {
	c.calls.Add(1)
	return c.Store.Skip(ctx, q, n)
}

// countReads puts a readCounter in front of the harness's store.
func countReads(c **readCounter) harnessOption {
	return func(cfg *Config) {
		*c = &readCounter{Store: cfg.Storage.Store}
		cfg.Storage = &store.Opened{Store: *c, Requested: cfg.Storage.Requested}
	}
}

// A body with more queries than the limit is the client's fault: 400
// naming the limit, before any storage work (it was 503 from SQLite's
// "Expression tree is too large" at 999 queries, and on S3 at 5,000).
func TestListTooManyQueries(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		var c *readCounter
		h := newHarness(t, loc, countReads(&c))
		tok := h.login(defaultadmin.Name, adminPassword)
		h.create(tok, "model", "https://huggingface.co/org/q-1")
		for _, n := range []int{999, 5000} {
			queries := make([]map[string]any, n)
			for i := range queries {
				queries[i] = map[string]any{"name": fmt.Sprintf("q-%d", i), "types": []string{"model"}}
			}
			before := c.calls.Load()
			res := h.do(http.MethodPost, "/artifacts", queries, tok)
			if res.status != http.StatusBadRequest || !strings.Contains(res.errorMessage(t), fmt.Sprint(DefaultLimits.MaxQueries)) {
				t.Errorf("%d queries: %d %s, want 400 naming the limit %d", n, res.status, res.body, DefaultLimits.MaxQueries)
			}
			if calls := c.calls.Load() - before; calls != 0 {
				t.Errorf("%d queries: %d storage calls before the 400, want none", n, calls)
			}
		}
		// Up to the limit, and the same name twice, the query runs.
		queries := make([]map[string]any, DefaultLimits.MaxQueries)
		for i := range queries {
			queries[i] = map[string]any{"name": fmt.Sprintf("q-%d", i%60)}
		}
		var got []wire.ArtifactMetadata
		h.do(http.MethodPost, "/artifacts", queries, tok).decode(t, &got)
		if len(got) != 1 || got[0].Name != "q-1" {
			t.Errorf("%d queries: %+v, want q-1", len(queries), got)
		}
	})
}

// A numeric offset skips without reading the skipped artifacts (on S3 from
// the index), an offset past the end costs no reads at all, and
// MAX_QUERY_RESULTS holds whatever the offset.
func TestListOffsetReadsOnlyItsPage(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		var c *readCounter
		h := newHarness(t, loc, countReads(&c), func(cfg *Config) { cfg.PageSize = 4 })
		tok := h.login(defaultadmin.Name, adminPassword)
		var all []string
		for i := range 20 {
			all = append(all, string(h.create(tok, "dataset", fmt.Sprintf("https://huggingface.co/datasets/org/off-%d", i)).Metadata.ID))
		}
		list := func(offset string) ([]wire.ArtifactMetadata, int64) {
			t.Helper()
			before := c.records.Load()
			var got []wire.ArtifactMetadata
			h.do(http.MethodPost, "/artifacts?offset="+offset, `[{"name":"*"}]`, tok).decode(t, &got)
			return got, c.records.Load() - before
		}
		got, reads := list("1000000000")
		if len(got) != 0 || reads != 0 {
			t.Errorf("offset past the end: %d results, %d records read, want none", len(got), reads)
		}
		got, reads = list("13")
		if len(got) != 4 || string(got[0].ID) != all[13] || string(got[3].ID) != all[16] || reads > 4 {
			t.Errorf("offset 13: %+v with %d records read, want %s..%s reading at most the page of 4", got, reads, all[13], all[16])
		}

		capped := newHarness(t, loc, func(cfg *Config) { cfg.MaxResults = 10 })
		tok = capped.login(defaultadmin.Name, adminPassword)
		for i := range 11 { // memory: this harness has a store of its own
			capped.create(tok, "code", fmt.Sprintf("https://github.com/org/off-%d", i))
		}
		for _, offset := range []string{"", "?offset=5", "?offset=1000000000"} {
			if res := capped.do(http.MethodPost, "/artifacts"+offset, `[{"name":"*"}]`, tok); res.status != http.StatusRequestEntityTooLarge {
				t.Errorf("20 matches over MAX_QUERY_RESULTS 10, offset %q: %d %s, want 413", offset, res.status, res.body)
			}
		}
	})
}
