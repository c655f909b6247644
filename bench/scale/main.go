// Command scale is the provider's scale benchmark (make bench). It builds
// this provider, the no-I/O floor provider (bench/noio-provider, a module
// of its own with registry_artifact's schema) and the registry server, then
// runs terraform apply, plan and destroy of N artifacts with each provider
// in turn, and prints per phase: seconds, the ratio to the floor, the API
// calls per resource (from the server's request log) and the peak RSS of
// the provider processes.
//
//	go run ./bench/scale -n 1000 -parallelism 10 -backend sqlite
//
// The s3 backend runs on a versitygw: the one VERSITYGW_ENDPOINT,
// VERSITYGW_ACCESS_KEY and VERSITYGW_SECRET_KEY name, or else one of its own
// (internal/teststack).
// Everything listens on 127.0.0.1.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
)

type options struct {
	n, parallelism int
	backend, dir   string
	runs           int
	quietFloor     bool
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 1000, "number of artifacts (resources, with count)")
	flag.IntVar(&o.parallelism, "parallelism", 10, "terraform -parallelism")
	flag.StringVar(&o.backend, "backend", "sqlite", "server storage: memory, sqlite or s3 (versitygw, see VERSITYGW_ENDPOINT)")
	flag.IntVar(&o.runs, "runs", 1, "runs of every phase and provider; the table shows the fastest")
	flag.BoolVar(&o.quietFloor, "quiet-floor", false, "run the no-I/O provider with its logs off, as this provider turns its own off when Terraform discards them")
	flag.StringVar(&o.dir, "dir", "", "working directory (default: a new temporary one, removed afterwards)")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// provider is one of the two providers under test.
type provider struct {
	label, source, typeName, bin, dir string
}

// env is the environment of the provider's terraform runs. The registry
// provider turns its logs off by itself when Terraform discards them (TF_LOG
// and TF_LOG_PROVIDER unset); with -quiet-floor the floor does the same.
func (p *provider) env(base []string, o options) []string {
	if p.label != "no-I/O" || !o.quietFloor {
		return base
	}
	return append(slices.Clone(base), "TF_LOG_SDK=off", "TF_LOG_SDK_PROTO=off", "TF_LOG_SDK_FRAMEWORK=off", "TF_LOG_PROVIDER_NOIO=off")
}

type result struct {
	seconds float64
	// cpu is the user+system time of terraform and the provider processes
	// it ran; serverCPU the server's during the phase. Unlike seconds,
	// they hardly depend on what else the machine runs.
	cpu, serverCPU float64
	calls          int
	peakRSS        int64 // KiB
}

