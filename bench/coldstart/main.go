// Command coldstart measures the registry server's cold start, n times, in
// S3 mode on a versitygw that it starts (internal/teststack):
//
//   - Lambda: the emulator is up but has not started the function; the time
//     from posting the first event (GET /health, payload 2.0) until its
//     answer covers exec, start-up (storage, password hashing) and the event.
//
//   - process: from exec until the first answered GET /health.
//
//     go run ./bench/coldstart -n 5
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
)

// event is the API Gateway (HTTP API, payload 2.0) event of GET /health.
const event = `{"version":"2.0","routeKey":"$default","rawPath":"/health","headers":{"host":"127.0.0.1"},` +
	`"requestContext":{"http":{"method":"GET","path":"/health","sourceIp":"127.0.0.1"}},"isBase64Encoded":false}`

// initReport is the emulator's log line of the function's init phase.
var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)`)

// client polls without keep-alive, so that every attempt is a new
// connection; the timeout leaves room for the first event's cold start.
var client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func main() {
	n := flag.Int("n", 5, "how many cold starts of each kind")
	flag.Parse()
	if err := run(*n); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

func run(n int) error {
	dir, err := os.MkdirTemp("", "coldstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := teststack.New(dir)
	if err != nil {
		return err
	}
	defer st.Stop()
	for _, c := range []string{"versitygw", "registry-server binary"} {
		if err := st.Start(c); err != nil {
			return err
		}
	}
	rie, err := st.Tool("aws-lambda-rie")
	if err != nil {
		return err
	}
	bin := st.Env()["REGISTRY_SERVER_BIN"]
	env := append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"TOKEN_SECRET=coldstart-secret", "LOG_LEVEL=ERROR"}, st.S3Env("registry-coldstart")...)
	for i := 1; i <= n; i++ {
		if err := lambdaRun(i, rie, bin, env); err != nil {
			return err
		}
		if err := processRun(i, bin, env); err != nil {
			return err
		}
	}
	return nil
}

func lambdaRun(i int, rie, bin string, env []string) error {
	rieAddr, err := teststack.FreeAddr()
	if err != nil {
		return err
	}
	apiAddr, err := teststack.FreeAddr()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(context.Background(), rie, "--log-level", "info",
		"--runtime-interface-emulator-address", rieAddr, "--runtime-api-address", apiAddr, bin)
	cmd.Env = env
	var out teststack.LockedBuffer
	p, err := teststack.Spawn("the emulator", cmd, &out)
	if err != nil {
		return err
	}
	defer p.Stop()
	// Up when it answers a request that is not an invocation.
	if err := poll("http://"+rieAddr+"/", 50*time.Millisecond, p); err != nil {
		return err
	}
	t0 := time.Now()
	body, err := post("http://" + rieAddr + "/2015-03-31/functions/function/invocations")
	took := time.Since(t0)
	if err != nil {
		return fmt.Errorf("lambda: posting the first event: %w; the emulator's log:\n%s", err, out.String())
	}
	if !strings.Contains(body, `"statusCode":200`) {
		return fmt.Errorf("lambda: the first event was not answered with 200: %s\nthe emulator's log:\n%s", body, out.String())
	}
	init := "?"
	if m := initReport.FindStringSubmatch(out.String()); m != nil {
		init = m[1]
	}
	fmt.Printf("lambda  run %d: first event answered after %d ms (the emulator's INIT REPORT: %s ms)\n", i, took.Milliseconds(), init)
	return nil
}

func processRun(i int, bin string, env []string) error {
	addr, err := teststack.FreeAddr()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(context.Background(), bin) //nolint:gosec // G204: the binary the stack built
	cmd.Env = append(env, "ADDR="+addr)
	t0 := time.Now()
	p, err := teststack.Spawn("the registry server", cmd, &teststack.LockedBuffer{})
	if err != nil {
		return err
	}
	defer p.Stop()
	if err := poll("http://"+addr+"/health", 5*time.Millisecond, p); err != nil {
		return err
	}
	fmt.Printf("process run %d: first request answered after %d ms\n", i, time.Since(t0).Milliseconds())
	return nil
}

// poll GETs url every interval until it answers (for /health: 200); it
// fails when p exits first or after a minute.
func poll(url string, interval time.Duration, p *teststack.Process) error {
	start := time.Now()
	for time.Since(start) < time.Minute {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if !strings.HasSuffix(url, "/health") || resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if p.Exited() {
			return fmt.Errorf("%s exited during start-up; the end of its log:\n%s", p.Name, p.Log())
		}
		time.Sleep(interval)
	}
	return errors.New("nothing answered " + url + " within a minute")
}

func post(url string) (string, error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, bytes.NewReader([]byte(event)))
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
