package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// createdID is the id of a 201 answer.
func createdID(t *testing.T, body []byte) string {
	t.Helper()
	var a struct {
		Metadata struct{ ID string } `json:"metadata"`
	}
	if err := json.Unmarshal(body, &a); err != nil || a.Metadata.ID == "" {
		t.Fatalf("201 without an artifact: %s", body)
	}
	return a.Metadata.ID
}

// burstUntilKilled creates artifacts from several clients until the server
// process is killed with SIGKILL after some creates were acknowledged, and
// returns the ids of every create answered 201.
func burstUntilKilled(t *testing.T, p *proc, tok string, round int) []string {
	t.Helper()
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	enough := make(chan struct{})
	var once sync.Once
	for w := range 8 {
		wg.Go(func() {
			client := &http.Client{Timeout: 10 * time.Second}
			for i := 0; ; i++ {
				body := fmt.Sprintf(`{"url":"https://huggingface.co/crash/r%d-w%d-%d"}`, round, w, i)
				req, _ := http.NewRequest(http.MethodPost, p.URL+"/artifact/model", strings.NewReader(body))
				req.Header.Set("X-Authorization", tok)
				res, err := client.Do(req)
				if err != nil {
					return // killed
				}
				b := make([]byte, 4096)
				n, _ := res.Body.Read(b)
				res.Body.Close()
				if res.StatusCode != http.StatusCreated {
					continue
				}
				mu.Lock()
				acked = append(acked, createdID(t, b[:n]))
				if len(acked) >= 30 {
					once.Do(func() { close(enough) })
				}
				mu.Unlock()
			}
		})
	}
	select {
	case <-enough:
	case <-time.After(20 * time.Second):
		t.Fatal("fewer than 30 creates acknowledged in 20s")
	}
	p.Signal(t, syscall.SIGKILL)
	<-p.Done()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return acked
}

// checkEveryArtifactAudited asserts that every acknowledged create is
// stored, and that every stored artifact (acknowledged or not) has its
// CREATE audit entry.
func checkEveryArtifactAudited(t *testing.T, p *proc, tok string, acked []string) {
	t.Helper()
	st, b := p.call(t, http.MethodPost, "/artifacts?offset=0", tok, strings.NewReader(`[{"name":"*"}]`))
	var stored []struct{ ID string }
	if st != http.StatusOK || json.Unmarshal(b, &stored) != nil {
		t.Fatalf("listing after the restart: %d %s", st, b)
	}
	ids := map[string]bool{}
	for _, s := range stored {
		ids[s.ID] = true
	}
	for _, id := range acked {
		if !ids[id] {
			t.Errorf("artifact %s was acknowledged with 201 but is gone after kill -9", id)
		}
	}
	for id := range ids {
		st, b := p.call(t, http.MethodGet, "/artifact/model/"+id+"/audit", tok, nil)
		var trail []struct {
			Action   string
			Artifact struct{ ID string }
		}
		if st != http.StatusOK || json.Unmarshal(b, &trail) != nil {
			t.Fatalf("audit of %s: %d %s", id, st, b)
		}
		if len(trail) == 0 || trail[0].Action != "CREATE" || trail[0].Artifact.ID != id {
			t.Errorf("artifact %s has no CREATE audit entry after kill -9: %s", id, b)
		}
	}
	t.Logf("%d creates acknowledged, %d artifacts stored and checked", len(acked), len(ids))
}

// kill -9 in the middle of a burst of creates, three times: after each
// restart every 201 has its artifact, and every artifact its CREATE entry
// (they are written in one transaction on SQLite, entry first on S3).
func TestBinaryAuditSurvivesKill(t *testing.T) {
	for _, backend := range []string{"sqlite", "s3"} {
		t.Run(backend, func(t *testing.T) {
			env := storageEnv(t, backend, "crash")
			env = append(env, "TOKEN_SECRET=crash test secret", "PAGE_SIZE=100000")
			var acked []string
			for round := range 3 {
				p := start(t, env...)
				acked = append(acked, burstUntilKilled(t, p, p.login(t), round)...)
			}
			p := start(t, env...)
			tok := p.login(t)
			checkEveryArtifactAudited(t, p, tok, acked)
			if st, b := p.call(t, http.MethodDelete, "/reset", tok, nil); st != http.StatusOK {
				t.Errorf("reset: %d %s", st, b)
			}
			p.stop(t)
		})
	}
}

