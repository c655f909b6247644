package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
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
	req, _ := http.NewRequest(method, p.URL+path, body)
	if token != "" {
		req.Header.Set("X-Authorization", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
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

func TestConfigFromEnv(t *testing.T) {
	log := slogDiscard()
	t.Setenv("PORT", "9123")
	t.Setenv("TOKEN_TTL", "90m")
	t.Setenv("PAGE_SIZE", "7")
	t.Setenv("TOKEN_SECRET", "s3cret")
	cfg, addr, err := configFromEnv(log, "test")
	if err != nil {
		t.Fatal(err)
	}
	if addr != "127.0.0.1:9123" || cfg.TokenTTL != 90*time.Minute || cfg.PageSize != 7 || string(cfg.TokenSecret) != "s3cret" || cfg.MaxResults != 10000 {
		t.Errorf("config: addr %s ttl %v page %d cap %d", addr, cfg.TokenTTL, cfg.PageSize, cfg.MaxResults)
	}
	t.Setenv("ADDR", "127.0.0.1:1234")
	t.Setenv("TOKEN_TTL", "3600")
	if cfg, addr, _ = configFromEnv(log, "test"); addr != "127.0.0.1:1234" || cfg.TokenTTL != time.Hour {
		t.Errorf("ADDR over PORT, TOKEN_TTL in seconds: %s %v", addr, cfg.TokenTTL)
	}
	for name, value := range map[string]string{"TOKEN_TTL": "soon", "PAGE_SIZE": "0", "MAX_QUERY_RESULTS": "-1", "REGISTRY_USERS_FILE": "/nonexistent/users.json"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, value)
			if _, _, err := configFromEnv(log, "test"); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%s: err = %v, want an error naming %s", name, value, err, name)
			}
		})
	}
	if _, err := parseLevel("LOUD"); err == nil {
		t.Errorf("LOG_LEVEL=LOUD accepted")
	}
	if l, err := parseLevel("warning"); err != nil || l != slog.LevelWarn {
		t.Errorf("LOG_LEVEL=warning: %v %v", l, err)
	}
}

func slogDiscard() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }

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
