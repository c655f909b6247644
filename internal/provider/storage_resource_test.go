package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/s3bucket"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
)

// TestAccStorageResource_moto covers the resource against AWS semantics:
// create with defaults, every setting read back through the SDK, drift on
// each setting planned and repaired, import, a refused destroy that loses
// nothing, and force_destroy of versions and delete markers.
func TestAccStorageResource_moto(t *testing.T) {
	srv := testAccMoto(t)
	ctx := context.Background()
	var bucket string
	var buckets []string

	defaults := srv.config(`resource "registry_storage" "test" {}`)
	full := srv.config(`
resource "registry_storage" "test" {
  enforce_tls                            = true
  noncurrent_version_expiration_days     = 30
  abort_incomplete_multipart_upload_days = 3
  tags = {
    team = "ml-platform"
    env  = "acc"
  }
}`)
	hardened := expectBucket{versioning: "Enabled", blockPublic: true, sse: "AES256", abortDays: 7}
	fullWant := hardened
	fullWant.enforceTLS = true
	fullWant.noncurrentDays = 30
	fullWant.abortDays = 3
	fullWant.tags = map[string]string{"team": "ml-platform", "env": "acc"}
	checkFull := bucketState(func(name string) error { return srv.check(ctx, name, fullWant) })

	steps := []resource.TestStep{
		{
			// The operations guide's bucket, with nothing configured.
			Config: defaults,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(storageAddr, plancheck.ResourceActionCreate),
				plancheck.ExpectUnknownValue(storageAddr, tfjsonpath.New("bucket")),
				plancheck.ExpectKnownValue(storageAddr, tfjsonpath.New("bucket_prefix"), knownvalue.StringExact(s3bucket.DefaultPrefix)),
			}},
			ConfigStateChecks: append([]statecheck.StateCheck{
				record(&bucket, &buckets),
				statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("bucket"),
					knownvalue.StringRegexp(regexp.MustCompile(`^trustworthy-registry-artifacts-[0-9]{14}[0-9a-f]{12}$`))),
				statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("versioning"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("block_public_access"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("sse_algorithm"), knownvalue.StringExact("AES256")),
				statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("kms_key_id"), knownvalue.Null()),
				statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("noncurrent_version_expiration_days"), knownvalue.Null()),
				statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("abort_incomplete_multipart_upload_days"), knownvalue.Int64Exact(7)),
				statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("enforce_tls"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("tags"), knownvalue.Null()),
				statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("force_destroy"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("verify_access"), knownvalue.Bool(true)),
				bucketState(func(name string) error { return srv.check(ctx, name, hardened) }),
				// The access check cleaned up after itself, versions included.
				bucketState(func(name string) error {
					v, err := srv.versions(ctx, name)
					if err == nil && len(v) > 0 {
						err = fmt.Errorf("the new bucket holds %v", v)
					}
					return err
				}),
			}, computedChecks(&bucket)...),
		},
		{
			// Adding settings updates the bucket in place.
			Config:            full,
			ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: expectUpdate()},
			ConfigStateChecks: append([]statecheck.StateCheck{checkFull}, computedChecks(&bucket)...),
		},
	}

	// Drift on each setting: changed behind Terraform's back, shown by the
	// next plan as an update, repaired by the apply.
	steps = append(steps, srv.driftSteps(t, &bucket, full, fullWant, []drift{
		{"versioning suspended", srv.suspendVersioning},
		{"public access block removed", func(b string) error {
			_, err := srv.client.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String(b)})
			return err
		}},
		{"public access block weakened", func(b string) error {
			_, err := srv.client.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(b),
				PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true),
					IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(false), RestrictPublicBuckets: aws.Bool(true)}})
			return err
		}},
		{"encryption removed", func(b string) error {
			_, err := srv.client.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: aws.String(b)})
			return err
		}},
		{"tags edited", func(b string) error {
			_, err := srv.client.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(b),
				Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("team"), Value: aws.String("someone-else")}}}})
			return err
		}},
		{"lifecycle rules removed", func(b string) error {
			_, err := srv.client.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: aws.String(b)})
			return err
		}},
		{"abort rule narrowed to another prefix, another rule added", func(b string) error {
			_, err := srv.client.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(b),
				LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{
					{
						ID: aws.String("registry-noncurrent-version-expiration"), Status: types.ExpirationStatusEnabled,
						Filter:                      &types.LifecycleRuleFilter{Prefix: aws.String("")},
						NoncurrentVersionExpiration: &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(30)},
					},
					{
						ID: aws.String("registry-abort-incomplete-multipart-uploads"), Status: types.ExpirationStatusEnabled,
						Filter:                         &types.LifecycleRuleFilter{Prefix: aws.String("artifacts/model-1/")},
						AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(3)},
					},
					{
						ID: aws.String("someone-elses-rule"), Status: types.ExpirationStatusEnabled,
						Filter:     &types.LifecycleRuleFilter{Prefix: aws.String("logs/")},
						Expiration: &types.LifecycleExpiration{Days: aws.Int32(90)},
					},
				}}})
			return err
		}},
		{"bucket policy removed", srv.deletePolicy},
	})...)

	// Without enforce_tls from here on: moto enforces the policy, and the
	// test's SDK client speaks plain http to it.
	noTLS := srv.config(`
resource "registry_storage" "test" {
  noncurrent_version_expiration_days = 30
  tags = {
    team = "ml-platform"
    env  = "acc"
  }
}`)
	noTLSWant := fullWant
	noTLSWant.enforceTLS = false
	noTLSWant.abortDays = 7 // the default again
	checkNoTLS := bucketState(func(name string) error { return srv.check(ctx, name, noTLSWant) })
	objects := map[string]string{}
	steps = append(steps,
		resource.TestStep{
			Config:            noTLS,
			ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: expectUpdate()},
			ConfigStateChecks: []statecheck.StateCheck{checkNoTLS},
		},
		resource.TestStep{
			// A deleted bucket leaves the state and is created again.
			PreConfig: func() { srv.deleteBucket(ctx, t, bucket) },
			Config:    noTLS,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(storageAddr, plancheck.ResourceActionCreate),
			}},
			ConfigStateChecks: append([]statecheck.StateCheck{record(&bucket, &buckets), checkNoTLS}, computedChecks(&bucket)...),
		},
		resource.TestStep{
			ResourceName:      storageAddr,
			ImportState:       true,
			ImportStateVerify: true,
		},
		resource.TestStep{
			// An import block plans no change at all.
			Config:          noTLS,
			ResourceName:    storageAddr,
			ImportState:     true,
			ImportStateKind: resource.ImportBlockWithID,
		},
		resource.TestStep{
			// Objects, old versions and a delete marker, as a registry leaves
			// them; the destroy is refused and deletes nothing.
			PreConfig: func() {
				for i := range 3 {
					key := fmt.Sprintf("artifacts/model-%d-1700000000/metadata.json", i+1)
					srv.put(ctx, t, bucket, key, `{"v":1}`)
					srv.put(ctx, t, bucket, key, fmt.Sprintf(`{"v":2,"i":%d}`, i))
					objects[key] = fmt.Sprintf(`{"v":2,"i":%d}`, i)
				}
				srv.remove(ctx, t, bucket, "artifacts/model-3-1700000000/metadata.json")
				delete(objects, "artifacts/model-3-1700000000/metadata.json")
			},
			Config:      noTLS,
			Destroy:     true,
			ExpectError: wordsRE(`still holds 2 objects (6 object versions and 1 delete marker in all)`, `force_destroy = true`),
		},
		resource.TestStep{
			PreConfig: func() {
				v, err := srv.versions(ctx, bucket)
				if err != nil || len(v) != 7 {
					t.Fatalf("after the refused destroy the bucket holds %v (%v), want all 6 versions and the delete marker", v, err)
				}
				for key, want := range objects {
					if got, err := srv.get(ctx, bucket, key); err != nil || got != want {
						t.Fatalf("after the refused destroy %s reads %q (%v), want %q", key, got, err, want)
					}
				}
			},
			Config: srv.config(`
resource "registry_storage" "test" {
  noncurrent_version_expiration_days = 30
  force_destroy                      = true
  tags = {
    team = "ml-platform"
    env  = "acc"
  }
}`),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: expectUpdate()},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("force_destroy"), knownvalue.Bool(true)),
			},
			// The test's destroy then deletes all versions and the bucket;
			// CheckDestroy verifies.
		},
	)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             srv.checkDestroyed(&buckets),
		Steps:                    steps,
	})
}