func run(ctx context.Context, o options) error {
	if o.n < 1 || o.parallelism < 1 || o.runs < 1 {
		return errors.New("-n, -parallelism and -runs must be at least 1")
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(root, "bench", "noio-provider", "go.mod")); err != nil {
		return errors.New("run it from the repository root (make bench)")
	}
	dir := o.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "registry-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	dir, _ = filepath.Abs(dir)
	if o.backend == "s3" && os.Getenv("VERSITYGW_ENDPOINT") == "" {
		st, err := teststack.New(filepath.Join(dir, "stack"))
		if err != nil {
			return err
		}
		defer st.Stop()
		fmt.Fprintln(os.Stderr, "starting versitygw")
		if err := st.Start("versitygw"); err != nil {
			return err
		}
	}

	fmt.Fprintln(os.Stderr, "building the provider, the no-I/O provider and the server")
	provs := []*provider{
		{label: "no-I/O", source: "bench/noio", typeName: "noio_artifact", bin: filepath.Join(dir, "noio", "terraform-provider-noio"), dir: filepath.Join(dir, "work-noio")},
		{label: "registry", source: "trustworthy-registry/registry", typeName: "registry_artifact", bin: filepath.Join(dir, "registry", "terraform-provider-registry"), dir: filepath.Join(dir, "work-registry")},
	}
	serverBin := filepath.Join(dir, "registry-server")
	for _, b := range []struct{ dir, out, pkg string }{
		{root, provs[1].bin, "."},
		{filepath.Join(root, "bench", "noio-provider"), provs[0].bin, "."},
		{root, serverBin, "./cmd/registry-server"},
	} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", b.out, b.pkg)
		cmd.Dir, cmd.Stderr = b.dir, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build %s in %s: %w", b.pkg, b.dir, err)
		}
	}
	rc := filepath.Join(dir, "terraformrc")
	if err := os.WriteFile(rc, []byte(fmt.Sprintf(`provider_installation {
  dev_overrides {
    %q = %q
    %q = %q
  }
  direct {}
}
`, provs[0].source, filepath.Dir(provs[0].bin), provs[1].source, filepath.Dir(provs[1].bin))), 0o600); err != nil {
		return err
	}

	srv, err := startServer(ctx, dir, serverBin, o.backend)
	if err != nil {
		return err
	}
	defer srv.stop()

	env := append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1",
		"REGISTRY_ENDPOINT="+srv.base, "REGISTRY_USERNAME="+defaultadmin.Name, "REGISTRY_PASSWORD="+defaultadmin.Password)
	for _, p := range provs {
		if err := os.MkdirAll(p.dir, 0o755); err != nil {
			return err
		}
		tf := fmt.Sprintf(`terraform {
  required_providers {
    x = { source = %q }
  }
}

resource %q "a" {
  provider = x
  count    = %d
  type     = "model"
  url      = "https://huggingface.co/bench/m-${count.index}"
}
`, p.source, p.typeName, o.n)
		if err := os.WriteFile(filepath.Join(p.dir, "main.tf"), []byte(tf), 0o600); err != nil {
			return err
		}
	}

	load := readLoad()
	phases := []string{"apply", "plan", "destroy"}
	best := map[string]map[string]result{}
	for _, phase := range phases {
		best[phase] = map[string]result{}
		for r := 0; r < o.runs; r++ {
			for _, p := range provs {
				res, err := runPhase(ctx, phase, p, o, p.env(env, o), srv)
				if err != nil {
					return err
				}
				if old, ok := best[phase][p.label]; !ok || res.seconds < old.seconds {
					best[phase][p.label] = res
				}
				// Between runs, the registry must hold what the phase says.
				want := o.n
				if phase == "destroy" {
					want = 0
				}
				if p.label == "registry" {
					got, err := srv.count(ctx)
					if err != nil {
						return fmt.Errorf("counting the artifacts after %s: %w", phase, err)
					}
					if got != want {
						return fmt.Errorf("after %s the registry holds %d artifacts, want %d", phase, got, want)
					}
				}
				if phase == "destroy" && r+1 < o.runs {
					if _, err := runPhase(ctx, "apply", p, o, env, srv); err != nil {
						return err
					}
				}
			}
			if phase == "apply" && r+1 < o.runs {
				for _, p := range provs {
					if _, err := runPhase(ctx, "destroy", p, o, env, srv); err != nil {
						return err
					}
				}
			}
		}
	}

	floor := "the floor logs as the framework does by default"
	if o.quietFloor {
		floor = "the floor's logs off (-quiet-floor)"
	}
	fmt.Printf("\nN = %d registry_artifact, parallelism %d, server on %s; %d run(s), fastest shown; %s\n", o.n, o.parallelism, o.backend, o.runs, floor)
	fmt.Printf("load average before/after: %s / %s (the machine may be shared: figures under load)\n\n", load, readLoad())
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tno-I/O s\tregistry s\tratio\tno-I/O CPU s\tregistry CPU s\tserver CPU s\tCPU ratio\tAPI calls/resource\tpeak RSS no-I/O MiB\tpeak RSS registry MiB\t")
	for _, phase := range phases {
		f, r := best[phase]["no-I/O"], best[phase]["registry"]
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.3f\t%.1f\t%.1f\t\n", phase, f.seconds, r.seconds, r.seconds/f.seconds,
			f.cpu, r.cpu, r.serverCPU, (r.cpu+r.serverCPU)/f.cpu,
			float64(r.calls)/float64(o.n), float64(f.peakRSS)/1024, float64(r.peakRSS)/1024)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Println("\nratio: wall-clock seconds, registry / no-I/O. CPU ratio: (terraform and provider CPU + server CPU) /")
	fmt.Println("(terraform and no-I/O provider CPU), which depends far less on the machine's other load.")
	return nil
}

