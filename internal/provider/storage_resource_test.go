package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/prereq"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/s3bucket"
)

const storageAddr = "registry_storage.test"

// s3TestServer is an S3 server on loopback that the storage tests run
// against, with an SDK client of the tests' own for out-of-band changes and
// checks.
type s3TestServer struct {
	endpoint string
	client   *s3.Client
}

// testAccMoto returns moto_server (AWS semantics) or skips (fails in strict mode).
func testAccMoto(t *testing.T) s3TestServer {
	t.Helper()
	endpoint := prereq.Getenv(t, "MOTO_ENDPOINT", "the registry_storage tests need moto_server (scripts/stack.sh provides it)")
	return newS3TestServer(t, endpoint, "test", "test")
}

// testAccVersityGW returns versitygw (an S3-compatible server) or skips (fails in strict mode).
func testAccVersityGW(t *testing.T) s3TestServer {
	t.Helper()
	endpoint := prereq.Getenv(t, "VERSITYGW_ENDPOINT", "the registry_storage tests need versitygw (scripts/stack.sh provides it)")
	access, secret := os.Getenv("VERSITYGW_ACCESS_KEY"), os.Getenv("VERSITYGW_SECRET_KEY")
	if access == "" || secret == "" {
		prereq.Missing(t, "VERSITYGW_ACCESS_KEY and VERSITYGW_SECRET_KEY are not set: the versitygw tests need its credentials")
	}
	return newS3TestServer(t, endpoint, access, secret)
}

// newS3TestServer points the SDK's default credential chain, which the
// in-process provider uses too, at the server's credentials. It also unsets
// the registry's settings, so that every storage test shows that a
// configuration with only registry_storage needs no registry endpoint.
func newS3TestServer(t *testing.T, endpoint, access, secret string) s3TestServer {
	t.Helper()
	for _, env := range []string{envEndpoint, envUsername, envPassword, envToken} {
		t.Setenv(env, "")
	}
	t.Setenv("AWS_ACCESS_KEY_ID", access)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_SESSION_TOKEN", "")
	client, err := s3bucket.NewClient(context.Background(), s3bucket.ClientConfig{Endpoint: endpoint})
	if err != nil {
		t.Fatalf("S3 test client: %v", err)
	}
	return s3TestServer{endpoint: endpoint, client: client}
}

// config returns the provider block for the server followed by resource.
func (s s3TestServer) config(resource string) string {
	return fmt.Sprintf(`
provider "registry" {
  s3 {
    endpoint = %q
    region   = "us-east-1"
  }
}
%s`, s.endpoint, resource)
}

// bucketFacts is what the SDK, not the provider, reports about a bucket.
type bucketFacts struct {
	Versioning        string // "", Enabled or Suspended
	PublicAccessBlock *types.PublicAccessBlockConfiguration
	SSEAlgorithm      string
	NoncurrentDays    map[string]int32 // lifecycle rule id => days
	Policy            string
	Tags              map[string]string
}

func apiCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// facts reads the bucket's settings with plain SDK calls. A setting that is
// absent, or that the server does not implement, reads as its zero value.
func (s s3TestServer) facts(ctx context.Context, bucket string) (bucketFacts, error) {
	var f bucketFacts
	in := aws.String(bucket)
	absent := func(err error, codes ...string) bool {
		code := apiCode(err)
		return code == "NotImplemented" || slices.Contains(codes, code)
	}
	v, err := s.client.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: in})
	if err != nil {
		return f, err
	}
	f.Versioning = string(v.Status)
	pab, err := s.client.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: in})
	switch {
	case err == nil:
		f.PublicAccessBlock = pab.PublicAccessBlockConfiguration
	case !absent(err, "NoSuchPublicAccessBlockConfiguration"):
		return f, err
	}
	enc, err := s.client.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: in})
	switch {
	case err == nil:
		f.SSEAlgorithm = string(enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm)
	case !absent(err, "ServerSideEncryptionConfigurationNotFoundError"):
		return f, err
	}
	lc, err := s.client.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: in})
	switch {
	case err == nil:
		f.NoncurrentDays = map[string]int32{}
		for _, r := range lc.Rules {
			if r.NoncurrentVersionExpiration != nil {
				f.NoncurrentDays[aws.ToString(r.ID)] = aws.ToInt32(r.NoncurrentVersionExpiration.NoncurrentDays)
			}
		}
	case !absent(err, "NoSuchLifecycleConfiguration"):
		return f, err
	}
	pol, err := s.client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: in})
	switch {
	case err == nil:
		f.Policy = aws.ToString(pol.Policy)
	case !absent(err, "NoSuchBucketPolicy"):
		return f, err
	}
	tags, err := s.client.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: in})
	switch {
	case err == nil:
		f.Tags = map[string]string{}
		for _, t := range tags.TagSet {
			f.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	case !absent(err, "NoSuchTagSet"):
		return f, err
	}
	return f, nil
}

// expectBucket is what a test expects of the bucket on the server.
type expectBucket struct {
	versioning     string
	blockPublic    bool
	sse            string
	noncurrentDays int32 // 0: no lifecycle rule of the resource
	enforceTLS     bool
	tags           map[string]string
}

func (s s3TestServer) check(ctx context.Context, bucket string, want expectBucket) error {
	f, err := s.facts(ctx, bucket)
	if err != nil {
		return fmt.Errorf("reading bucket %s through the SDK: %w", bucket, err)
	}
	var problems []string
	if f.Versioning != want.versioning {
		problems = append(problems, fmt.Sprintf("versioning status %q, want %q", f.Versioning, want.versioning))
	}
	blocked := f.PublicAccessBlock != nil && aws.ToBool(f.PublicAccessBlock.BlockPublicAcls) && aws.ToBool(f.PublicAccessBlock.IgnorePublicAcls) &&
		aws.ToBool(f.PublicAccessBlock.BlockPublicPolicy) && aws.ToBool(f.PublicAccessBlock.RestrictPublicBuckets)
	if blocked != want.blockPublic {
		problems = append(problems, fmt.Sprintf("all public access blocked: %v, want %v", blocked, want.blockPublic))
	}
	if f.SSEAlgorithm != want.sse {
		problems = append(problems, fmt.Sprintf("default encryption %q, want %q", f.SSEAlgorithm, want.sse))
	}
	if got := f.NoncurrentDays["registry-noncurrent-version-expiration"]; got != want.noncurrentDays {
		problems = append(problems, fmt.Sprintf("noncurrent version expiration %d days, want %d", got, want.noncurrentDays))
	}
	if tls := strings.Contains(f.Policy, `"aws:SecureTransport":"false"`); tls != want.enforceTLS {
		problems = append(problems, fmt.Sprintf("policy denying insecure transport: %v, want %v (policy %s)", tls, want.enforceTLS, f.Policy))
	}
	if len(f.Tags) > 0 || len(want.tags) > 0 {
		if !maps.Equal(f.Tags, want.tags) {
			problems = append(problems, fmt.Sprintf("tags %v, want %v", f.Tags, want.tags))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("bucket %s: %s", bucket, strings.Join(problems, "; "))
	}
	return nil
}

// versions lists the bucket's object versions and delete markers as
// "key@version" and "key@version (marker)".
func (s s3TestServer) versions(ctx context.Context, bucket string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	p := s3.NewListObjectVersionsPaginator(s.client, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, v := range page.Versions {
			out = append(out, aws.ToString(v.Key)+"@"+aws.ToString(v.VersionId))
		}
		for _, m := range page.DeleteMarkers {
			id := aws.ToString(m.Key) + "@" + aws.ToString(m.VersionId) + " (marker)"
			// versitygw repeats a marker at a page boundary.
			if !seen[id] {
				out = append(out, id)
			}
			seen[id] = true
		}
	}
	return out, nil
}

func (s s3TestServer) put(ctx context.Context, t *testing.T, bucket, key, body string) {
	t.Helper()
	if _, err := s.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
		t.Fatalf("writing s3://%s/%s: %v", bucket, key, err)
	}
}