// TestAccStorageResource_motoSettings covers explicit names, KMS encryption,
// turning settings off and on again, and the generated-name bookkeeping.
func TestAccStorageResource_motoSettings(t *testing.T) {
	srv := testAccMoto(t)
	ctx := context.Background()
	// Not in the generated form, which an import would take for a prefix.
	name := acctest.RandomWithPrefix("acc-explicit")
	buckets := []string{name}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             srv.checkDestroyed(&buckets),
		Steps: []resource.TestStep{
			{
				Config: srv.config(fmt.Sprintf(`
resource "registry_storage" "test" {
  bucket              = %q
  versioning          = false
  block_public_access = false
  sse_algorithm       = "aws:kms"
  kms_key_id          = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  verify_access       = false
}`, name)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(storageAddr, tfjsonpath.New("bucket"), knownvalue.StringExact(name)),
					plancheck.ExpectKnownValue(storageAddr, tfjsonpath.New("bucket_prefix"), knownvalue.Null()),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("id"), knownvalue.StringExact(name)),
					statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("kms_key_id"),
						knownvalue.StringExact("arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555")),
					bucketState(func(b string) error {
						return srv.check(ctx, b, expectBucket{sse: "aws:kms", abortDays: 7})
					}),
				},
			},
			{
				ResourceName:            storageAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"verify_access"}, // not a bucket setting: imports as the default
			},
			{
				// Turned on in place; the explicit name is kept.
				Config: srv.config(fmt.Sprintf(`
resource "registry_storage" "test" {
  bucket = %q
  tags   = {}
}`, name)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: expectUpdate()},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("tags"), knownvalue.MapExact(map[string]knownvalue.Check{})),
					bucketState(func(b string) error {
						return srv.check(ctx, b, expectBucket{versioning: "Enabled", blockPublic: true, sse: "AES256", abortDays: 7})
					}),
				},
			},
			{
				// Versioning off again suspends it; the rest is removed.
				Config: srv.config(fmt.Sprintf(`
resource "registry_storage" "test" {
  bucket              = %q
  versioning          = false
  block_public_access = false
}`, name)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: expectUpdate()},
				ConfigStateChecks: []statecheck.StateCheck{
					bucketState(func(b string) error {
						return srv.check(ctx, b, expectBucket{versioning: "Suspended", sse: "AES256", abortDays: 7})
					}),
				},
			},
			{
				// A new prefix is a new bucket.
				Config: srv.config(`
resource "registry_storage" "test" {
  bucket_prefix = "acc-prefixed-"
}`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(storageAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					bucketState(func(b string) error {
						buckets = append(buckets, b)
						if s3bucket.PrefixFromName(b) != "acc-prefixed-" {
							return fmt.Errorf("bucket %q was not generated from acc-prefixed-", b)
						}
						return nil
					}),
				},
			},
			{
				ResourceName:    storageAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				Config: srv.config(`
resource "registry_storage" "test" {
  bucket_prefix = "acc-prefixed-"
}`),
			},
		},
	})
}