// On SIGTERM a keep-alive connection stays usable for a request that
// arrives just after: it is answered, with Connection: close, on the same
// connection; new connections are refused; and the server exits as soon as
// no connection is left, well before the grace period ends.
func TestBinaryShutdownAnswersArrivingRequest(t *testing.T) {
	p := start(t, "SHUTDOWN_IDLE_GRACE=30s")
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}}
	type answer struct {
		status        int
		close, reused bool
	}
	get := func() (answer, error) {
		var a answer
		trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { a.reused = i.Reused }}
		req, _ := http.NewRequest(http.MethodGet, p.URL+"/health", nil)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
		res, err := client.Do(req)
		if err != nil {
			return a, err
		}
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, res.Body) // read to the end, or the connection is not kept
		a.status, a.close = res.StatusCode, res.Close
		return a, nil
	}
	if _, err := get(); err != nil {
		t.Fatal(err)
	}
	p.Signal(t, syscall.SIGTERM)
	// Once new connections are refused, the server has begun to stop.
	hostPort := strings.TrimPrefix(p.URL, "http://")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", hostPort, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("new connections still accepted 10s after SIGTERM")
		}
	}
	sent := time.Now()
	a, err := get()
	if err != nil {
		t.Fatalf("request on the idle connection just after SIGTERM: %v", err)
	}
	if !a.reused || a.status != http.StatusOK || !a.close {
		t.Errorf("after SIGTERM: reused %v, status %d, Connection: close %v; want the idle connection answered 200 with Connection: close", a.reused, a.status, a.close)
	}
	select {
	case <-p.Done():
		err := p.Err()
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, p.Output())
		}
		t.Logf("exited %v after the last answer", time.Since(sent))
	case <-time.After(15 * time.Second):
		t.Fatal("still running 15s after its last connection closed (grace 30s): it does not stop once no connection is left")
	}
}

// Clients that keep sending non-idempotent requests (which no client
// retries by itself) on keep-alive connections while the server stops see
// either an answer or a refused new connection, never a connection closed
// under a request they had sent.
func TestBinaryShutdownUnderLoad(t *testing.T) {
	p := start(t, "SHUTDOWN_IDLE_GRACE=5s")
	tok := p.login(t)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		answered int
		broken   []string
	)
	stopAt := make(chan struct{})
	for range 10 {
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}, Timeout: 10 * time.Second}
			for {
				req, _ := http.NewRequest(http.MethodPost, p.URL+"/artifacts", strings.NewReader(`[{"name":"*"}]`))
				req.Header.Set("X-Authorization", tok)
				res, err := client.Do(req)
				if err != nil {
					var op *net.OpError
					if !errors.As(err, &op) || op.Op != "dial" {
						mu.Lock()
						broken = append(broken, err.Error())
						mu.Unlock()
					}
					return
				}
				_, _ = io.Copy(io.Discard, res.Body) // read to the end, or the connection is not kept
				res.Body.Close()
				mu.Lock()
				answered++
				mu.Unlock()
				select {
				case <-stopAt:
					if res.Close {
						return // told that the connection ends; a new one would be refused
					}
				default:
				}
			}
		})
	}
	time.Sleep(500 * time.Millisecond)
	p.Signal(t, syscall.SIGTERM)
	close(stopAt)
	wg.Wait()
	select {
	case <-p.Done():
		err := p.Err()
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit within 15s of SIGTERM")
	}
	if len(broken) > 0 {
		t.Errorf("%d requests failed on a connection the server closed under them: %q", len(broken), broken)
	}
	t.Logf("%d requests answered", answered)
}
