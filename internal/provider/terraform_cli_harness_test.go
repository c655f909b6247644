package provider

import (
	"context"
	"io"
	"os"
	"os/exec"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-exec/tfexec"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/prereq"
)

// The terraform CLI driven directly (terraform-exec), for the commands that
// terraform-plugin-testing does not run, such as `terraform query
// -generate-config-out`. The provider is served in-process as in
// resource.Test: each command reattaches to a debug server of its own.

// testAccTerraformCLI is the CLI of the acceptance tests (TF_ACC_TERRAFORM_PATH,
// else terraform on PATH) working in dir. It skips the test under OpenTofu
// and under a Terraform older than minimum, naming the version and feature.
func testAccTerraformCLI(t *testing.T, dir, feature string, minimum *version.Version) *tfexec.Terraform {
	t.Helper()
	path := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if path == "" {
		var err error
		if path, err = exec.LookPath("terraform"); err != nil {
			prereq.Missing(t, "terraform is not on PATH and TF_ACC_TERRAFORM_PATH is not set")
		}
	}
	tf, err := tfexec.NewTerraform(dir, path)
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := tf.Version(context.Background(), true)
	if err != nil {
		t.Fatalf("terraform version: %v", err)
	}
	if usingOpenTofu() {
		t.Skipf("OpenTofu %s has no %s (a Terraform feature)", v, feature)
	}
	if v.LessThan(minimum) {
		t.Skipf("Terraform CLI version %s is below minimum version %s (%s): skipping test", v, minimum, feature)
	}
	return tf
}

// withProvider serves the provider until cmd returns, passing cmd the
// reattach option that points terraform at it.
func withProvider(t *testing.T, cmd func(tfexec.ReattachInfo) error) error {
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
		t.Fatalf("serving the provider: %v", err)
	}
	defer func() {
		cancel()
		<-closed
	}()
	return cmd(tfexec.ReattachInfo{
		"registry.terraform.io/hashicorp/registry": tfexec.ReattachConfig{
			Protocol:        string(rc.Protocol),
			ProtocolVersion: rc.ProtocolVersion,
			Pid:             rc.Pid,
			Test:            rc.Test,
			Addr:            tfexec.ReattachConfigAddr{Network: rc.Addr.Network(), String: rc.Addr.String()},
		},
	})
}

// testAccProtoV6Server is the provider server of testAccProtoV6ProviderFactories.
func testAccProtoV6Server(t *testing.T) tfprotov6.ProviderServer {
	s, err := testAccProtoV6ProviderFactories["registry"]()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
