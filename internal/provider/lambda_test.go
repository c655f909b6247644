package provider

import (
	"os"
	"testing"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/prereq"
)

// The registry as the operations guide deploys it: the server binary as a
// Lambda function (run by the Lambda Runtime Interface Emulator) in S3 mode,
// behind an API Gateway HTTP API (lambda-gateway, payload 2.0). The same
// acceptance tests that run against the process run here, unchanged, with
// the endpoint pointed at the gateway: create, read, update, import,
// destroy, drift, both data sources, the token, and the bucket layout.
// scripts/stack.sh starts the Lambda-shaped stack and sets these variables.
func TestAccLambda(t *testing.T) {
	endpoint, bucket := os.Getenv("REGISTRY_LAMBDA_ENDPOINT"), os.Getenv("REGISTRY_LAMBDA_BUCKET")
	if endpoint == "" || bucket == "" {
		prereq.Missing(t, "REGISTRY_LAMBDA_ENDPOINT and REGISTRY_LAMBDA_BUCKET are not set: the Lambda acceptance tests need the registry under the Lambda Runtime Interface Emulator (scripts/stack.sh start provides it)")
	}
	t.Setenv(envEndpoint, endpoint)

	tests := []struct {
		name string
		test func(*testing.T)
	}{
		{"ArtifactResource_basic", TestAccArtifactResource_basic},
		{"ArtifactResource_drift", TestAccArtifactResource_drift},
		{"ArtifactDataSource", TestAccArtifactDataSource},
		{"ArtifactsDataSource", TestAccArtifactsDataSource},
		{"TokenEphemeralResource", TestAccTokenEphemeralResource},
		{"s3Metadata", func(t *testing.T) {
			// The function's artifacts are in its own bucket, in the
			// guide's layout.
			t.Setenv("REGISTRY_S3_ENDPOINT", endpoint)
			t.Setenv("REGISTRY_S3_BUCKET", bucket)
			TestAccArtifactResource_s3Metadata(t)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.test)
	}
}