// TestAccStorageResource_versitygw covers an S3-compatible server: the
// settings it does not implement fail with a diagnostic naming the setting,
// the endpoint and the fix; with those turned off, the bucket is managed
// with drift, import, a refused destroy and force_destroy.
func TestAccStorageResource_versitygw(t *testing.T) {
	srv := testAccVersityGW(t)
	ctx := context.Background()
	var bucket string
	var buckets []string
	unsupported := func(attribute, fix string) *regexp.Regexp {
		return wordsRE(attribute+" is not supported by this S3 server", "The S3 endpoint "+srv.endpoint, "NotImplemented", fix)
	}
	compatible := `
resource "registry_storage" "test" {
  block_public_access                    = false
  sse_algorithm                          = ""
  abort_incomplete_multipart_upload_days = 0
  enforce_tls                            = true
  tags = {
    team = "ml-platform"
  }
}`
	want := expectBucket{versioning: "Enabled", enforceTLS: true, tags: map[string]string{"team": "ml-platform"}}
	check := bucketState(func(name string) error { return srv.check(ctx, name, want) })
	forceDestroy := strings.Replace(compatible, "enforce_tls", "force_destroy = true\n  enforce_tls", 1)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             srv.checkDestroyed(&buckets),
		Steps: slices.Concat([]resource.TestStep{
			{
				Config:      srv.config(`resource "registry_storage" "test" {}`),
				ExpectError: unsupported("block_public_access", "set block_public_access = false"),
			},
			{
				Config: srv.config(`
resource "registry_storage" "test" {
  block_public_access = false
}`),
				ExpectError: unsupported("sse_algorithm", `set sse_algorithm = ""`),
			},
			{
				Config: srv.config(`
resource "registry_storage" "test" {
  block_public_access                = false
  sse_algorithm                      = ""
  noncurrent_version_expiration_days = 30
}`),
				ExpectError: unsupported("noncurrent_version_expiration_days",
					"leave noncurrent_version_expiration_days unset and set abort_incomplete_multipart_upload_days = 0"),
			},
			{
				Config: srv.config(`
resource "registry_storage" "test" {
  block_public_access = false
  sse_algorithm       = ""
}`),
				ExpectError: unsupported("abort_incomplete_multipart_upload_days", "set abort_incomplete_multipart_upload_days = 0"),
			},
			{
				// The failed attempts' buckets were tainted and are replaced.
				Config: srv.config(compatible),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(storageAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: append([]statecheck.StateCheck{
					record(&bucket, &buckets),
					check,
					statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("sse_algorithm"), knownvalue.StringExact("")),
					statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("block_public_access"), knownvalue.Bool(false)),
					bucketState(func(name string) error {
						v, err := srv.versions(ctx, name)
						if err == nil && len(v) > 0 {
							err = fmt.Errorf("the access check left %v behind", v)
						}
						return err
					}),
				}, computedChecks(&bucket)...),
			},
		}, srv.driftSteps(t, &bucket, srv.config(compatible), want, []drift{
			{"versioning suspended", srv.suspendVersioning},
			{"tags replaced", func(b string) error {
				_, err := srv.client.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(b),
					Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("owner"), Value: aws.String("someone-else")}}}})
				return err
			}},
			{"bucket policy removed", srv.deletePolicy},
		}), []resource.TestStep{
			{
				PreConfig: func() { srv.deleteBucket(ctx, t, bucket) },
				Config:    srv.config(compatible),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(storageAddr, plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{record(&bucket, &buckets), check},
			},
			{
				ResourceName:      storageAddr,
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				Config:          srv.config(compatible),
				ResourceName:    storageAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
			},
			{
				PreConfig: func() {
					srv.put(ctx, t, bucket, "artifacts/model-1-1700000000/metadata.json", "one")
					srv.put(ctx, t, bucket, "artifacts/model-1-1700000000/metadata.json", "two")
					srv.put(ctx, t, bucket, "artifacts/code-2-1700000000/metadata.json", "gone")
					srv.remove(ctx, t, bucket, "artifacts/code-2-1700000000/metadata.json")
				},
				Config:      srv.config(compatible),
				Destroy:     true,
				ExpectError: wordsRE(`still holds 1 object (3 object versions and 1 delete marker in all)`, `force_destroy = true`),
			},
			{
				PreConfig: func() {
					got, err := srv.get(ctx, bucket, "artifacts/model-1-1700000000/metadata.json")
					if err != nil || got != "two" {
						t.Fatalf("after the refused destroy the object reads %q (%v), want \"two\"", got, err)
					}
					if v, err := srv.versions(ctx, bucket); err != nil || len(v) != 4 {
						t.Fatalf("after the refused destroy the bucket holds %v (%v), want 3 versions and a delete marker", v, err)
					}
					// More versions and delete markers for force_destroy.
					for i := range 5 {
						key := fmt.Sprintf("artifacts/dataset-%d-1700000000/metadata.json", i+3)
						srv.put(ctx, t, bucket, key, "a")
						srv.put(ctx, t, bucket, key, "b")
						srv.remove(ctx, t, bucket, key)
					}
				},
				Config:           srv.config(forceDestroy),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: expectUpdate()},
			},
		}),
	})
}

