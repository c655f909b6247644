// Command stack starts the whole test stack of internal/teststack for a
// person (scripts/stack.sh runs it): every component on 127.0.0.1, then
// the environment file to source, written only once everything answers.
// It runs until SIGTERM or SIGINT, then stops every process it started.
//
//	stack -dir .stack -env .stack/env
package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
)

func main() {
	dir := flag.String("dir", ".stack", "the stack's folder: logs, databases, binaries")
	envFile := flag.String("env", ".stack/env", "the file of export lines to source, written when the stack is up")
	flag.Parse()
	if err := run(*dir, *envFile); err != nil {
		fmt.Fprintln(os.Stderr, "stack:", err)
		os.Exit(1)
	}
}

func run(dir, envFile string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	st, err := teststack.New(abs)
	if err != nil {
		return err
	}
	defer st.Stop()
	if err := st.StartAll(); err != nil {
		return err
	}
	env := st.Env()
	// An empty CLI configuration that exists, as the tests use.
	env["TF_CLI_CONFIG_FILE"] = filepath.Join(abs, "cli.tfrc")
	if err := os.WriteFile(env["TF_CLI_CONFIG_FILE"], nil, 0o600); err != nil {
		return err
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(env)) {
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(env[k]))
	}
	// Written whole, then renamed: whoever waits for it never reads half.
	tmp := envFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, envFile); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
	return nil
}

// shellQuote quotes v for sh, bash and zsh.
func shellQuote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}