func (s s3TestServer) remove(ctx context.Context, t *testing.T, bucket, key string) {
	t.Helper()
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		t.Fatalf("deleting s3://%s/%s: %v", bucket, key, err)
	}
}

func (s s3TestServer) get(ctx context.Context, bucket, key string) (string, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), err
}

// deleteBucket deletes the bucket behind Terraform's back, with everything
// in it.
func (s s3TestServer) deleteBucket(ctx context.Context, t *testing.T, bucket string) {
	t.Helper()
	b := s3bucket.New(s.client, bucket)
	if _, err := b.Empty(ctx); err != nil {
		t.Fatalf("emptying %s: %v", bucket, err)
	}
	if err := b.Delete(ctx); err != nil {
		t.Fatalf("deleting %s: %v", bucket, err)
	}
}

// checkDestroyed is a CheckDestroy: none of the buckets the test created
// may exist any more.
func (s s3TestServer) checkDestroyed(buckets *[]string) func(*terraform.State) error {
	return func(*terraform.State) error {
		for _, name := range *buckets {
			exists, err := s3bucket.New(s.client, name).Exists(context.Background())
			if err != nil {
				return err
			}
			if exists {
				return fmt.Errorf("bucket %s still exists after destroy", name)
			}
		}
		return nil
	}
}

// bucketState runs fn with the name of registry_storage.test's bucket.
type bucketState func(bucket string) error

func (fn bucketState) CheckState(ctx context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	storageAttributes(func(attrs map[string]any) error {
		name, _ := attrs["id"].(string)
		return fn(name)
	}).CheckState(ctx, req, resp)
}

// record remembers every bucket name the test sees, for CheckDestroy and
// for the out-of-band changes of later steps.
func record(current *string, all *[]string) bucketState {
	return func(name string) error {
		*current = name
		for _, n := range *all {
			if n == name {
				return nil
			}
		}
		*all = append(*all, name)
		return nil
	}
}

// computedChecks check the values derived from the bucket's name.
func computedChecks(bucket *string) []statecheck.StateCheck {
	return []statecheck.StateCheck{
		bucketState(func(name string) error {
			if name != *bucket {
				return fmt.Errorf("id %q, want %q", name, *bucket)
			}
			return nil
		}),
		statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("bucket"), knownvalue.StringFunc(func(v string) error {
			if v != *bucket {
				return fmt.Errorf("bucket %q, want the id %q", v, *bucket)
			}
			return nil
		})),
		statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("arn"), knownvalue.StringFunc(func(v string) error {
			if v != "arn:aws:s3:::"+*bucket {
				return fmt.Errorf("arn %q", v)
			}
			return nil
		})),
		statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("region"), knownvalue.StringExact("us-east-1")),
		statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("artifacts_prefix"), knownvalue.StringExact("artifacts/")),
		statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("iam_policy_json"), knownvalue.StringFunc(func(v string) error {
			return checkIAMPolicy(v, *bucket)
		})),
		statecheck.ExpectKnownValue(storageAddr, tfjsonpath.New("lambda_environment"), knownvalue.MapExact(map[string]knownvalue.Check{
			"USE_S3":         knownvalue.StringExact("1"),
			"S3_BUCKET_NAME": knownvalue.StringFunc(func(v string) error { return equal("S3_BUCKET_NAME", v, *bucket) }),
			"USE_SQLITE":     knownvalue.StringExact("0"),
			"ENVIRONMENT":    knownvalue.StringExact("production"),
			"LOG_LEVEL":      knownvalue.StringExact("INFO"),
		})),
	}
}