// TestAccStorageResource_verifyAccessDenied: when the probe write is denied,
// the create fails with a diagnostic that names the bucket, the endpoint,
// S3's answer and the way out, and the bucket is replaced at the next apply.
// The denial is real: the resource's own enforce_tls policy, which moto
// enforces, refuses the probe over the plain-http endpoint.
func TestAccStorageResource_verifyAccessDenied(t *testing.T) {
	srv := testAccMoto(t)
	name := acctest.RandomWithPrefix("acc-denied")
	buckets := []string{name}
	config := func(verify bool) string {
		return srv.config(fmt.Sprintf(`
resource "registry_storage" "test" {
  bucket        = %q
  enforce_tls   = true
  verify_access = %t
}`, name, verify))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             srv.checkDestroyed(&buckets),
		Steps: []resource.TestStep{
			{
				Config: config(true),
				ExpectError: wordsRE("The credentials cannot write to the new bucket",
					fmt.Sprintf("The access check of bucket %q at %s failed", name, srv.endpoint), "PutObject", "StatusCode: 403",
					"enforce_tls = true denies every request made without TLS", "verify_access = false"),
			},
			{
				// The bucket stayed in the state, tainted; without the check
				// it is replaced and the create succeeds.
				Config: config(false),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(storageAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("verify_access"), knownvalue.Bool(false)),
					bucketState(func(b string) error {
						return srv.check(context.Background(), b, expectBucket{versioning: "Enabled", blockPublic: true, sse: "AES256", abortDays: 7, enforceTLS: true})
					}),
				},
			},
		},
	})
}

