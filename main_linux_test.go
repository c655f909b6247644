package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestMain runs the provider itself when a test starts this test binary
// with runProviderEnv set.
func TestMain(m *testing.M) {
	if os.Getenv(runProviderEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

const runProviderEnv = "TEST_RUN_PROVIDER_MAIN"

// Terraform killed with SIGKILL cannot stop its provider: the provider ends
// itself within seconds instead of serving nobody (finding 6 of issue 19:
// it ran on for at least 60 s).
func TestProviderExitsWhenTerraformIsKilled(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// sh stands in for Terraform: it starts the provider as a plugin, prints
	// the provider's process id, and waits.
	cmd := exec.Command("sh", "-c", `"$0" & echo $!; wait`, exe)
	cmd.Env = append(os.Environ(), runProviderEnv+"=1",
		"TF_PLUGIN_MAGIC_COOKIE=d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
		"PLUGIN_PROTOCOL_VERSIONS=6")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		t.Fatal("no process id from the shell")
	}
	pid, err := strconv.Atoi(strings.TrimSpace(lines.Text()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	// The go-plugin handshake line ("1|6|unix|...|grpc|") says it serves.
	if !lines.Scan() || !strings.Contains(lines.Text(), "|grpc") {
		t.Fatalf("the provider did not start serving: %q", lines.Text())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	deadline := time.Now().Add(10 * time.Second)
	for running(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("the provider (process %d) still runs 10 s after Terraform was killed", pid)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// running reports whether process pid runs: it exists and is not a zombie
// (an exited orphan that its new parent has not reaped yet).
func running(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses.
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}

func TestExitWhenParentGone(t *testing.T) {
	var ppid atomic.Int32
	ppid.Store(100)
	exited := make(chan struct{})
	go exitWhenParentGone(100, func() int { return int(ppid.Load()) }, time.Millisecond, func() { close(exited) })
	select {
	case <-exited:
		t.Fatal("exited while the parent is there")
	case <-time.After(20 * time.Millisecond):
	}
	ppid.Store(1)
	select {
	case <-exited:
	case <-time.After(time.Second):
		t.Fatal("did not exit after the parent changed")
	}
}
