package s3bucket

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestNewClient checks the settings that make S3-compatible servers work:
// an endpoint from the s3 block or from AWS_ENDPOINT_URL_S3 turns on
// path-style addressing and 'when required' checksums; AWS itself keeps the
// SDK's defaults.
func TestNewClient(t *testing.T) {
	cases := []struct {
		name      string
		cfg       ClientConfig
		envURL    string
		wantURL   string
		wantPath  bool
		wantLoose bool // checksums only when required
	}{
		{name: "AWS"},
		{name: "path style only", cfg: ClientConfig{UsePathStyle: true}, wantPath: true},
		{name: "s3 block endpoint", cfg: ClientConfig{Endpoint: "http://127.0.0.1:7070"}, wantURL: "http://127.0.0.1:7070", wantPath: true, wantLoose: true},
		{name: "AWS_ENDPOINT_URL_S3", envURL: "http://127.0.0.1:7071", wantURL: "http://127.0.0.1:7071", wantPath: true, wantLoose: true},
		{name: "s3 block wins", cfg: ClientConfig{Endpoint: "http://127.0.0.1:7070"}, envURL: "http://127.0.0.1:7071", wantURL: "http://127.0.0.1:7070", wantPath: true, wantLoose: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Only the environment below: no shared files, no other endpoint.
			missing := filepath.Join(t.TempDir(), "missing")
			for k, v := range map[string]string{
				"AWS_CONFIG_FILE": missing, "AWS_SHARED_CREDENTIALS_FILE": missing, "AWS_PROFILE": "",
				"AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": c.envURL, "AWS_REGION": "eu-west-1",
				"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
			} {
				t.Setenv(k, v)
			}
			client, err := NewClient(context.Background(), c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			o := client.Options()
			if got := aws.ToString(o.BaseEndpoint); got != c.wantURL {
				t.Errorf("endpoint = %q, want %q", got, c.wantURL)
			}
			if o.UsePathStyle != c.wantPath {
				t.Errorf("path style = %v, want %v", o.UsePathStyle, c.wantPath)
			}
			loose := o.RequestChecksumCalculation == aws.RequestChecksumCalculationWhenRequired &&
				o.ResponseChecksumValidation == aws.ResponseChecksumValidationWhenRequired
			if loose != c.wantLoose {
				t.Errorf("checksums only when required = %v, want %v", loose, c.wantLoose)
			}
			if o.Region != "eu-west-1" {
				t.Errorf("region = %q, want eu-west-1 from AWS_REGION", o.Region)
			}
		})
	}
}
