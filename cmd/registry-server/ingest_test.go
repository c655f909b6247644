package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// bigModelUpstream plays Hugging Face for one model, org/big, whose one
// file of size bytes is sent slowly the first time: half of it, then
// nothing until the test ends; later requests get it whole. started is
// closed once the first half was sent.
func bigModelUpstream(t *testing.T, size int) (url string, started <-chan struct{}) {
	t.Helper()
	var calls atomic.Int64
	halfSent := make(chan struct{})
	done := make(chan struct{})
	chunk := bytes.Repeat([]byte("B"), 1<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/models/org/big":
			_, _ = w.Write([]byte(`{"id":"org/big","pipeline_tag":"fill-mask","siblings":[{"rfilename":"big.bin","size":` + strconv.Itoa(size) + `}]}`))
		case "/org/big/resolve/main/big.bin":
			w.Header().Set("Content-Length", strconv.Itoa(size))
			first := calls.Add(1) == 1
			for sent := 0; sent < size; sent += len(chunk) {
				if first && sent >= size/2 {
					w.(http.Flusher).Flush()
					close(halfSent)
					select {
					case <-done:
					case <-r.Context().Done():
					}
					return
				}
				if _, err := w.Write(chunk[:min(len(chunk), size-sent)]); err != nil {
					return
				}
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(func() { close(done); srv.Close() })
	return srv.URL, halfSent
}

// kill -9 while a create writes its bundle: after the restart nothing of
// it is visible (not listed), its hidden record is removed once no server
// can still be running that create, and the same create then stores the
// whole bundle.
func TestBinaryKillDuringBundleUploadLeavesNothing(t *testing.T) {
	for _, backend := range []string{"sqlite", "s3"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel() // most of it is waiting for the removal
			const size = 16 << 20
			up, started := bigModelUpstream(t, size)
			// A short INGEST_TIMEOUT: the restarted server removes the
			// hidden record 30 s after that (abandonMargin).
			env := append(storageEnv(t, backend, "ingestkill"), "INGEST=1", "INGEST_TIMEOUT=2s", "HF_ENDPOINT="+up, "GITHUB_API_URL="+up, "TOKEN_SECRET=ingest kill test")
			p := start(t, env...)
			tok := p.login(t)
			body := []byte(`{"url":"https://huggingface.co/org/big"}`)
			go func() {
				req, _ := http.NewRequest(http.MethodPost, p.URL+"/artifact/model", bytes.NewReader(body))
				req.Header.Set("X-Authorization", tok)
				if res, err := http.DefaultClient.Do(req); err == nil {
					res.Body.Close()
				}
			}()
			select {
			case <-started:
			case <-time.After(30 * time.Second):
				t.Fatal("the server never fetched the bundle")
			}
			time.Sleep(300 * time.Millisecond) // the half sent reaches storage
			p.Signal(t, syscall.SIGKILL)
			<-p.Done()

			p = start(t, env...)
			st, b := p.call(t, http.MethodPost, "/artifacts", tok, bytes.NewReader([]byte(`[{"name":"*"}]`)))
			if st != http.StatusOK || string(bytes.TrimSpace(b)) != "[]" {
				t.Errorf("artifacts after the restart: %d %s, want none", st, b)
			}
			// The url is taken (409) until the hidden record is removed.
			deadline := time.Now().Add(90 * time.Second)
			for {
				st, b = p.call(t, http.MethodPost, "/artifact/model", tok, bytes.NewReader(body))
				if st != http.StatusConflict || time.Now().After(deadline) {
					break
				}
				time.Sleep(time.Second)
			}
			var a struct {
				Data struct {
					Bundle *struct {
						SHA256    string `json:"sha256"`
						SizeBytes int64  `json:"size_bytes"`
					} `json:"bundle"`
					BundleNotStored string `json:"bundle_not_stored"`
				} `json:"data"`
			}
			if st != http.StatusCreated || json.Unmarshal(b, &a) != nil || a.Data.Bundle == nil || a.Data.Bundle.SizeBytes < size {
				t.Errorf("the same create after the restart: %d %s, want 201 with the whole bundle", st, b)
			}
			p.stop(t)
		})
	}
}
