package s3bucket

import (
	"encoding/json"
	"strings"
)

// ArtifactsPrefix is the key prefix under which the registry stores one
// `artifacts/<id>/metadata.json` object per artifact, and the artifact's
// stored bundle under `artifacts/<id>/files/`.
const ArtifactsPrefix = "artifacts/"

// Partition returns the AWS partition of region, for ARNs.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "eusc-"):
		return "aws-eusc"
	default:
		return "aws"
	}
}

// ARN returns the bucket's ARN in the partition of region ("" means the
// standard partition).
func ARN(bucket, region string) string {
	return "arn:" + Partition(region) + ":s3:::" + bucket
}

// policyDocument and policyStatement fix the key order of the JSON
// documents, so that the rendered text is stable from one plan to the next.
type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid       string         `json:"Sid"`
	Effect    string         `json:"Effect"`
	Principal string         `json:"Principal,omitempty"`
	Action    []string       `json:"Action"`
	Resource  []string       `json:"Resource"`
	Condition map[string]any `json:"Condition,omitempty"`
}

// IAMPolicyJSON returns the least-privilege identity policy the registry
// needs on bucket (the guide's S3AccessPolicy): object read, write and delete
// on its objects and listing on the bucket itself, and aborting its own
// multipart uploads, nothing else. The bundles under artifacts/<id>/files/
// are uploaded in parts: creating, uploading and completing a multipart
// upload is s3:PutObject, but the upload manager's abort of a failed one is
// s3:AbortMultipartUpload, without which its parts would stay (and cost)
// until the lifecycle rule removes them. Presigned download links are
// s3:GetObject.
func IAMPolicyJSON(bucket, region string) string {
	arn := ARN(bucket, region)
	doc := policyDocument{
		Version: "2012-10-17",
		Statement: []policyStatement{
			{
				Sid:      "RegistryArtifactObjects",
				Effect:   "Allow",
				Action:   []string{"s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
				Resource: []string{arn + "/*"},
			},
			{
				Sid:      "RegistryArtifactListing",
				Effect:   "Allow",
				Action:   []string{"s3:ListBucket"},
				Resource: []string{arn},
			},
		},
	}
	return mustJSON(doc)
}

// LambdaEnvironment returns the registry's environment for S3 storage in
// production (the guide's step 3). AWS_REGION is not included: Lambda sets
// it and refuses to have it overridden.
func LambdaEnvironment(bucket string) map[string]string {
	return map[string]string{
		"USE_S3":         "1",
		"S3_BUCKET_NAME": bucket,
		"USE_SQLITE":     "0",
		"ENVIRONMENT":    "production",
		"LOG_LEVEL":      "INFO",
	}
}

// tlsStatementSid identifies the bucket policy statement that enforce_tls
// owns; other statements in the bucket policy are left alone.
const tlsStatementSid = "RegistryDenyInsecureTransport"

func tlsStatement(bucket, region string) policyStatement {
	arn := ARN(bucket, region)
	return policyStatement{
		Sid:       tlsStatementSid,
		Effect:    "Deny",
		Principal: "*",
		Action:    []string{"s3:*"},
		Resource:  []string{arn, arn + "/*"},
		Condition: map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only fixed struct types are marshalled here.
		panic(err)
	}
	return string(b)
}
