package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/sync/errgroup"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// s3Calls counts the S3 operations a client sends, by operation name.
type s3Calls struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *s3Calls) reset() { c.mu.Lock(); c.n = map[string]int{}; c.mu.Unlock() }

func (c *s3Calls) get(op string) int { c.mu.Lock(); defer c.mu.Unlock(); return c.n[op] }

// countingClient is client with every operation counted in calls; reads
// of the reset generation (token checks read it at most once per
// GenerationMaxAge) count apart, as "GetObject state/".
func countingClient(client *s3.Client, calls *s3Calls) *s3.Client {
	calls.reset()
	return s3.New(client.Options(), func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("countCalls",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					op := awsmiddleware.GetOperationName(ctx)
					if get, ok := in.Parameters.(*s3.GetObjectInput); ok && strings.HasPrefix(aws.ToString(get.Key), "state/") {
						op += " state/"
					}
					calls.mu.Lock()
					calls.n[op]++
					calls.mu.Unlock()
					return next.HandleInitialize(ctx, in)
				}), middleware.After)
		})
	})
}

// Paging through 300 artifacts on S3 costs one LIST per page (plus one
// to count the matches against the cap) and one read per artifact: the
// server reads the objects of the page only. Type filters read only the
// artifacts of that type; byName reads only the artifacts of that name.
func TestS3PagingRequestCount(t *testing.T) {
	const n, pageSize = 300, 30
	loc := newLocation(t, "s3")
	var calls s3Calls
	loc.client = countingClient(loc.client, &calls)
	h := newHarness(t, loc, func(c *Config) { c.PageSize = pageSize; c.MaxResults = 10 * n })

	types := []string{"model", "dataset", "code"}
	var g errgroup.Group
	g.SetLimit(16)
	for i := range n {
		g.Go(func() error {
			_, err := h.st.Create(context.Background(), store.Record{
				Metadata: wire.ArtifactMetadata{Name: fmt.Sprintf("name-%d", i%10), Type: types[i%3]},
				URL:      fmt.Sprintf("https://huggingface.co/org/m%d", i),
			}, wire.ArtifactAuditEntry{Action: store.ActionCreate})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("seeding %d artifacts: %v", n, err)
	}
	tok := h.login(defaultadmin.Name, adminPassword)

	// page walks POST /artifacts with body to the end and returns the ids.
	page := func(body string) (ids []string, pages int) {
		offset := ""
		for {
			path := "/artifacts"
			if offset != "" {
				path += "?offset=" + offset
			}
			res := h.do(http.MethodPost, path, body, tok)
			if res.status != http.StatusOK {
				t.Fatalf("POST %s: %d %s", path, res.status, res.body)
			}
			var got []wire.ArtifactMetadata
			res.decode(t, &got)
			for _, m := range got {
				ids = append(ids, string(m.ID))
			}
			pages++
			if offset = res.header.Get("offset"); offset == "" || pages > n {
				return ids, pages
			}
		}
	}

	calls.reset()
	ids, pages := page(`[{"name":"*"}]`)
	if len(ids) != n {
		t.Fatalf("paging returned %d artifacts, want %d", len(ids), n)
	}
	seen := map[string]bool{}
	for i, id := range ids {
		if seen[id] {
			t.Errorf("%s returned twice", id)
		}
		seen[id] = true
		if i > 0 && store.CompareCreation(ids[i-1], id) >= 0 {
			t.Errorf("%s after %s: not in creation order", id, ids[i-1])
		}
	}
	if pages != n/pageSize {
		t.Errorf("%d pages, want %d", pages, n/pageSize)
	}
	if lists, reads := calls.get("ListObjectsV2"), calls.get("GetObject"); lists > pages+1 || reads > n {
		t.Errorf("paging %d artifacts in %d pages: %d LIST and %d GET requests, want at most %d and %d", n, pages, lists, reads, pages+1, n)
	}
	t.Logf("all: %d pages, %v", pages, calls.n)

	calls.reset()
	ids, pages = page(`[{"name":"*","types":["code"]}]`)
	if len(ids) != n/3 {
		t.Errorf("type filter: %d artifacts, want %d", len(ids), n/3)
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, "code-") {
			t.Errorf("type filter returned %s", id)
		}
	}
	if reads := calls.get("GetObject"); reads > len(ids) {
		t.Errorf("type filter: %d GET requests for %d code artifacts", reads, len(ids))
	}
	t.Logf("code: %d pages, %v", pages, calls.n)

	calls.reset()
	res := h.do(http.MethodGet, "/artifact/byName/name-3", nil, tok)
	var named []wire.ArtifactMetadata
	res.decode(t, &named)
	if res.status != http.StatusOK || len(named) != n/10 {
		t.Errorf("byName: %d, %d artifacts, want %d", res.status, len(named), n/10)
	}
	if lists, reads := calls.get("ListObjectsV2"), calls.get("GetObject"); lists > 1 || reads > n/10 {
		t.Errorf("byName of %d artifacts: %d LIST and %d GET requests, want 1 and at most %d", n/10, lists, reads, n/10)
	}
	t.Logf("byName: %v", calls.n)
}

// The offset header names the last artifact of a page; paging goes on
// after it even when that artifact is deleted meanwhile, and artifacts
// created meanwhile come after the ones that existed.
func TestPagingCursor(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc, func(c *Config) { c.PageSize = 2 })
		tok := h.login(defaultadmin.Name, adminPassword)
		var ids []string
		for i := range 5 {
			ids = append(ids, string(h.create(tok, "model", fmt.Sprintf("https://huggingface.co/org/c%d", i)).Metadata.ID))
		}
		res := h.do(http.MethodPost, "/artifacts", `[{"name":"*"}]`, tok)
		offset := res.header.Get("offset")
		if offset != ids[1] {
			t.Fatalf("offset header %q, want the page's last id %s", offset, ids[1])
		}
		if r := h.do(http.MethodDelete, "/artifacts/model/"+ids[1], nil, tok); r.status != http.StatusOK {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		late := h.create(tok, "model", "https://huggingface.co/org/late").Metadata.ID
		var got []string
		for offset != "" {
			res = h.do(http.MethodPost, "/artifacts?offset="+offset, `[{"name":"*"}]`, tok)
			var page []wire.ArtifactMetadata
			res.decode(t, &page)
			for _, m := range page {
				got = append(got, string(m.ID))
			}
			offset = res.header.Get("offset")
		}
		if want := append(ids[2:], string(late)); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("pages after the deleted %s: %v, want %v", ids[1], got, want)
		}
	})
}
