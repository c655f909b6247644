// Package teststack starts what the tests run against, from Go: the registry
// server on SQLite, the same server in S3 mode and as a Lambda function (under the Runtime Interface Emulator, behind an in-process API
// Gateway), versitygw and moto_server as child processes, and the recorded
// Hugging Face / GitHub answers, all on 127.0.0.1 with free ports.
//
// A test package hands its TestMain to Main; a test then asks for what it
// needs by the variable that names it (Getenv(t, "VERSITYGW_ENDPOINT",
// ...)): a variable already set (a stack started by hand, someone else's
// registry) is used as it is, otherwise the component that provides it is
// started on first use and stopped when the package's tests end. A
// component that cannot start is a missing prerequisite (internal/prereq):
// a skip, or a failure under REGISTRY_ACC_STRICT=1.
//
// scripts/stack.sh starts the same stack for a person, and scripts/quickstart.sh
// the quickstart's registry (cmd/stack).
package teststack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/lambdaproxy"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/replay"
)

// The stack's fixed settings.
const (
	versitygwAccessKey = "stackaccesskey"
	versitygwSecretKey = "stacksecretkey0123456789"
	registryS3Bucket   = "registry-acc-artifacts"
	lambdaBucket       = "registry-acc-lambda"
	// registryPageSize is small, so that the acceptance tests follow the
	// registry's pagination.
	registryPageSize = 7
	// lambdaRoute is the HTTP API's route besides $default, as
	// examples/storage-for-lambda declares it: names are path parameters, so
	// that encoded slashes survive.
	lambdaRoute = "ANY /artifact/byName/{name}"
)

// A component is one part of the stack: what it needs first, the variables
// it provides, and how it starts.
type component struct {
	name     string
	needs    []string
	provides []string
	start    func(s *Stack) (map[string]string, error)
}

var components = []component{
	{name: "upstream-replay", provides: []string{"UPSTREAM_REPLAY_URL"}, start: (*Stack).startReplay},
	{name: "moto", provides: []string{"MOTO_ENDPOINT"}, start: (*Stack).startMoto},
	{name: "versitygw", provides: []string{"VERSITYGW_ENDPOINT", "VERSITYGW_ACCESS_KEY", "VERSITYGW_SECRET_KEY"}, start: (*Stack).startVersitygw},
	{name: "registry-server binary", provides: []string{"REGISTRY_SERVER_BIN"}, start: (*Stack).buildServer},
	{name: "credentials", provides: []string{"REGISTRY_USERNAME", "REGISTRY_PASSWORD"}, start: registryCredentials},
	{
		name: "registry", needs: []string{"credentials", "upstream-replay", "registry-server binary"},
		provides: []string{"REGISTRY_ENDPOINT"}, start: (*Stack).startRegistry,
	},
	{
		name: "registry-s3", needs: []string{"credentials", "upstream-replay", "versitygw", "registry-server binary"},
		provides: []string{"REGISTRY_S3_ENDPOINT", "REGISTRY_S3_BUCKET"}, start: (*Stack).startRegistryS3,
	},
	{
		name: "registry-lambda", needs: []string{"credentials", "upstream-replay", "versitygw", "registry-server binary"},
		provides: []string{"REGISTRY_LAMBDA_ENDPOINT", "REGISTRY_LAMBDA_INVOKE_URL", "REGISTRY_LAMBDA_BUCKET"}, start: (*Stack).startLambda,
	},
}

// Names lists the components, in the order StartAll starts them.
func Names() []string {
	names := make([]string, len(components))
	for i, c := range components {
		names[i] = c.name
	}
	return names
}

func componentNamed(name string) (component, bool) {
	i := slices.IndexFunc(components, func(c component) bool { return c.name == name })
	if i < 0 {
		return component{}, false
	}
	return components[i], true
}

func componentProviding(variable string) (component, bool) {
	i := slices.IndexFunc(components, func(c component) bool { return slices.Contains(c.provides, variable) })
	if i < 0 {
		return component{}, false
	}
	return components[i], true
}

