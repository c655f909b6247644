package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/prereq"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
)

// The terraform CLI run directly, for the commands that
// terraform-plugin-testing does not run, such as `terraform query
// -generate-config-out`. The provider is served in-process as in
// resource.Test: each command reattaches (TF_REATTACH_PROVIDERS) to a debug
// server of its own.

// terraformCLI runs the terraform of the acceptance tests in a folder.
type terraformCLI struct {
	path, dir string
}

// testAccTerraformCLI is the CLI of the acceptance tests (TF_ACC_TERRAFORM_PATH,
// else terraform on PATH) working in dir. It skips the test under OpenTofu
// and under a Terraform older than minimum, naming the version and feature.
func testAccTerraformCLI(t *testing.T, dir, feature string, minimum *version.Version) terraformCLI {
	t.Helper()
	teststack.Getenv(t, "TF_ACC", "acceptance tests run only with TF_ACC=1")
	path := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if path == "" {
		var err error
		if path, err = exec.LookPath("terraform"); err != nil {
			prereq.Missing(t, "terraform is not on PATH and TF_ACC_TERRAFORM_PATH is not set")
		}
	}
	out, err := exec.Command(path, "version", "-json").Output()
	if err != nil {
		t.Fatalf("%s version -json: %v", path, err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s version -json: %v", path, err)
	}
	got, err := version.NewVersion(v.Version)
	if err != nil {
		t.Fatalf("%s version -json: %v", path, err)
	}
	if usingOpenTofu() {
		t.Skipf("OpenTofu %s has no %s (a Terraform feature)", got, feature)
	}
	if got.LessThan(minimum) {
		t.Skipf("Terraform CLI version %s is below minimum version %s (%s): skipping test", got, minimum, feature)
	}
	return terraformCLI{path: path, dir: dir}
}

// run runs terraform with args while serving the provider, and returns its
// output and exit code; an exit code other than 0 or one of ok is an error
// with the output.
func (c terraformCLI) run(t *testing.T, args []string, ok ...int) (string, int, error) {
	t.Helper()
	var out bytes.Buffer
	code := 0
	err := withProvider(t, func(reattach string) error {
		cmd := exec.Command(c.path, args...)
		cmd.Dir = c.dir
		cmd.Env = append(os.Environ(), "TF_REATTACH_PROVIDERS="+reattach, "TF_IN_AUTOMATION=1", "TF_INPUT=0")
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
			code, err = exit.ExitCode(), nil
		}
		return err
	})
	if err == nil && code != 0 && !containsInt(ok, code) {
		err = fmt.Errorf("terraform %v exited with %d:\n%s", args, code, out.String())
	}
	return out.String(), code, err
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// reattachConfig is an entry of TF_REATTACH_PROVIDERS.
type reattachConfig struct {
	Protocol        string
	ProtocolVersion int
	Pid             int
	Test            bool
	Addr            struct{ Network, String string }
}

// withProvider serves the provider until cmd returns, passing cmd the
// TF_REATTACH_PROVIDERS value that points terraform at it.
func withProvider(t *testing.T, cmd func(reattach string) error) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	config := make(chan *plugin.ReattachConfig)
	closed := make(chan struct{})
	served := make(chan error, 1)
	go func() {
		served <- tf6server.Serve("registry.terraform.io/hashicorp/registry",
			func() tfprotov6.ProviderServer { return testAccProtoV6Server(t) },
			tf6server.WithDebug(ctx, config, closed),
			tf6server.WithGoPluginLogger(hclog.New(&hclog.LoggerOptions{Output: io.Discard})),
			tf6server.WithLoggingSink(t),
		)
	}()
	var rc *plugin.ReattachConfig
	select {
	case rc = <-config:
	case err := <-served:
		cancel()
		return fmt.Errorf("serving the provider: %w", err)
	}
	defer func() {
		cancel()
		<-closed
	}()
	entry := reattachConfig{Protocol: string(rc.Protocol), ProtocolVersion: rc.ProtocolVersion, Pid: rc.Pid, Test: rc.Test}
	entry.Addr.Network, entry.Addr.String = rc.Addr.Network(), rc.Addr.String()
	reattach, err := json.Marshal(map[string]reattachConfig{"registry.terraform.io/hashicorp/registry": entry})
	if err != nil {
		return err
	}
	return cmd(string(reattach))
}

// testAccProtoV6Server is the provider server of testAccProtoV6ProviderFactories.
func testAccProtoV6Server(t *testing.T) tfprotov6.ProviderServer {
	s, err := testAccProtoV6ProviderFactories["registry"]()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
