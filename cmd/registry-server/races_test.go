package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
)

// send is roundTrip with body, when not nil, as JSON.
func (p *proc) send(method, path, token string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	return p.roundTrip(method, path, token, rd)
}

// racingReplicas starts two server processes on one new bucket of the
// stack's versitygw with one TOKEN_SECRET, as replicas behind a load
// balancer run, logs in on both and returns them with their tokens and the
// bucket's name.
func racingReplicas(t *testing.T, prefix string) ([]*proc, []string, string) {
	t.Helper()
	env := append(teststack.VersitygwServerEnv(t, prefix), "LOG_LEVEL=WARNING", "TOKEN_SECRET=races-test-secret-"+prefix)
	bucket := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "S3_BUCKET_NAME="); ok {
			bucket = v
		}
	}
	replicas := []*proc{start(t, env...), start(t, env...)}
	tokens := []string{replicas[0].login(t), replicas[1].login(t)}
	return replicas, tokens, bucket
}

// metadataIDs lists the artifacts the bucket holds: the ids under
// artifacts/, read directly, not through a server.
func metadataIDs(t *testing.T, bucket string) []string {
	t.Helper()
	c := teststack.VersitygwClient(t)
	var ids []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("artifacts/")})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			if id, ok := strings.CutSuffix(strings.TrimPrefix(aws.ToString(o.Key), "artifacts/"), "/metadata.json"); ok {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// artifactBody is the create answer's metadata.
type artifactBody struct {
	Metadata struct {
		Name string `json:"name"`
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"metadata"`
}

// create posts a create and returns the answer's status and metadata.
func (p *proc) create(token, typ, u string) (int, artifactBody, error) {
	status, b, err := p.send(http.MethodPost, "/artifact/"+typ, token, map[string]string{"url": u})
	var a artifactBody
	if err == nil && status == http.StatusCreated {
		err = json.Unmarshal(b, &a)
	}
	return status, a, err
}

// update sends PUT /artifacts/{type}/{id} with a new url.
func (p *proc) update(token string, a artifactBody, u string) (int, error) {
	status, _, err := p.send(http.MethodPut, "/artifacts/"+a.Metadata.Type+"/"+a.Metadata.ID, token,
		map[string]any{"metadata": a.Metadata, "data": map[string]string{"url": u}})
	return status, err
}

// An acknowledged DELETE stays done: a PUT of a new url sent with it (the
// DELETE a few milliseconds later, through the other replica) either
// happens before the delete and is deleted with the artifact, or fails.
// After the 200 the artifact is not readable on either replica, and
// neither its old nor its new url is still claimed (both can be created
// again at once).
func TestBinaryDeleteRacingUpdateStaysDeleted(t *testing.T) {
	replicas, tokens, _ := racingReplicas(t, "delrace")
	a, b := replicas[0], replicas[1]
	const pairs = 30
	broken, deleted, updated := 0, 0, 0
	for i := range pairs {
		oldURL := fmt.Sprintf("https://huggingface.co/org/delrace-%d", i)
		newURL := oldURL + "-moved"
		status, art, err := a.create(tokens[0], "model", oldURL)
		if err != nil || status != http.StatusCreated {
			t.Fatalf("create %s: %d %v", oldURL, status, err)
		}
		var putStatus, delStatus int
		var g errgroup.Group
		g.Go(func() (err error) { putStatus, err = a.update(tokens[0], art, newURL); return err })
		g.Go(func() (err error) {
			time.Sleep(4 * time.Millisecond)
			delStatus, _, err = b.send(http.MethodDelete, "/artifacts/model/"+art.Metadata.ID, tokens[1], nil)
			return err
		})
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		if delStatus != http.StatusOK {
			t.Logf("pair %d: DELETE %d, PUT %d", i, delStatus, putStatus)
			continue
		}
		deleted++
		if putStatus == http.StatusOK {
			updated++
		}
		var problems []string
		for r, p := range replicas {
			if st, body, _ := p.send(http.MethodGet, "/artifacts/model/"+art.Metadata.ID, tokens[r], nil); st != http.StatusNotFound {
				problems = append(problems, fmt.Sprintf("replica %d reads it: %d %s", r, st, body))
			}
		}
		for _, u := range []string{newURL, oldURL} {
			if st, _, err := b.create(tokens[1], "model", u); err != nil || st != http.StatusCreated {
				problems = append(problems, fmt.Sprintf("re-creating %s: %d %v", u, st, err))
			}
		}
		if len(problems) > 0 {
			broken++
			t.Errorf("pair %d (PUT %d, DELETE 200): %s", i, putStatus, strings.Join(problems, "; "))
		}
	}
	t.Logf("%d of %d pairs deleted (%d of them after the PUT was applied), %d undone or left half-records", deleted, pairs, updated, broken)
}

// A reset and creates on both replicas at once: a create either finishes
// before the reset and is erased by it, or happens after it and is
// complete (listed, readable, with its CREATE entry). Whatever the bucket
// holds afterwards was answered 201 and is complete.
func TestBinaryCreatesRacingResetLeaveNoHalfRecords(t *testing.T) {
	replicas, tokens, bucket := racingReplicas(t, "resetrace")
	var tokMu sync.Mutex
	token := func(r int) string { tokMu.Lock(); defer tokMu.Unlock(); return tokens[r] }
	// relogin replaces the revoked token old of replica r, once however
	// many creates found it revoked.
	relogin := func(r int, old string) error {
		tokMu.Lock()
		defer tokMu.Unlock()
		if tokens[r] != old {
			return nil
		}
		status, b, err := replicas[r].send(http.MethodPut, "/authenticate", "", authBody(defaultadmin.Name, defaultadmin.Password))
		var tok string
		if err == nil && (status != http.StatusOK || json.Unmarshal(b, &tok) != nil) {
			err = fmt.Errorf("authenticate: %d %s", status, b)
		}
		if err == nil {
			tokens[r] = tok
		}
		return err
	}
	half := 0
	for round := range 3 {
		var (
			mu      sync.Mutex
			created = map[string]bool{}
		)
		var g errgroup.Group
		g.SetLimit(12)
		for i := range 60 {
			if i == 20 {
				g.Go(func() error {
					st, body, err := replicas[0].send(http.MethodDelete, "/reset", token(0), nil)
					if err == nil && st != http.StatusOK {
						err = fmt.Errorf("reset: %d %s", st, body)
					}
					return err
				})
			}
			g.Go(func() error {
				r := i % 2
				u := fmt.Sprintf("https://huggingface.co/org/reset-%d-%d", round, i)
				for try := 0; ; try++ {
					tok := token(r)
					st, art, err := replicas[r].create(tok, "model", u)
					switch {
					case err != nil:
						return err
					case st == http.StatusCreated:
						mu.Lock()
						created[art.Metadata.ID] = true
						mu.Unlock()
						return nil
					case (st == http.StatusForbidden || st == http.StatusServiceUnavailable) && try < 20:
						// Revoked by the reset, or refused while it runs.
						if st == http.StatusForbidden {
							if err := relogin(r, tok); err != nil {
								return err
							}
						}
						time.Sleep(50 * time.Millisecond)
					case st == http.StatusConflict:
						return nil // an earlier try of this url was stored
					default:
						return fmt.Errorf("create %s: status %d", u, st)
					}
				}
			})
		}
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		if err := relogin(0, token(0)); err != nil {
			t.Fatal(err)
		}
		listed := map[string]bool{}
		for _, id := range replicas[0].enumerate(t, token(0), nil) {
			listed[id] = true
		}
		for _, id := range metadataIDs(t, bucket) {
			var problems []string
			if !listed[id] {
				problems = append(problems, "not listed")
			}
			st, body, err := replicas[0].send(http.MethodGet, "/artifact/model/"+id+"/audit", token(0), nil)
			if err != nil || st != http.StatusOK || !strings.Contains(string(body), `"CREATE"`) {
				problems = append(problems, fmt.Sprintf("audit %d %s", st, body))
			}
			if len(problems) > 0 {
				half++
				t.Errorf("round %d: %s survived the reset incomplete: %s", round, id, strings.Join(problems, ", "))
			}
		}
		_, _, _ = replicas[0].send(http.MethodDelete, "/reset", token(0), nil)
		if err := errors.Join(relogin(0, token(0)), relogin(1, token(1))); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d artifacts survived resets incomplete over 3 rounds", half)
}

// A reset through one replica revokes the tokens issued before it on the
// other too, within the generation cache's second; a token issued after it
// works on both.
func TestBinaryResetRevokesTokensOnEveryReplica(t *testing.T) {
	replicas, tokens, _ := racingReplicas(t, "resetrevoke")
	a, b := replicas[0], replicas[1]
	if st, body, err := b.send(http.MethodPost, "/artifacts", tokens[1], []map[string]string{{"name": "*"}}); err != nil || st != http.StatusOK {
		t.Fatalf("list on B before the reset: %d %s %v", st, body, err)
	}
	if st, body, err := a.send(http.MethodDelete, "/reset", tokens[0], nil); err != nil || st != http.StatusOK {
		t.Fatalf("reset through A: %d %s %v", st, body, err)
	}
	fresh := b.login(t)
	reset := time.Now()
	// GenerationMaxAge (1 s), with room for a loaded machine.
	deadline := reset.Add(3 * time.Second)
	for {
		st, _, err := b.send(http.MethodPost, "/artifacts", tokens[1], []map[string]string{{"name": "*"}})
		if err != nil {
			t.Fatal(err)
		}
		if st == http.StatusForbidden {
			t.Logf("the token from before the reset is refused on B %s after the reset", time.Since(reset).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a token issued on B before a reset through A still reads on B %s after the reset: %d", time.Since(reset).Round(time.Millisecond), st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st, _, err := b.create(tokens[1], "model", "https://huggingface.co/org/after-reset"); err != nil || st != http.StatusForbidden {
		t.Errorf("create on B with a token from before the reset: %d %v, want 403", st, err)
	}
	for r, p := range replicas {
		if st, body, err := p.send(http.MethodPost, "/artifacts", fresh, []map[string]string{{"name": "*"}}); err != nil || st != http.StatusOK {
			t.Errorf("replica %d: a token issued on B after the reset: %d %s %v, want 200", r, st, body, err)
		}
	}
}

// Two PUTs of one artifact with different urls at once, one through each
// replica: the url that did not win is free again at once (a create of it
// answers 201, not 409).
func TestBinaryConcurrentUpdatesReleaseLosingURL(t *testing.T) {
	replicas, tokens, _ := racingReplicas(t, "putrace")
	const rounds = 10
	held := 0
	for i := range rounds {
		status, art, err := replicas[0].create(tokens[0], "code", fmt.Sprintf("https://github.com/org/putrace-%d", i))
		if err != nil || status != http.StatusCreated {
			t.Fatalf("create: %d %v", status, err)
		}
		urls := []string{fmt.Sprintf("https://github.com/org/putrace-%d-a", i), fmt.Sprintf("https://github.com/org/putrace-%d-b", i)}
		var g errgroup.Group
		for r := range 2 {
			g.Go(func() error { _, err := replicas[r].update(tokens[r], art, urls[r]); return err })
		}
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		st, body, err := replicas[0].send(http.MethodGet, "/artifacts/code/"+art.Metadata.ID, tokens[0], nil)
		if err != nil || st != http.StatusOK {
			t.Fatalf("read after the PUTs: %d %s %v", st, body, err)
		}
		for _, u := range urls {
			if strings.Contains(string(body), `"`+u+`"`) {
				continue // the url that won
			}
			if st, _, err := replicas[1].create(tokens[1], "code", u); err != nil || st != http.StatusCreated {
				held++
				t.Errorf("round %d: the losing url %s: create answers %d %v, want 201", i, u, st, err)
			}
		}
	}
	t.Logf("%d of %d losing urls still claimed", held, rounds)
}