// Stack is a set of started components, their processes and their folder
// (logs, databases, binaries).
type Stack struct {
	Dir string
	// RegistryAddr is where the SQLite registry ("registry") listens; empty
	// or port 0: a free port. The quickstart fixes it.
	RegistryAddr string
	// RegistryPageSize is that registry's PAGE_SIZE; 0: the server's default.
	RegistryPageSize int
	// Upstreams, when not empty, are the servers' HF_ENDPOINT and
	// GITHUB_API_URL settings instead of the recorded answers (the
	// quickstart online).
	Upstreams []string

	root string // the repository, for scripts/tools.sh and go build

	mu      sync.Mutex
	env     map[string]string
	started map[string]error // the outcome of each component's start
	stops   []func()
}

// New returns an empty stack working in dir, which it creates, with the
// tests' settings.
func New(dir string) (*Stack, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Stack{Dir: dir, RegistryPageSize: registryPageSize, root: root, env: map[string]string{}, started: map[string]error{}}, nil
}

// Start starts the named component and what it needs, once; the variables
// they provide are set in this process's environment too.
func (s *Stack) Start(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startLocked(name)
}

func (s *Stack) startLocked(name string) error {
	if err, done := s.started[name]; done {
		return err
	}
	c, ok := componentNamed(name)
	if !ok {
		return fmt.Errorf("no stack component named %q (there are: %s)", name, strings.Join(Names(), ", "))
	}
	for _, need := range c.needs {
		if err := s.startLocked(need); err != nil {
			s.started[name] = fmt.Errorf("%s needs %s: %w", name, need, err)
			return s.started[name]
		}
	}
	vars, err := c.start(s)
	if err == nil {
		for k, v := range vars {
			s.env[k] = v
			err = cmp.Or(err, os.Setenv(k, v))
		}
	}
	if err != nil {
		err = fmt.Errorf("starting %s: %w", name, err)
	}
	s.started[name] = err
	return err
}

// StartAll starts every component.
func (s *Stack) StartAll() error {
	for _, name := range Names() {
		if err := s.Start(name); err != nil {
			return err
		}
	}
	return nil
}

// Env returns the variables the started components provide.
func (s *Stack) Env() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.env)
}

// Stop ends every component, the last started first.
func (s *Stack) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
	s.stops = nil
}

// Logs returns the end of every log file in the stack's folder, for a
// failed run.
func (s *Stack) Logs() string {
	files, _ := filepath.Glob(filepath.Join(s.Dir, "*.log"))
	var b strings.Builder
	for _, f := range files {
		fmt.Fprintf(&b, "--- %s (end)\n%s\n", f, tailFile(f, 20))
	}
	return b.String()
}

// spawn starts a child process with its log in the stack's folder and stops
// it with the stack.
func (s *Stack) spawn(name string, cmd *exec.Cmd) (*Process, error) {
	f, err := os.Create(filepath.Join(s.Dir, name+".log"))
	if err != nil {
		return nil, err
	}
	p, err := spawn(name, cmd, fileLog{f})
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	s.stops = append(s.stops, func() { p.Stop(); _ = f.Close() })
	return p, nil
}

