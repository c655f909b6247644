// Command gen writes the wire types (../wire.gen.go): it applies the API's
// overlay to the published document (api.Effective) and runs the pinned
// oapi-codegen (tools/oapi-codegen, built by scripts/tools.sh) on the
// result with ../oapi-codegen.yaml. `go generate ./internal/wire/` runs it
// in that folder.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/trustworthy-registry/terraform-provider-registry/api"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "wire: "+err.Error())
		os.Exit(1)
	}
}

func run() error {
	doc, err := api.Effective()
	if err != nil {
		return err
	}
	// go generate runs in the package's folder, internal/wire.
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return err
	}
	out, err := exec.Command("bash", filepath.Join(root, "scripts", "tools.sh"), "path", "oapi-codegen").Output()
	if err != nil {
		return fmt.Errorf("building the pinned oapi-codegen (bash scripts/tools.sh path oapi-codegen): %w", err)
	}
	codegen := strings.TrimSpace(string(out))

	dir, err := os.MkdirTemp("", "wire-gen-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	input := filepath.Join(dir, "openapi-effective.yaml")
	if err := os.WriteFile(input, doc, 0o600); err != nil {
		return err
	}
	cmd := exec.Command(codegen, "-config", "oapi-codegen.yaml", input)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("oapi-codegen: %w", err)
	}
	return nil
}
