package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/serverconfig"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
)

// TestMain starts, on first use, what the tests ask teststack for (the
// server binary, versitygw), and stops it when they end.
func TestMain(m *testing.M) { teststack.Main(m) }

// authBody is the body of PUT /authenticate for name and password.
func authBody(name, password string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"user": map[string]any{"name": name, "is_admin": name == defaultadmin.Name}, "secret": map[string]any{"password": password}})
	return b
}

// proc is a registry server process of a test, with the calls the tests
// make to it.
type proc struct{ *teststack.Server }

// start starts the server binary with env (see teststack.StartServer).
func start(t *testing.T, env ...string) *proc {
	t.Helper()
	return &proc{teststack.StartServer(t, "", env...)}
}

func (p *proc) call(t *testing.T, method, path, token string, body io.Reader) (int, []byte) {
	t.Helper()
	status, b, err := p.roundTrip(method, path, token, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return status, b
}

// roundTrip is one request, safe from any goroutine: its status and body.
func (p *proc) roundTrip(method, path, token string, body io.Reader) (int, []byte, error) {
	req, err := http.NewRequest(method, p.URL+path, body)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("X-Authorization", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

func (p *proc) login(t *testing.T) string {
	t.Helper()
	st, b := p.call(t, http.MethodPut, "/authenticate", "", bytes.NewReader(authBody(defaultadmin.Name, defaultadmin.Password)))
	var tok string
	if st != http.StatusOK || json.Unmarshal(b, &tok) != nil {
		t.Fatalf("authenticate: %d %s", st, b)
	}
	return tok
}

func (p *proc) stop(t *testing.T) { p.Stop(t) }

// storageEnv is the environment of a server on backend: "sqlite" in a new
// temporary folder, or "s3" on a new bucket (named after prefix) of the
// stack's versitygw.
func storageEnv(t *testing.T, backend, prefix string) []string {
	t.Helper()
	if backend == "s3" {
		return teststack.VersitygwServerEnv(t, prefix)
	}
	return []string{"USE_SQLITE=1", "SQLALCHEMY_DATABASE_URL=sqlite:///" + filepath.Join(t.TempDir(), "registry.db")}
}

// On SIGTERM the server stops accepting, finishes the request in flight and
// exits 0; its SQLite data survives, its tokens (random secret) do not.
func TestBinaryGracefulShutdownAndRestart(t *testing.T) {
	db := "sqlite:///" + filepath.Join(t.TempDir(), "registry.db")
	env := []string{"USE_SQLITE=1", "SQLALCHEMY_DATABASE_URL=" + db, "LOG_LEVEL=INFO", "ENVIRONMENT=test"}
	first := start(t, env...)
	tok := first.login(t)

	// A request whose body is still being sent when SIGTERM arrives.
	pr, pw := io.Pipe()
	type result struct {
		status int
		body   []byte
	}
	inflight := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, first.URL+"/artifact/model", pr)
		req.Header.Set("X-Authorization", tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			inflight <- result{0, []byte(err.Error())}
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		inflight <- result{res.StatusCode, b}
	}()
	fmt.Fprint(pw, `{"url": "https://hugg`)
	// Time for the server to accept the connection and read the headers.
	time.Sleep(time.Second)
	first.Signal(t, syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond)
	if res, err := http.Get(first.URL + "/health"); err == nil {
		res.Body.Close()
		t.Errorf("new connections still accepted after SIGTERM")
	}
	fmt.Fprint(pw, `ingface.co/google-bert/bert-base-uncased"}`)
	pw.Close()
	r := <-inflight
	if r.status != http.StatusCreated {
		t.Fatalf("in-flight request: %d %s", r.status, r.body)
	}
	var created struct {
		Metadata struct{ ID string } `json:"metadata"`
	}
	_ = json.Unmarshal(r.body, &created)
	first.stop(t)
	if !strings.Contains(first.Output(), `"msg":"stopped"`) {
		t.Errorf("no stop record in the log:\n%s", first.Output())
	}

	second := start(t, env...)
	if st, _ := second.call(t, http.MethodGet, "/artifacts/model/"+created.Metadata.ID, tok, nil); st != http.StatusForbidden {
		t.Errorf("token of the previous process: %d, want 403", st)
	}
	tok = second.login(t)
	if st, b := second.call(t, http.MethodGet, "/artifacts/model/"+created.Metadata.ID, tok, nil); st != http.StatusOK || !strings.Contains(string(b), "bert-base-uncased") {
		t.Errorf("after restart: %d %s", st, b)
	}
	second.stop(t)
}

// STORAGE_FALLBACK=0 turns a failed backend into a failed start.
func TestBinaryNoFallbackFailsStart(t *testing.T) {
	bin := teststack.ServerBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "ADDR=" + teststack.LoopbackAddr(t), "USE_S3=1", "S3_BUCKET_NAME=b", "STORAGE_FALLBACK=0",
		"AWS_REGION=us-east-1", "AWS_ENDPOINT_URL_S3=http://127.0.0.1:1", "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=y", "AWS_MAX_ATTEMPTS=1"}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("start with a failing S3 and STORAGE_FALLBACK=0: %v, want exit status 1\n%s", err, out)
	}
	if !strings.Contains(string(out), `"level":"ERROR"`) || !strings.Contains(string(out), "STORAGE_FALLBACK=0") {
		t.Errorf("the failure is not logged and explained:\n%s", out)
	}
}