// serve runs h on a free loopback port in this process until the stack
// stops; it returns the base URL.
func (s *Stack) serve(h http.Handler) (string, error) {
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	s.stops = append(s.stops, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return "http://" + ln.Addr().String(), nil
}

// Tool returns the path of a pinned tool, building it into the per-machine
// cache on first use (scripts/tools.sh).
func (s *Stack) Tool(name string) (string, error) {
	cmd := exec.CommandContext(context.Background(), "bash", "scripts/tools.sh", "path", name)
	cmd.Dir = s.root
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return "", fmt.Errorf("scripts/tools.sh path %s failed: %s", name, strings.TrimSpace(string(exit.Stderr)))
		}
		return "", fmt.Errorf("scripts/tools.sh path %s: %w", name, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func (s *Stack) startReplay() (map[string]string, error) {
	url, err := s.serve(replay.Handler())
	return map[string]string{"UPSTREAM_REPLAY_URL": url}, err
}

func (s *Stack) startMoto() (map[string]string, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, errors.New("moto_server is not on PATH (pip install 'moto[server]')")
	}
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(addr)
	p, err := s.spawn("moto", exec.CommandContext(context.Background(), bin, "-H", host, "-p", port))
	if err != nil {
		return nil, err
	}
	url := "http://" + addr
	return map[string]string{"MOTO_ENDPOINT": url}, waitHTTP(p, url+"/", nil)
}

func (s *Stack) startVersitygw() (map[string]string, error) {
	bin, err := s.Tool("versitygw")
	if err != nil {
		return nil, err
	}
	root, versions := filepath.Join(s.Dir, "vgw", "root"), filepath.Join(s.Dir, "vgw", "versions")
	for _, d := range []string{root, versions} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(context.Background(), bin, "--port", addr, "--quiet", "posix", "--versioning-dir", versions, root)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+versitygwAccessKey, "ROOT_SECRET_KEY="+versitygwSecretKey)
	p, err := s.spawn("versitygw", cmd)
	if err != nil {
		return nil, err
	}
	url := "http://" + addr
	return map[string]string{
		"VERSITYGW_ENDPOINT": url, "VERSITYGW_ACCESS_KEY": versitygwAccessKey, "VERSITYGW_SECRET_KEY": versitygwSecretKey,
	}, waitHTTP(p, url+"/", nil)
}

func (s *Stack) buildServer() (map[string]string, error) {
	bin := filepath.Join(s.Dir, "bin", "registry-server")
	cmd := exec.CommandContext(context.Background(), "go", "build", "-o", bin, "./cmd/registry-server")
	cmd.Dir = s.root
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/registry-server: %w\n%s", err, out)
	}
	return map[string]string{"REGISTRY_SERVER_BIN": bin}, nil
}

// startRegistry runs the registry server on SQLite, as a newcomer first
// starts it: its database in the stack's folder (kept across restarts), at
// RegistryAddr, with RegistryPageSize. (It is the binary, not server.New in
// this process: the server's and the store's own tests use this package.)
func (s *Stack) startRegistry() (map[string]string, error) {
	env := []string{"USE_SQLITE=1", "SQLALCHEMY_DATABASE_URL=sqlite:///" + filepath.Join(s.Dir, "registry.db"), "ENVIRONMENT=development"}
	if s.RegistryPageSize > 0 {
		env = append(env, "PAGE_SIZE="+strconv.Itoa(s.RegistryPageSize))
	}
	url, err := s.runServer("registry", s.RegistryAddr, env...)
	return map[string]string{"REGISTRY_ENDPOINT": url}, err
}

// serverEnv is the environment of a registry server process of the stack:
// PATH, HOME, the upstreams (the recorded ones unless Upstreams are set),
// INFO logs, then env.
func (s *Stack) serverEnv(env ...string) []string {
	upstreams := s.Upstreams
	if len(upstreams) == 0 {
		upstream := s.env["UPSTREAM_REPLAY_URL"]
		upstreams = []string{"HF_ENDPOINT=" + upstream, "GITHUB_API_URL=" + upstream}
	}
	base := append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LOG_LEVEL=INFO"}, upstreams...)
	return append(base, env...)
}

// ErrAddrTaken is the error of a fixed address that another program holds.
var ErrAddrTaken = errors.New("taken by another program")

// runServer runs the server binary at addr (empty or port 0: a free
// loopback port) with serverEnv(env...), and returns its URL once it
// answers healthy.
func (s *Stack) runServer(name, addr string, env ...string) (string, error) {
	addr, err := listenAddr(addr)
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(context.Background(), s.env["REGISTRY_SERVER_BIN"]) //nolint:gosec // G204: the binary the stack built
	cmd.Dir = s.Dir
	cmd.Env = append(s.serverEnv(env...), "ADDR="+addr)
	p, err := s.spawn(name, cmd)
	if err != nil {
		return "", err
	}
	url := "http://" + addr
	return url, waitHTTP(p, url+"/health", registryHealthy)
}