func readLoad() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// runPhase runs one terraform command and measures it.
func runPhase(ctx context.Context, phase string, p *provider, o options, env []string, srv *server) (result, error) {
	args := []string{phase, "-input=false", "-no-color", "-parallelism=" + strconv.Itoa(o.parallelism)}
	switch phase {
	case "apply", "destroy":
		args = append(args, "-auto-approve")
	case "plan":
		// A refresh of everything and no change: exit code 0.
		args = append(args, "-detailed-exitcode")
	}
	cmd := exec.CommandContext(ctx, "terraform", args...)
	cmd.Dir, cmd.Env = p.dir, env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	before, serverBefore := srv.requests(), srv.cpu()
	rss := watchRSS(p.bin)
	start := time.Now()
	err := cmd.Run()
	secs := time.Since(start).Seconds()
	peak := rss()
	if err != nil {
		return result{}, fmt.Errorf("terraform %s with the %s provider: %w\n%s", phase, p.label, err, tail(out.String(), 40))
	}
	// wait4's usage of terraform includes the providers it waited for.
	res := result{seconds: secs, peakRSS: peak, cpu: (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()}
	if p.label == "registry" {
		res.calls = srv.requests() - before
		res.serverCPU = srv.cpu() - serverBefore
	}
	fmt.Fprintf(os.Stderr, "%-8s %-8s %7.2fs  CPU %.2fs + server %.2fs  %d API calls  peak RSS %.1f MiB\n",
		phase, p.label, secs, res.cpu, res.serverCPU, res.calls, float64(peak)/1024)
	return res, nil
}

func tail(s string, lines int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(l[max(0, len(l)-lines):], "\n")
}

// watchRSS polls /proc for processes running bin until the returned func
// is called, which answers the largest peak RSS (VmHWM, KiB) seen.
func watchRSS(bin string) func() int64 {
	var (
		mu   sync.Mutex
		peak int64
	)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if hwm := peakOf(bin); hwm > 0 {
				mu.Lock()
				peak = max(peak, hwm)
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(stop)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

func peakOf(bin string) int64 {
	entries, _ := os.ReadDir("/proc")
	var peak int64
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err != nil || exe != bin {
			continue
		}
		f, err := os.Open(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				peak = max(peak, kb)
			}
		}
		f.Close()
	}
	return peak
}

// server is the registry server under test, its log in a file.
type server struct {
	cmd  *exec.Cmd
	base string
	log  string
}

func startServer(ctx context.Context, dir, bin, backend string) (*server, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "ADDR=" + addr, "STORAGE_FALLBACK=0", "LOG_LEVEL=INFO"}
	switch backend {
	case "memory":
	case "sqlite":
		env = append(env, "USE_SQLITE=1", "SQLALCHEMY_DATABASE_URL=sqlite:///"+filepath.Join(dir, "registry.db"))
	case "s3":
		endpoint := os.Getenv("VERSITYGW_ENDPOINT")
		rnd := make([]byte, 6)
		_, _ = rand.Read(rnd)
		env = append(env, "USE_S3=1", "S3_BUCKET_NAME=bench-"+hex.EncodeToString(rnd), "AWS_REGION=us-east-1",
			"AWS_ENDPOINT_URL_S3="+endpoint, "AWS_ACCESS_KEY_ID="+os.Getenv("VERSITYGW_ACCESS_KEY"),
			"AWS_SECRET_ACCESS_KEY="+os.Getenv("VERSITYGW_SECRET_KEY"))
	default:
		return nil, fmt.Errorf("-backend %q: want memory, sqlite or s3", backend)
	}
	s := &server{cmd: exec.CommandContext(ctx, bin), base: "http://" + addr, log: filepath.Join(dir, "server.log")}
	logFile, err := os.Create(s.log)
	if err != nil {
		return nil, err
	}
	s.cmd.Env, s.cmd.Stdout, s.cmd.Stderr = env, logFile, logFile
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/health", nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			_ = res.Body.Close()
			return s, nil
		}
	}
	s.stop()
	b, _ := os.ReadFile(s.log)
	return nil, fmt.Errorf("the registry server did not answer /health within 30s:\n%s", tail(string(b), 20))
}

func (s *server) stop() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}

// cpu is the user+system seconds the server has used so far.
func (s *server) cpu() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on Linux.
const clockTicks = 100

// requests counts the requests in the server's log so far.
func (s *server) requests() int {
	b, _ := os.ReadFile(s.log)
	return bytes.Count(b, []byte(`"msg":"request"`))
}

// count pages through POST /artifacts and counts the artifacts.
func (s *server) count(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	auth, _ := json.Marshal(map[string]any{"user": map[string]any{"name": defaultadmin.Name, "is_admin": true}, "secret": map[string]any{"password": defaultadmin.Password}})
	var token string
	if err := s.call(ctx, http.MethodPut, "/authenticate", "", auth, &token, nil); err != nil {
		return 0, err
	}
	n, offset := 0, ""
	for {
		var page []json.RawMessage
		var header http.Header
		path := "/artifacts"
		if offset != "" {
			path += "?offset=" + offset
		}
		if err := s.call(ctx, http.MethodPost, path, token, []byte(`[{"name":"*"}]`), &page, &header); err != nil {
			return 0, err
		}
		n += len(page)
		if offset = header.Get("offset"); offset == "" {
			return n, nil
		}
	}
}

func (s *server) call(ctx context.Context, method, path, token string, body []byte, out any, header *http.Header) error {
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Authorization", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	if header != nil {
		*header = res.Header
	}
	return json.Unmarshal(b, out)
}