func equal(what, got, want string) error {
	if got != want {
		return fmt.Errorf("%s = %q, want %q", what, got, want)
	}
	return nil
}

// checkIAMPolicy checks that the policy is valid JSON granting exactly the
// guide's four actions on the bucket.
func checkIAMPolicy(policy, bucket string) error {
	var doc struct {
		Version   string
		Statement []struct {
			Effect   string
			Action   []string
			Resource []string
		}
	}
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		return fmt.Errorf("iam_policy_json is not valid JSON: %w", err)
	}
	grants := map[string]string{}
	for _, s := range doc.Statement {
		for _, a := range s.Action {
			grants[a] = s.Effect + " " + strings.Join(s.Resource, ",")
		}
	}
	arn := "arn:aws:s3:::" + bucket
	want := map[string]string{
		"s3:PutObject":    "Allow " + arn + "/*",
		"s3:GetObject":    "Allow " + arn + "/*",
		"s3:DeleteObject": "Allow " + arn + "/*",
		"s3:ListBucket":   "Allow " + arn,
	}
	if doc.Version != "2012-10-17" || !maps.Equal(grants, want) {
		return fmt.Errorf("iam_policy_json grants %v (version %q), want %v", grants, doc.Version, want)
	}
	return nil
}

// expectUpdate is the plan check of a drift step: the configuration did not
// change, so an in-place update shows that the plan saw the drift.
func expectUpdate() []plancheck.PlanCheck {
	return []plancheck.PlanCheck{plancheck.ExpectResourceAction(storageAddr, plancheck.ResourceActionUpdate)}
}

// drift is a change made to the bucket behind Terraform's back.
type drift struct {
	name   string
	change func(bucket string) error
}

// driftSteps returns one step per drift: the change is made out of band
// (and must show on the server), the next plan with the unchanged config
// must update the bucket in place, and the apply must restore want.
func (s s3TestServer) driftSteps(t *testing.T, bucket *string, config string, want expectBucket, drifts []drift) []resource.TestStep {
	t.Helper()
	ctx := context.Background()
	check := bucketState(func(name string) error { return s.check(ctx, name, want) })
	steps := make([]resource.TestStep, len(drifts))
	for i, d := range drifts {
		steps[i] = resource.TestStep{
			PreConfig: func() {
				if err := d.change(*bucket); err != nil {
					t.Fatalf("%s: %v", d.name, err)
				}
				if err := s.check(ctx, *bucket, want); err == nil {
					t.Fatalf("%s: the out-of-band change did not change the bucket", d.name)
				}
			},
			Config:            config,
			ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: expectUpdate()},
			ConfigStateChecks: []statecheck.StateCheck{check},
		}
	}
	return steps
}

func (s s3TestServer) suspendVersioning(bucket string) error {
	_, err := s.client.PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	return err
}

func (s s3TestServer) deletePolicy(bucket string) error {
	_, err := s.client.DeleteBucketPolicy(context.Background(), &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)})
	return err
}