// registryCredentials are those of the registry servers the stack starts: the
// default admin of every registry (the spec's example password, with
// quotes, a backtick and SQL on purpose).
func registryCredentials(*Stack) (map[string]string, error) {
	return map[string]string{"REGISTRY_USERNAME": defaultadmin.Name, "REGISTRY_PASSWORD": defaultadmin.Password}, nil
}

// S3Env is the S3 settings of a registry server on the stack's versitygw
// (started first), in production mode.
func (s *Stack) S3Env(bucket string) []string {
	return append(versitygwS3Env(bucket, s.env["VERSITYGW_ENDPOINT"], versitygwAccessKey, versitygwSecretKey), "ENVIRONMENT=production")
}

// versitygwS3Env is a registry server's S3 settings for bucket on a
// versitygw, with no fallback to other storage (which would make an S3
// test moot).
func versitygwS3Env(bucket, endpoint, accessKey, secretKey string) []string {
	return []string{
		"USE_S3=1", "S3_BUCKET_NAME=" + bucket, "USE_SQLITE=0", "STORAGE_FALLBACK=0",
		"AWS_REGION=us-east-1", "AWS_ENDPOINT_URL_S3=" + endpoint,
		"AWS_ACCESS_KEY_ID=" + accessKey, "AWS_SECRET_ACCESS_KEY=" + secretKey,
	}
}

// startRegistryS3 runs the server binary in S3 mode: its own process, so
// that the AWS settings stay out of the tests' environment.
func (s *Stack) startRegistryS3() (map[string]string, error) {
	url, err := s.runServer("registry-s3", "", s.S3Env(registryS3Bucket)...)
	return map[string]string{"REGISTRY_S3_ENDPOINT": url, "REGISTRY_S3_BUCKET": registryS3Bucket}, err
}

// startLambda runs the server binary as a Lambda function: the emulator
// starts it on the first event, and an in-process API Gateway (HTTP API,
// payload 2.0) sends it the requests.
func (s *Stack) startLambda() (map[string]string, error) {
	rie, err := s.Tool("aws-lambda-rie")
	if err != nil {
		return nil, err
	}
	rieAddr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	apiAddr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(context.Background(), rie, //nolint:gosec // G204: the pinned emulator from scripts/tools.sh
		"--runtime-interface-emulator-address", rieAddr,
		"--runtime-api-address", apiAddr,
		s.env["REGISTRY_SERVER_BIN"])
	cmd.Dir = s.Dir
	cmd.Env = s.serverEnv(append(s.S3Env(lambdaBucket), "TOKEN_SECRET=stack-lambda-token-secret", "AWS_LAMBDA_FUNCTION_TIMEOUT=29")...)
	p, err := s.spawn("registry-lambda", cmd)
	if err != nil {
		return nil, err
	}
	invoke := "http://" + rieAddr + "/2015-03-31/functions/function/invocations"
	url, err := s.serve(&lambdaproxy.Gateway{InvokeURL: invoke, Routes: []string{lambdaRoute}})
	if err != nil {
		return nil, err
	}
	// The first event starts the function: a cold start.
	return map[string]string{"REGISTRY_LAMBDA_ENDPOINT": url, "REGISTRY_LAMBDA_INVOKE_URL": invoke, "REGISTRY_LAMBDA_BUCKET": lambdaBucket},
		waitHTTP(p, url+"/health", registryHealthy)
}

// listenAddr returns addr when it is free now, or a free loopback address
// for an empty addr or port 0.
func listenAddr(addr string) (string, error) {
	if addr == "" || strings.HasSuffix(addr, ":0") {
		return FreeAddr()
	}
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return "", fmt.Errorf("%s is %w", addr, ErrAddrTaken)
		}
		return "", fmt.Errorf("listening on %s: %w", addr, err)
	}
	return addr, l.Close()
}

// repoRoot is the folder of this module's go.mod, found upwards from the
// working directory (a package's folder under go test).
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/trustworthy-registry/terraform-provider-registry\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("the stack runs inside a clone of terraform-provider-registry: no go.mod of it above the working directory")
		}
		dir = parent
	}
}