// TestAccStorageResource_invalidConfig rejects invalid names and
// combinations at plan time, before any S3 request.
func TestAccStorageResource_invalidConfig(t *testing.T) {
	cases := []struct {
		config string
		want   *regexp.Regexp
	}{
		{`bucket = "192.168.1.1"`, wordsRE(`Invalid bucket name`, `bucket name "192.168.1.1" must not be formatted as an IP address`)},
		{`bucket = "Registry_Artifacts"`, wordsRE(`bucket name "Registry_Artifacts" may only contain lowercase letters`)},
		{`bucket = "ab"`, wordsRE(`bucket name "ab" is 2 characters long`)},
		{`bucket = "registry..artifacts"`, wordsRE(`bucket name "registry..artifacts" must not contain two adjacent dots`)},
		{`bucket = "registry-artifacts-"`, wordsRE(`bucket name "registry-artifacts-" must begin and end with a lowercase letter or a digit`)},
		{`bucket_prefix = "this-prefix-is-far-too-long-for-a-bucket-"`, wordsRE(`Invalid bucket prefix`, `is 41 characters long; at most 37 fit`)},
		{`bucket_prefix = "Registry-"`, wordsRE(`Invalid bucket prefix`, `may only contain lowercase letters`)},
		{"bucket = \"registry-artifacts\"\n  bucket_prefix = \"registry-\"", wordsRE(`Invalid Attribute Combination`)},
		{`kms_key_id = "alias/registry"`, wordsRE(`kms_key_id needs sse_algorithm = "aws:kms"`, `sse_algorithm is "AES256"`)},
		{`sse_algorithm = "aws:kms:dsse"`, wordsRE(`sse_algorithm`, `value must be one of`)},
		{`noncurrent_version_expiration_days = 0`, wordsRE(`noncurrent_version_expiration_days`, `between 1 and`)},
		{`abort_incomplete_multipart_upload_days = -1`, wordsRE(`abort_incomplete_multipart_upload_days`, `between 0 and`)},
	}
	steps := make([]resource.TestStep, len(cases))
	for i, c := range cases {
		steps[i] = resource.TestStep{
			Config:      fmt.Sprintf("resource \"registry_storage\" \"test\" {\n  %s\n}\n", c.config),
			PlanOnly:    true,
			ExpectError: c.want,
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    steps,
	})
}

func TestStorageResourceSchemaIsValid(t *testing.T) {
	ctx := context.Background()
	var resp fwresource.SchemaResponse
	NewStorageResource().Schema(ctx, fwresource.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatalf("schema: %v", resp.Diagnostics)
	}
	if diags := resp.Schema.ValidateImplementation(ctx); diags.HasError() {
		t.Fatalf("schema implementation: %v", diags)
	}
}