// -help lists every variable with its default; a bad value stops the
// start with an error naming the variable, its value and what is accepted,
// before any storage is opened; the users file is read at start.
func TestBinaryHelpAndBadValues(t *testing.T) {
	bin := teststack.ServerBinary(t)
	run := func(env []string, args ...string) (string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "ADDR=" + teststack.LoopbackAddr(t)}, env...)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return string(out), exit.ExitCode()
		}
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return string(out), 0
	}
	out, code := run(nil, "-help")
	if code != 0 {
		t.Fatalf("-help: exit %d\n%s", code, out)
	}
	for _, want := range []string{"  PAGE_SIZE (default: 100)", "  USE_S3 (default: 0)", "accepts off, sync or async", "  AWS_LAMBDA_RUNTIME_API\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("-help lacks %q:\n%s", want, out)
		}
	}
	if md, _ := run(nil, "-help-markdown"); md != serverconfig.Markdown() {
		t.Errorf("-help-markdown is not the README table:\n%s", md)
	}
	for _, c := range []struct{ env, want string }{
		{"PAGE_SIZE=0", `PAGE_SIZE "0": want an integer of at least 1`},
		{"USE_SQLITE=yes", `USE_SQLITE "yes": want 1, true, 0 or false`},
		{"LOG_LEVEL=LOUD", `LOG_LEVEL "LOUD": want DEBUG, INFO, WARN (or WARNING) or ERROR (or CRITICAL)`},
		{"REGISTRY_USERS_FILE=/nonexistent/users.json", "REGISTRY_USERS_FILE"},
	} {
		out, code := run([]string{c.env})
		if code != 1 || !strings.Contains(out, c.want) || strings.Contains(out, "storage initialized") {
			t.Errorf("%s: exit %d, want 1 with %q before storage opens\n%s", c.env, code, c.want, out)
		}
	}
}

// The environment a newcomer sets is honoured: LOG_LEVEL filters the JSON
// logs, ENVIRONMENT tags them, REGISTRY_ADMIN_PASSWORD and
// REGISTRY_USERS_FILE define who can log in, and with neither USE_S3 nor
// USE_SQLITE the artifacts live in memory (with a warning).
func TestBinaryEnvironment(t *testing.T) {
	users := filepath.Join(t.TempDir(), "users.json")
	if err := os.WriteFile(users, []byte(`[{"name":"bob","password":"b0b's \"pass\"","is_admin":false}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"ENVIRONMENT=staging", "REGISTRY_ADMIN_PASSWORD=another admin password", "REGISTRY_USERS_FILE=" + users}

	p := start(t, append(env, "LOG_LEVEL=WARNING")...)
	if st, _ := p.call(t, http.MethodPut, "/authenticate", "", bytes.NewReader(authBody(defaultadmin.Name, defaultadmin.Password))); st != http.StatusUnauthorized {
		t.Errorf("the spec's default password with REGISTRY_ADMIN_PASSWORD set: %d, want 401", st)
	}
	st, b := p.call(t, http.MethodPut, "/authenticate", "", bytes.NewReader(authBody("bob", `b0b's "pass"`)))
	var bob string
	if st != http.StatusOK || json.Unmarshal(b, &bob) != nil {
		t.Fatalf("user from REGISTRY_USERS_FILE: %d %s", st, b)
	}
	if st, _ := p.call(t, http.MethodDelete, "/reset", bob, nil); st != http.StatusUnauthorized {
		t.Errorf("reset by the non-admin bob: %d, want 401", st)
	}
	if st, _ := p.call(t, http.MethodPut, "/authenticate", "", bytes.NewReader(authBody(defaultadmin.Name, "another admin password"))); st != http.StatusOK {
		t.Errorf("admin with REGISTRY_ADMIN_PASSWORD: %d, want 200", st)
	}
	if _, b := p.call(t, http.MethodGet, "/health/components", "", nil); !strings.Contains(string(b), `"backend":"memory"`) {
		t.Errorf("storage without USE_S3 or USE_SQLITE is not memory: %s", b)
	}
	p.stop(t)
	logs := p.Output()
	for _, want := range []string{`"level":"WARN"`, `"environment":"staging"`, "artifacts live in memory"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, `"level":"INFO"`) {
		t.Errorf("LOG_LEVEL=WARNING still logs INFO records:\n%s", logs)
	}

	p = start(t, append(env, "LOG_LEVEL=DEBUG")...)
	p.call(t, http.MethodGet, "/health", "", nil)
	p.stop(t)
	if !strings.Contains(p.Output(), `"msg":"request"`) {
		t.Errorf("LOG_LEVEL=DEBUG does not log requests:\n%s", p.Output())
	}
}
