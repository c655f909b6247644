package teststack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// startupTimeout bounds how long a process may take to answer.
const startupTimeout = 60 * time.Second

// registryHealthy matches the body of our registry server's GET /health,
// so that another program answering on the port does not count.
var registryHealthy = regexp.MustCompile(`"status": *"ok"`)

// registryHealth matches any answer of our server's GET /health.
var registryHealth = regexp.MustCompile(`"status": *"`)

// Process is a child process of the stack or of a test: its output goes to
// a log file (or buffer), and Stop ends it, SIGTERM first.
type Process struct {
	Name string
	cmd  *exec.Cmd
	log  logSink
	done chan struct{}
	err  error // set when done is closed
}

// logSink is where a process writes; Tail reads its end for error texts.
type logSink interface {
	io.Writer
	tail() string
}

// fileLog is a log file of the stack's folder.
type fileLog struct{ *os.File }

func (f fileLog) tail() string { return tailFile(f.Name(), 40) }

// tailFile is the last n lines of the file at path.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return lastLines(string(b), n)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// spawn starts cmd with its output in log. The process gets its own process
// group, so that Stop also ends what it started (the emulator's function),
// and, on Linux, SIGTERM when the test binary dies.
func spawn(name string, cmd *exec.Cmd, log logSink) (*Process, error) {
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &Process{Name: name, cmd: cmd, log: log, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Spawn starts cmd with its output in out; see spawn.
func Spawn(name string, cmd *exec.Cmd, out *LockedBuffer) (*Process, error) {
	return spawn(name, cmd, out)
}

// Stop sends SIGTERM to the process group, waits up to 10 s (the registry
// server drains in-flight requests), then kills it.
func (p *Process) Stop() {
	pgid := -p.cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-p.done
	}
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Log is the end of the process's output.
func (p *Process) Log() string { return p.log.tail() }

// waitHTTP waits until url answers (with a body that body matches, when
// not nil), failing with the process's log when it exits first or the time
// runs out. p may be nil for an in-process server.
func waitHTTP(p *Process, url string, body *regexp.Regexp) error {
	// No keep-alive: an idle connection of ours would hold up a server's
	// graceful stop, which some tests measure.
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(startupTimeout)
	for {
		if answersWith(client, url, body) {
			return nil
		}
		if p != nil && p.Exited() {
			return fmt.Errorf("%s exited during start-up (%w); the end of its log:\n%s", p.Name, p.err, p.Log())
		}
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("nothing answered %s within %s", url, startupTimeout)
			if p != nil {
				msg = fmt.Sprintf("%s did not answer %s within %s; the end of its log:\n%s", p.Name, url, startupTimeout, p.Log())
			}
			return errors.New(msg)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func answersWith(client *http.Client, url string, body *regexp.Regexp) bool {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return body == nil || body.Match(b)
}

// FreeAddr returns a loopback address whose port is free now. Another
// process may take it before the caller binds it; the stack's start-up
// checks catch that.
func FreeAddr() (string, error) {
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port on 127.0.0.1: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}
