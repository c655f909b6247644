package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
)

// enumerate pages through every artifact with POST /artifacts, following
// the offset header, and calls onPage after each page.
func (p *proc) enumerate(t *testing.T, token string, onPage func()) []string {
	t.Helper()
	var ids []string
	offset := ""
	for pages := 0; ; pages++ {
		path := "/artifacts"
		if offset != "" {
			path += "?offset=" + url.QueryEscape(offset)
		}
		req, _ := http.NewRequest(http.MethodPost, p.URL+path, bytes.NewReader([]byte(`[{"name":"*"}]`)))
		req.Header.Set("X-Authorization", token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var page []struct {
			ID string `json:"id"`
		}
		if res.StatusCode != http.StatusOK || json.Unmarshal(b, &page) != nil || pages > 10000 {
			t.Fatalf("POST %s: %d %s", path, res.StatusCode, b)
		}
		for _, m := range page {
			ids = append(ids, m.ID)
		}
		if onPage != nil {
			onPage()
		}
		if offset = res.Header.Get("offset"); offset == "" {
			return ids
		}
	}
}

// Two server processes on one bucket, as several Lambda instances or
// processes behind a load balancer run: the 409 rule holds across them,
// ids are unique and none is lost, and paging on one while the other
// creates neither repeats nor skips an artifact that existed when paging
// began.
func TestBinaryTwoReplicasOneBucket(t *testing.T) {
	env := append(teststack.VersitygwServerEnv(t, "replicas"),
		"PAGE_SIZE=7", "LOG_LEVEL=WARNING")
	replicas := []*proc{start(t, env...), start(t, env...)}
	tokens := []string{replicas[0].login(t), replicas[1].login(t)}
	t.Cleanup(func() { replicas[0].call(t, http.MethodDelete, "/reset", tokens[0], nil) })

	// The same urls from both replicas at once: one 201 per url.
	const urls, triesPerReplica = 8, 3
	var (
		mu      sync.Mutex
		created = map[string]int{}
		ids     = map[string]bool{}
	)
	record := func(u string, status int, id string) error {
		mu.Lock()
		defer mu.Unlock()
		switch status {
		case http.StatusCreated:
			created[u]++
			if ids[id] {
				return fmt.Errorf("id %s given twice", id)
			}
			ids[id] = true
		case http.StatusConflict:
		default:
			return fmt.Errorf("create %s: status %d, want 201 or 409", u, status)
		}
		return nil
	}
	var g errgroup.Group
	for i := range urls {
		u := fmt.Sprintf("https://huggingface.co/org/same-%d", i)
		for r := range 2 * triesPerReplica {
			g.Go(func() error {
				status, a, err := replicas[r%2].create(tokens[r%2], "model", u)
				if err != nil {
					return err
				}
				return record(u, status, a.Metadata.ID)
			})
		}
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for i := range urls {
		if u := fmt.Sprintf("https://huggingface.co/org/same-%d", i); created[u] != 1 {
			t.Errorf("%s created %d times by concurrent creates on two replicas, want once", u, created[u])
		}
	}

	// Distinct urls from both replicas at once: every one created, ids unique.
	const distinct = 40
	g.SetLimit(8)
	for i := range distinct {
		g.Go(func() error {
			u := fmt.Sprintf("https://huggingface.co/datasets/org/d-%d", i)
			status, a, err := replicas[i%2].create(tokens[i%2], "dataset", u)
			if err != nil {
				return err
			}
			if status != http.StatusCreated {
				return fmt.Errorf("create %s: status %d, want 201", u, status)
			}
			return record(u, status, a.Metadata.ID)
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for r, p := range replicas {
		listed := p.enumerate(t, tokens[r], nil)
		if len(listed) != len(ids) {
			t.Errorf("replica %d lists %d artifacts, want the %d created", r, len(listed), len(ids))
		}
		for _, id := range listed {
			if !ids[id] {
				t.Errorf("replica %d lists %s, which no create answered", r, id)
			}
		}
	}

	// Paging on replica 0 while replica 1 creates, a create per page.
	before := map[string]bool{}
	for _, id := range replicas[0].enumerate(t, tokens[0], nil) {
		before[id] = true
	}
	n := 0
	var createErr error
	seen := map[string]int{}
	for _, id := range replicas[0].enumerate(t, tokens[0], func() {
		n++
		status, _, err := replicas[1].create(tokens[1], "code", fmt.Sprintf("https://github.com/org/while-paging-%d", n))
		if err == nil && status != http.StatusCreated {
			err = fmt.Errorf("create while paging: status %d", status)
		}
		createErr = cmp.Or(createErr, err)
	}) {
		seen[id]++
	}
	if createErr != nil {
		t.Fatal(createErr)
	}
	for id, k := range seen {
		if k > 1 {
			t.Errorf("paging while the other replica creates returned %s %d times", id, k)
		}
	}
	for id := range before {
		if seen[id] == 0 {
			t.Errorf("paging while the other replica creates skipped %s, which existed before", id)
		}
	}
	t.Logf("%d artifacts before paging, %d pages, %d seen", len(before), n, len(seen))
}
