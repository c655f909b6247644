package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
)

// Started by a Lambda runtime without TOKEN_SECRET, the binary refuses to
// start and says why and what to do, before it opens any storage.
func TestBinaryLambdaRequiresTokenSecret(t *testing.T) {
	bin := teststack.ServerBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "AWS_LAMBDA_RUNTIME_API=127.0.0.1:1", "USE_S3=1", "S3_BUCKET_NAME=b"}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("Lambda start without TOKEN_SECRET: %v, want exit status 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "TOKEN_SECRET is not set") || !strings.Contains(string(out), "set TOKEN_SECRET in the function's environment") {
		t.Errorf("the failure does not name TOKEN_SECRET and the fix:\n%s", out)
	}
	if strings.Contains(string(out), "storage initialized") {
		t.Errorf("storage was opened before the check:\n%s", out)
	}
}
