package teststack

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/prereq"
)

// active is the stack of the running test binary (Main).
var active *Stack

// Main runs a test package's tests with a stack that starts components on
// first use (Getenv) and stops them all when the tests end; it exits with
// the tests' status. On a failure the stack's folder and logs are kept and
// their ends printed.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "registry-stack-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "teststack:", err)
		return 1
	}
	st, err := New(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "teststack:", err)
		return 1
	}
	// An empty CLI configuration that exists: a developer's own settings
	// stay out, and OpenTofu, which warns before its version about a missing
	// file, keeps a version line the test framework can read.
	cli := filepath.Join(dir, "cli.tfrc")
	if err := os.WriteFile(cli, nil, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "teststack:", err)
		return 1
	}
	if err := os.Setenv("TF_CLI_CONFIG_FILE", cli); err != nil {
		fmt.Fprintln(os.Stderr, "teststack:", err)
		return 1
	}
	active = st
	code := m.Run()
	st.Stop()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "the stack's folder is kept: %s\n%s", dir, st.Logs())
		return code
	}
	_ = os.RemoveAll(dir)
	return code
}

// Lookup returns the variable name; when it is not set and a component of
// the stack provides it, the component is started first (under Main).
func Lookup(name string) (string, error) {
	if v := os.Getenv(name); v != "" || active == nil {
		return v, nil
	}
	c, ok := componentProviding(name)
	if !ok {
		return "", nil
	}
	if err := active.Start(c.name); err != nil {
		return "", err
	}
	return os.Getenv(name), nil
}

// Getenv returns the variable name (see Lookup), or ends t as a missing
// prerequisite when it cannot be had; why says what needs it.
func Getenv(t testing.TB, name, why string) string {
	t.Helper()
	v, msg := lookupFor(name, why)
	if v == "" {
		prereq.Missing(t, msg)
	}
	return v
}

// lookupFor is Lookup, with what to say when the variable cannot be had.
func lookupFor(name, why string) (string, string) {
	v, err := Lookup(name)
	switch {
	case err != nil:
		return "", fmt.Sprintf("%s is not set and the stack could not provide it (%s): %v", name, why, err)
	case v == "":
		return "", fmt.Sprintf("%s is not set: %s", name, why)
	}
	return v, ""
}

// Partly returns the variable name (see Lookup) for a test that can run a
// part without it: when it cannot be had, "" and a note (in strict mode, a
// failure; see prereq.Partly).
func Partly(t testing.TB, name, why string) string {
	t.Helper()
	v, msg := lookupFor(name, why)
	if v == "" {
		prereq.Partly(t, msg)
	}
	return v
}

// ServerBinary is the registry server binary (REGISTRY_SERVER_BIN, built
// once per test binary).
func ServerBinary(t testing.TB) string {
	t.Helper()
	return Getenv(t, "REGISTRY_SERVER_BIN", "the test starts registry server processes of its own")
}

// Server is a registry server process a test started.
type Server struct {
	// URL is its base URL, http://127.0.0.1:port.
	URL  string
	proc *Process
	out  *LockedBuffer
}

// StartServer starts the registry server binary on addr (a free loopback
// port when empty) with PATH, HOME, INGEST=0 and env ("NAME=value"; a
// name given again wins), waits until it
// answers GET /health (healthy or not: some tests start it degraded), and
// kills it when the test ends.
func StartServer(t testing.TB, addr string, env ...string) *Server {
	t.Helper()
	bin := ServerBinary(t)
	if addr == "" {
		var err error
		if addr, err = FreeAddr(); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.CommandContext(context.Background(), bin) //nolint:gosec // G204: the binary the stack built
	cmd.Dir = t.TempDir()
	// INGEST=0 unless env says otherwise: these servers have no upstream
	// (HF_ENDPOINT is the real Hub unless env names the replay), and a
	// create must not download a real model's files.
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "ADDR=" + addr, "INGEST=0"}, env...)
	out := &LockedBuffer{}
	p, err := spawn("registry server", cmd, out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	s := &Server{URL: "http://" + addr, proc: p, out: out}
	if err := waitHTTP(p, s.URL+"/health", registryHealth); err != nil {
		t.Fatal(err)
	}
	return s
}

// Signal sends sig to the server.
func (s *Server) Signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if err := s.proc.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v to the registry server: %v", sig, err)
	}
}

// Done is closed when the server has exited; Err then says how.
func (s *Server) Done() <-chan struct{} { return s.proc.done }

// Err is how the server ended (nil: status 0), once Done is closed.
func (s *Server) Err() error { return s.proc.err }

// Stop sends SIGTERM (unless the server has already exited) and fails t
// unless the server exits 0 within 15 s.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if err := s.proc.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("SIGTERM to the registry server: %v", err)
	}
	select {
	case <-s.proc.done:
		if s.proc.err != nil {
			t.Fatalf("exit after SIGTERM: %v, want status 0; its output:\n%s", s.proc.err, s.Output())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("the registry server did not exit within 15s of SIGTERM; its output:\n%s", s.Output())
	}
}

// Output is everything the server has written so far.
func (s *Server) Output() string { return s.out.String() }

// LockedBuffer is a process's output that a test reads while the process
// runs.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *LockedBuffer) tail() string { return lastLines(b.String(), 40) }

// VersitygwServerEnv is the environment of a registry server process in S3
// mode on the stack's versitygw, with a new bucket (BucketName(prefix)), and
// no fallback to other storage (which would make an S3 test moot).
func VersitygwServerEnv(t testing.TB, prefix string) []string {
	t.Helper()
	endpoint := Getenv(t, "VERSITYGW_ENDPOINT", "the test runs the registry server on versitygw")
	return versitygwS3Env(BucketName(prefix), endpoint, os.Getenv("VERSITYGW_ACCESS_KEY"), os.Getenv("VERSITYGW_SECRET_KEY"))
}

// VersitygwClient is an S3 client of the stack's versitygw, with the
// settings s3bucket.NewClient uses for S3-compatible servers.
func VersitygwClient(t testing.TB) *s3.Client {
	t.Helper()
	endpoint := Getenv(t, "VERSITYGW_ENDPOINT", "the test uses S3 on versitygw")
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(
			os.Getenv("VERSITYGW_ACCESS_KEY"), os.Getenv("VERSITYGW_SECRET_KEY"), ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// BucketName is a new bucket name: prefix, a dash and 12 random hex digits.
func BucketName(prefix string) string {
	rnd := make([]byte, 6)
	_, _ = rand.Read(rnd)
	return prefix + "-" + hex.EncodeToString(rnd)
}

// LoopbackAddr is FreeAddr for a test: a loopback address free now.
func LoopbackAddr(t testing.TB) string {
	t.Helper()
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}
