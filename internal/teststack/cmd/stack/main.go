// Command stack starts, for a person, what the tests start by themselves
// (internal/teststack, the same Go code), then writes the environment file
// to source, only once everything answers. It runs until SIGTERM or SIGINT,
// then stops every process it started.
//
//	stack -dir .stack -env .stack/env     the whole test stack (scripts/stack.sh)
//	stack -quickstart 127.0.0.1:8000 -dir .quickstart -env .quickstart/env \
//	      -cli-config .quickstart/provider/terraformrc     (scripts/quickstart.sh)
//
// With -quickstart it starts the registry server alone, as a newcomer first
// runs it: at that address (port 0: a free one), on SQLite in -dir (kept
// across restarts), with the server's default page size, and with
// HF_ENDPOINT and GITHUB_API_URL from the environment when either is set
// (otherwise the recorded upstream answers). Its environment file holds
// what terraform needs: the endpoint, the default admin's credentials and
// TF_CLI_CONFIG_FILE. It exits with status 3 when the address is taken.
package main

import (
	"context"
	"errors"
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

// exitAddrTaken is the exit status when the quickstart's address is taken,
// so that scripts/quickstart.sh can name the variable that moves it.
const exitAddrTaken = 3

type options struct {
	dir, envFile string
	// quickstart is the registry's address in quickstart mode ("": the
	// whole test stack).
	quickstart string
	cliConfig  string
}

func main() {
	var o options
	flag.StringVar(&o.dir, "dir", ".stack", "the stack's folder: logs, databases, binaries")
	flag.StringVar(&o.envFile, "env", ".stack/env", "the file of export lines to source, written when the stack is up")
	flag.StringVar(&o.quickstart, "quickstart", "", "start only the quickstart's registry server, at this address (port 0: a free one)")
	flag.StringVar(&o.cliConfig, "cli-config", "", "the TF_CLI_CONFIG_FILE of the environment file (default: an empty one in -dir)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "stack:", err)
		if errors.Is(err, teststack.ErrAddrTaken) {
			os.Exit(exitAddrTaken)
		}
		os.Exit(1)
	}
}

func run(o options) error {
	abs, err := filepath.Abs(o.dir)
	if err != nil {
		return err
	}
	st, err := teststack.New(abs)
	if err != nil {
		return err
	}
	defer st.Stop()
	var lines []string
	if o.quickstart != "" {
		lines, err = startQuickstart(st, o.quickstart)
	} else {
		lines, err = startAll(st)
	}
	if err != nil {
		return err
	}
	cli := o.cliConfig
	if cli == "" {
		// An empty CLI configuration that exists, as the tests use.
		cli = filepath.Join(abs, "cli.tfrc")
		if err := os.WriteFile(cli, nil, 0o600); err != nil {
			return err
		}
	}
	if cli, err = filepath.Abs(cli); err != nil {
		return err
	}
	lines = append(lines, export("TF_CLI_CONFIG_FILE", cli))
	// Written whole, then renamed: whoever waits for it never reads half.
	tmp := o.envFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, o.envFile); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
	return nil
}

// startAll starts every component; the environment file exports every
// variable they provide.
func startAll(st *teststack.Stack) ([]string, error) {
	if err := st.StartAll(); err != nil {
		return nil, err
	}
	env := st.Env()
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(env)) {
		lines = append(lines, export(k, env[k]))
	}
	return lines, nil
}

// startQuickstart starts the registry at addr with the server's defaults;
// the environment file says what each variable is.
func startQuickstart(st *teststack.Stack, addr string) ([]string, error) {
	st.RegistryAddr = addr
	st.RegistryPageSize = 0
	for _, k := range []string{"HF_ENDPOINT", "GITHUB_API_URL"} {
		if v := os.Getenv(k); v != "" {
			st.Upstreams = append(st.Upstreams, k+"="+v)
		}
	}
	if err := st.Start("registry"); err != nil {
		return nil, err
	}
	env := st.Env()
	return []string{
		"# The quickstart's registry; source this file, then run terraform.",
		export("REGISTRY_ENDPOINT", env["REGISTRY_ENDPOINT"]),
		"# The server's default admin; REGISTRY_ADMIN_PASSWORD changes its password.",
		export("REGISTRY_USERNAME", env["REGISTRY_USERNAME"]),
		export("REGISTRY_PASSWORD", env["REGISTRY_PASSWORD"]),
		"# This provider through dev_overrides, without terraform init.",
	}, nil
}

// export is a line that sets and exports k in sh, bash and zsh.
func export(k, v string) string {
	return "export " + k + "='" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}