func TestNotEmptyDetail(t *testing.T) {
	got := notEmptyDetail("b", s3bucket.Counts{Objects: 1, Versions: 3, DeleteMarkers: 1})
	for _, want := range []string{`"b" still holds 1 object (3 object versions and 1 delete marker in all)`, "nothing in it was", "force_destroy = true"} {
		if !strings.Contains(got, want) {
			t.Errorf("notEmptyDetail = %q, want it to contain %q", got, want)
		}
	}
}

// TestAccStorageResource_endToEnd: registry_storage creates the bucket on
// versitygw, a registry server runs with the resource's lambda_environment
// and the S3 endpoint, registry_artifact registers an artifact with it, and
// the artifact's metadata.json is in that bucket.
func TestAccStorageResource_endToEnd(t *testing.T) {
	srv := testAccVersityGW(t)
	ctx := context.Background()
	addr := teststack.LoopbackAddr(t)
	password := acctest.RandString(24)
	url, name := testAccURL("model")
	var bucket, artifactID string
	lambdaEnv := map[string]string{}
	var buckets []string

	storage := `
resource "registry_storage" "test" {
  block_public_access                    = false
  sse_algorithm                          = ""
  abort_incomplete_multipart_upload_days = 0
  # The registry writes objects and versions that the destroy removes.
  force_destroy = true
}
`
	registry := fmt.Sprintf(`
provider "registry" {
  endpoint = "http://%s"
  username = %q
  password = %q
  s3 {
    endpoint = %q
    region   = "us-east-1"
  }
}
%s
resource "registry_artifact" "test" {
  type = "model"
  url  = %q
  # Destroyed before the bucket that holds its metadata.
  depends_on = [registry_storage.test]
}
`, addr, defaultadmin.Name, password, srv.endpoint, storage, url)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             srv.checkDestroyed(&buckets),
		Steps: []resource.TestStep{
			{
				Config: srv.config(storage),
				ConfigStateChecks: []statecheck.StateCheck{
					record(&bucket, &buckets),
					storageAttributes(func(attrs map[string]any) error {
						env, ok := attrs["lambda_environment"].(map[string]any)
						if !ok {
							return fmt.Errorf("lambda_environment is %T", attrs["lambda_environment"])
						}
						for k, v := range env {
							lambdaEnv[k] = fmt.Sprint(v)
						}
						return nil
					}),
				},
			},
			{
				PreConfig: func() {
					// What Lambda and the deployment add to lambda_environment:
					// the region, the S3 endpoint and credentials; no silent
					// fallback to another storage, which would make the
					// check below moot.
					env := []string{
						"AWS_REGION=us-east-1",
						"AWS_ENDPOINT_URL_S3=" + srv.endpoint,
						"AWS_ACCESS_KEY_ID=" + os.Getenv("AWS_ACCESS_KEY_ID"),
						"AWS_SECRET_ACCESS_KEY=" + os.Getenv("AWS_SECRET_ACCESS_KEY"),
						"STORAGE_FALLBACK=0",
						"REGISTRY_ADMIN_PASSWORD=" + password,
					}
					for k, v := range lambdaEnv {
						env = append(env, k+"="+v)
					}
					teststack.StartServer(t, addr, env...)
				},
				Config: registry,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(storageAddr, plancheck.ResourceActionNoop),
					plancheck.ExpectResourceAction("registry_artifact.test", plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("id"), captureString(&artifactID)),
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("name"), knownvalue.StringExact(name)),
					bucketState(func(b string) error {
						key := "artifacts/" + artifactID + "/metadata.json"
						raw, err := srv.get(ctx, b, key)
						if err != nil {
							return fmt.Errorf("reading s3://%s/%s: %w", b, key, err)
						}
						var doc struct {
							Metadata struct{ Name, ID, Type string }
							Data     struct{ URL string }
						}
						if err := json.Unmarshal([]byte(raw), &doc); err != nil {
							return fmt.Errorf("s3://%s/%s is not JSON: %w: %s", b, key, err, raw)
						}
						if doc.Metadata.ID != artifactID || doc.Metadata.Name != name || doc.Metadata.Type != "model" || doc.Data.URL != url {
							return fmt.Errorf("s3://%s/%s holds %s, want the artifact %s (%s, model, %s)", b, key, raw, artifactID, name, url)
						}
						return nil
					}),
				},
			},
		},
	})
}
