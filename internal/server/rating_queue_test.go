package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
)

// RATING_MODE=async with a slow upstream: once the rating queue (256) is
// full, a create answers 503 with Retry-After at once and stores nothing;
// it never blocks (it used to, for seconds, and a client that gave up left
// its artifact stored, hidden and never rated, and every retry got 409).
// When the queue drains, the same url is accepted.
func TestRatingAsyncFullQueueRefusesPromptly(t *testing.T) {
	for _, backend := range []string{"memory", "sqlite"} {
		t.Run(backend, func(t *testing.T) {
			release := make(chan struct{})
			var once sync.Once
			reached := make(chan struct{}, 1)
			slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case reached <- struct{}{}:
				default:
				}
				select {
				case <-release:
				case <-r.Context().Done():
				}
				http.NotFound(w, r)
			}))
			t.Cleanup(slow.Close)
			releaseAll := func() { once.Do(func() { close(release) }) }
			t.Cleanup(releaseAll)
			h := newHarness(t, newLocation(t, backend), withUpstream(slow.URL, RatingAsync), func(c *Config) { c.RatingWorkers = 1 })
			tok := h.login(defaultadmin.Name, adminPassword)
			create := func(i int, ctx context.Context) *httptest.ResponseRecorder {
				req := newRequest(t, http.MethodPost, "/artifact/model", fmt.Sprintf(`{"url":"https://huggingface.co/org/queued-%d"}`, i)).WithContext(ctx)
				req.Header.Set("X-Authorization", tok)
				return serveRecorder(h, req)
			}
			if rec := create(0, context.Background()); rec.Code != http.StatusAccepted {
				t.Fatalf("first async create: %d %s", rec.Code, rec.Body)
			}
			<-reached // the one worker is busy with it
			const queue = 256
			for i := 1; i <= queue; i++ {
				if rec := create(i, context.Background()); rec.Code != http.StatusAccepted {
					t.Fatalf("async create %d of a queue of %d: %d %s", i, queue, rec.Code, rec.Body)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			start := time.Now()
			rec := create(queue+1, ctx)
			if took := time.Since(start); rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || took > time.Second {
				t.Errorf("async create with a full queue: %d %s, Retry-After %q, after %s; want 503 with Retry-After at once",
					rec.Code, rec.Body, rec.Header().Get("Retry-After"), took.Round(time.Millisecond))
			}
			if n, err := store.All(context.Background(), h.st); err != nil || len(n) != queue+1 {
				t.Errorf("stored after the refused create: %d artifacts (%v), want the %d accepted ones", len(n), err, queue+1)
			}
			// The slow upstream answers now: the ratings fail and drop their
			// artifacts, the queue drains, and the refused url is accepted.
			releaseAll()
			deadline := time.Now().Add(10 * time.Second)
			for {
				rec := create(queue+1, context.Background())
				if rec.Code == http.StatusAccepted {
					break
				}
				if rec.Code != http.StatusServiceUnavailable || time.Now().After(deadline) {
					t.Fatalf("the refused url once the queue drains: %d %s, want 202", rec.Code, strings.TrimSpace(rec.Body.String()))
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