// wordsRE matches the words in order, whatever line breaks Terraform put
// between them.
func wordsRE(words ...string) *regexp.Regexp {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = strings.Join(strings.Fields(regexp.QuoteMeta(w)), `\s+`)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(quoted, `.*`))
}

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
  enforce_tls                        = true
  noncurrent_version_expiration_days = 30
  tags = {
    team = "ml-platform"
    env  = "acc"
  }
}`)
	hardened := expectBucket{versioning: "Enabled", blockPublic: true, sse: "AES256"}
	fullWant := hardened
	fullWant.enforceTLS = true
	fullWant.noncurrentDays = 30
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
		{"lifecycle rule removed", func(b string) error {
			_, err := srv.client.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: aws.String(b)})
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
						return srv.check(ctx, b, expectBucket{sse: "aws:kms"})
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
						return srv.check(ctx, b, expectBucket{versioning: "Enabled", blockPublic: true, sse: "AES256"})
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
						return srv.check(ctx, b, expectBucket{versioning: "Suspended", sse: "AES256"})
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
  block_public_access = false
  sse_algorithm       = ""
  enforce_tls         = true
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
				ExpectError: unsupported("noncurrent_version_expiration_days", "leave noncurrent_version_expiration_days unset"),
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
						return srv.check(context.Background(), b, expectBucket{versioning: "Enabled", blockPublic: true, sse: "AES256", enforceTLS: true})
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

// storageAttributes runs fn with the attributes of registry_storage.test
// in the state.
type storageAttributes func(attrs map[string]any) error

func (fn storageAttributes) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	if req.State == nil || req.State.Values == nil || req.State.Values.RootModule == nil {
		resp.Error = errors.New("no state")
		return
	}
	for _, r := range req.State.Values.RootModule.Resources {
		if r.Address == storageAddr {
			resp.Error = fn(r.AttributeValues)
			return
		}
	}
	resp.Error = fmt.Errorf("%s is not in the state", storageAddr)
}

// startRegistry starts REGISTRY_SERVER_BIN with env on addr, waits until it
// answers /health, and stops it when the test ends.
func startRegistry(t *testing.T, bin, addr string, env map[string]string) {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "ADDR=" + addr}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	// Read only once the process has exited.
	log := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	// done is closed when the process has exited, with waitErr set.
	done := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+addr+"/health", nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-done:
			t.Fatalf("the registry server exited during start-up (%v); its log:\n%s", waitErr, log)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("the registry server did not answer http://%s/health within 30s; its log:\n%s", addr, log)
		}
	}
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestAccStorageResource_endToEnd: registry_storage creates the bucket on
// versitygw, a registry server runs with the resource's lambda_environment
// and the S3 endpoint, registry_artifact registers an artifact with it, and
// the artifact's metadata.json is in that bucket.
func TestAccStorageResource_endToEnd(t *testing.T) {
	bin := prereq.Getenv(t, "REGISTRY_SERVER_BIN", "the end-to-end test starts its own registry server (scripts/stack.sh builds it)")
	srv := testAccVersityGW(t)
	ctx := context.Background()
	addr := freeLoopbackAddr(t)
	password := acctest.RandString(24)
	url, name := testAccURL("model")
	var bucket, artifactID string
	lambdaEnv := map[string]string{}
	var buckets []string

	storage := `
resource "registry_storage" "test" {
  block_public_access = false
  sse_algorithm       = ""
  # The registry writes objects and versions that the destroy removes.
  force_destroy = true
}
`
	registry := fmt.Sprintf(`
provider "registry" {
  endpoint = "http://%s"
  username = "ece30861defaultadminuser"
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
`, addr, password, srv.endpoint, storage, url)

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
					env := maps.Clone(lambdaEnv)
					// What Lambda and the deployment add: the region, the S3
					// endpoint and credentials; no silent fallback to
					// another storage, which would make the check below moot.
					maps.Copy(env, map[string]string{
						"AWS_REGION":              "us-east-1",
						"AWS_ENDPOINT_URL_S3":     srv.endpoint,
						"AWS_ACCESS_KEY_ID":       os.Getenv("AWS_ACCESS_KEY_ID"),
						"AWS_SECRET_ACCESS_KEY":   os.Getenv("AWS_SECRET_ACCESS_KEY"),
						"STORAGE_FALLBACK":        "0",
						"REGISTRY_ADMIN_PASSWORD": password,
					})
					startRegistry(t, bin, addr, env)
				},
				Config: registry,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(storageAddr, plancheck.ResourceActionNoop),
					plancheck.ExpectResourceAction("registry_artifact.test", plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("registry_artifact.test", tfjsonpath.New("id"), knownvalue.StringFunc(func(id string) error {
						artifactID = id
						return nil
					})),
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
