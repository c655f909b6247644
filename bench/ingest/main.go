// Command ingest measures the registry server's ingest of a large bundle:
// for each backend and size, a fresh registry-server process (the stack's
// binary, internal/teststack) creates one Hugging Face model whose one
// file of that size a loopback upstream in this process serves (synthetic
// bytes), and the time of the create (fetch, digest, write, publish) and
// the process's peak resident memory (VmHWM) are printed. Flat memory
// means the peak does not grow with the size.
//
//	go run ./bench/ingest -sizes 50,100,200 -backends sqlite,s3
//
// Linux only (it reads /proc/<pid>/status); loopback only.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
)

func main() {
	sizes := flag.String("sizes", "50,100,200", "bundle sizes in MiB, comma-separated")
	backends := flag.String("backends", "sqlite,s3", "storage backends: sqlite, s3 (versitygw), memory")
	flag.Parse()
	if err := run(strings.Split(*sizes, ","), strings.Split(*backends, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "ingest bench:", err)
		os.Exit(1)
	}
}

func run(sizes, backends []string) error {
	dir, err := os.MkdirTemp("", "ingest-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := teststack.New(dir)
	if err != nil {
		return err
	}
	defer st.Stop()
	if err := st.Start("registry-server binary"); err != nil {
		return err
	}
	up, err := upstream()
	if err != nil {
		return err
	}
	defer up.Close()
	upURL := "http://" + up.Addr
	fmt.Println("backend  size    seconds  MiB/s   peak RSS (VmHWM)  RSS before the create")
	for _, backend := range backends {
		if backend == "s3" {
			if err := st.Start("versitygw"); err != nil {
				return err
			}
		}
		for i, s := range sizes {
			mib, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || mib <= 0 {
				return fmt.Errorf("size %q: want a positive number of MiB", s)
			}
			var env []string
			switch backend {
			case "sqlite":
				env = []string{"USE_SQLITE=1", "SQLALCHEMY_DATABASE_URL=sqlite:///" + filepath.Join(dir, fmt.Sprintf("run-%d.db", i))}
			case "s3":
				env = st.S3Env(fmt.Sprintf("ingest-bench-%d", i))
			case "memory":
			default:
				return fmt.Errorf("backend %q: want sqlite, s3 or memory", backend)
			}
			if err := measure(st.Env()["REGISTRY_SERVER_BIN"], backend, mib, upURL, env); err != nil {
				return err
			}
		}
	}
	return nil
}

// upstream serves the Hugging Face endpoints of bench/synthetic-<MiB>: its
// info lists one file, weights.bin, of that size, sent as pseudo-random
// bytes (a 1 MiB block repeated), with its length.
func upstream() (*http.Server, error) {
	block := make([]byte, 1<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range block {
		block[i] = byte(r.Uint32())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/models/bench/{name}", func(w http.ResponseWriter, r *http.Request) {
		mib, ok := sizeOf(r.PathValue("name"))
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"id":"bench/%s","pipeline_tag":"fill-mask","siblings":[{"rfilename":"weights.bin","size":%d}]}`, r.PathValue("name"), mib<<20)
	})
	mux.HandleFunc("GET /bench/{name}/resolve/main/weights.bin", func(w http.ResponseWriter, r *http.Request) {
		mib, ok := sizeOf(r.PathValue("name"))
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(mib<<20))
		for range mib {
			if _, err := w.Write(block); err != nil {
				return
			}
		}
	})
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, Addr: ln.Addr().String()}
	go func() { _ = srv.Serve(ln) }()
	return srv, nil
}

func sizeOf(name string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(name, "synthetic-"))
	return n, err == nil && n > 0 && strings.HasPrefix(name, "synthetic-")
}

func measure(bin, backend string, mib int, upURL string, env []string) error {
	addr, err := teststack.FreeAddr()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(context.Background(), bin) //nolint:gosec // G204: the binary the stack built
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "ADDR=" + addr, "LOG_LEVEL=ERROR",
		"INGEST=1", "HF_ENDPOINT=" + upURL, "GITHUB_API_URL=" + upURL, "TOKEN_SECRET=ingest-bench"}, env...)
	p, err := teststack.Spawn("the registry server", cmd, &teststack.LockedBuffer{})
	if err != nil {
		return err
	}
	defer p.Stop()
	base := "http://" + addr
	tok, err := login(base)
	if err != nil {
		return fmt.Errorf("%s: %w; its log:\n%s", backend, err, p.Log())
	}
	before, _ := status(cmd.Process.Pid, "VmRSS")
	t0 := time.Now()
	body := fmt.Sprintf(`{"url":"https://huggingface.co/bench/synthetic-%d"}`, mib)
	st, b, err := call(http.MethodPost, base+"/artifact/model", tok, body)
	took := time.Since(t0)
	if err != nil {
		return fmt.Errorf("%s %d MiB: create: %w", backend, mib, err)
	}
	if st != http.StatusCreated {
		return fmt.Errorf("%s %d MiB: create: %d %s", backend, mib, st, b)
	}
	var a struct {
		Data struct {
			Bundle *struct {
				SizeBytes int64 `json:"size_bytes"`
			} `json:"bundle"`
			BundleNotStored string `json:"bundle_not_stored"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &a); err != nil || a.Data.Bundle == nil || a.Data.Bundle.SizeBytes < int64(mib)<<20 {
		return fmt.Errorf("%s %d MiB: the create stored no whole bundle: %s", backend, mib, b)
	}
	peak, err := status(cmd.Process.Pid, "VmHWM")
	if err != nil {
		return err
	}
	fmt.Printf("%-8s %4d MiB %7.2f  %6.1f  %7.1f MiB       %6.1f MiB\n", backend, mib, took.Seconds(), float64(mib)/took.Seconds(), float64(peak)/1024, float64(before)/1024)
	return nil
}

func login(base string) (string, error) {
	b, _ := json.Marshal(map[string]any{"user": map[string]any{"name": defaultadmin.Name, "is_admin": true}, "secret": map[string]any{"password": defaultadmin.Password}})
	deadline := time.Now().Add(time.Minute)
	for {
		st, body, err := call(http.MethodPut, base+"/authenticate", "", string(b))
		var tok string
		if err == nil && st == http.StatusOK && json.Unmarshal(body, &tok) == nil {
			return tok, nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return "", fmt.Errorf("no token within a minute: %w", err)
			}
			return "", fmt.Errorf("no token within a minute: %d %s", st, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func call(method, url, tok, body string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(context.Background(), method, url, bytes.NewReader([]byte(body)))
	if err != nil {
		return 0, nil, err
	}
	if tok != "" {
		req.Header.Set("X-Authorization", tok)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// status reads a field of /proc/<pid>/status, in KiB.
func status(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no " + field + " in /proc/" + strconv.Itoa(pid) + "/status")
}
