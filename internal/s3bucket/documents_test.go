package s3bucket

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestIAMPolicyJSON(t *testing.T) {
	got := IAMPolicyJSON("trustworthy-registry-artifacts-47906", "us-east-1")
	want := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"RegistryArtifactObjects","Effect":"Allow","Action":["s3:PutObject","s3:GetObject","s3:DeleteObject","s3:AbortMultipartUpload"],"Resource":["arn:aws:s3:::trustworthy-registry-artifacts-47906/*"]},` +
		`{"Sid":"RegistryArtifactListing","Effect":"Allow","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::trustworthy-registry-artifacts-47906"]}]}`
	if got != want {
		t.Fatalf("IAMPolicyJSON =\n%s\nwant\n%s", got, want)
	}
	// Valid JSON with exactly the guide's four actions and aborting
	// multipart uploads (the upload manager's cleanup of a failed bundle
	// upload), nothing broader.
	var doc struct {
		Version   string
		Statement []struct {
			Effect   string
			Action   []string
			Resource []string
		}
	}
	if err := json.Unmarshal([]byte(got), &doc); err != nil {
		t.Fatalf("IAMPolicyJSON is not valid JSON: %v", err)
	}
	grants := map[string][]string{}
	for _, s := range doc.Statement {
		if s.Effect != "Allow" {
			t.Fatalf("unexpected effect %q", s.Effect)
		}
		for _, a := range s.Action {
			grants[a] = append(grants[a], s.Resource...)
		}
	}
	wantGrants := map[string][]string{
		"s3:PutObject":            {"arn:aws:s3:::trustworthy-registry-artifacts-47906/*"},
		"s3:GetObject":            {"arn:aws:s3:::trustworthy-registry-artifacts-47906/*"},
		"s3:DeleteObject":         {"arn:aws:s3:::trustworthy-registry-artifacts-47906/*"},
		"s3:AbortMultipartUpload": {"arn:aws:s3:::trustworthy-registry-artifacts-47906/*"},
		"s3:ListBucket":           {"arn:aws:s3:::trustworthy-registry-artifacts-47906"},
	}
	if !reflect.DeepEqual(grants, wantGrants) {
		t.Fatalf("grants = %v, want %v", grants, wantGrants)
	}
	if again := IAMPolicyJSON("trustworthy-registry-artifacts-47906", "us-east-1"); again != got {
		t.Fatal("IAMPolicyJSON is not stable between calls")
	}
}

func TestARNPartition(t *testing.T) {
	cases := map[string]string{
		"":              "arn:aws:s3:::b",
		"eu-west-1":     "arn:aws:s3:::b",
		"cn-north-1":    "arn:aws-cn:s3:::b",
		"us-gov-west-1": "arn:aws-us-gov:s3:::b",
	}
	for region, want := range cases {
		if got := ARN("b", region); got != want {
			t.Errorf("ARN(b, %q) = %q, want %q", region, got, want)
		}
	}
}

func TestLambdaEnvironment(t *testing.T) {
	want := map[string]string{
		"USE_S3":         "1",
		"S3_BUCKET_NAME": "my-bucket",
		"USE_SQLITE":     "0",
		"ENVIRONMENT":    "production",
		"LOG_LEVEL":      "INFO",
	}
	if got := LambdaEnvironment("my-bucket"); !reflect.DeepEqual(got, want) {
		t.Fatalf("LambdaEnvironment = %v, want %v", got, want)
	}
}
