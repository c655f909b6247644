package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/prereq"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/s3bucket"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
)

const storageAddr = "registry_storage.test"

// s3TestServer is an S3 server on loopback that the storage tests run
// against, with an SDK client of the tests' own for out-of-band changes and
// checks.
type s3TestServer struct {
	endpoint string
	client   *s3.Client
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
		f.NoncurrentDays, f.AbortUploads = map[string]int32{}, map[string]string{}
		for _, r := range lc.Rules {
			if r.NoncurrentVersionExpiration != nil {
				f.NoncurrentDays[aws.ToString(r.ID)] = aws.ToInt32(r.NoncurrentVersionExpiration.NoncurrentDays)
			}
			if a := r.AbortIncompleteMultipartUpload; a != nil && r.Filter != nil {
				f.AbortUploads[aws.ToString(r.ID)] = fmt.Sprintf("%d days under %q", aws.ToInt32(a.DaysAfterInitiation), aws.ToString(r.Filter.Prefix))
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
	wantAbort := ""
	if want.abortDays > 0 {
		wantAbort = fmt.Sprintf("%d days under %q", want.abortDays, s3bucket.ArtifactsPrefix)
	}
	if got := f.AbortUploads["registry-abort-incomplete-multipart-uploads"]; got != wantAbort {
		problems = append(problems, fmt.Sprintf("incomplete multipart uploads aborted after %q, want %q", got, wantAbort))
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

// testAccMoto returns moto_server (AWS semantics) or skips (fails in strict mode).
func testAccMoto(t *testing.T) s3TestServer {
	t.Helper()
	endpoint := teststack.Getenv(t, "MOTO_ENDPOINT", "the registry_storage tests need moto_server")
	return newS3TestServer(t, endpoint, "test", "test")
}

// testAccVersityGW returns versitygw (an S3-compatible server) or skips (fails in strict mode).
func testAccVersityGW(t *testing.T) s3TestServer {
	t.Helper()
	endpoint := teststack.Getenv(t, "VERSITYGW_ENDPOINT", "the registry_storage tests need versitygw")
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

// bucketFacts is what the SDK, not the provider, reports about a bucket.
type bucketFacts struct {
	Versioning        string // "", Enabled or Suspended
	PublicAccessBlock *types.PublicAccessBlockConfiguration
	SSEAlgorithm      string
	NoncurrentDays    map[string]int32  // lifecycle rule id => days
	AbortUploads      map[string]string // lifecycle rule id => "<days> days under <prefix>"
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

// expectBucket is what a test expects of the bucket on the server.
type expectBucket struct {
	versioning     string
	blockPublic    bool
	sse            string
	noncurrentDays int32 // 0: no lifecycle rule of the resource
	abortDays      int32 // 0: no rule aborting incomplete uploads
	enforceTLS     bool
	tags           map[string]string
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
// guide's four actions on the bucket, and aborting multipart uploads.
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
		"s3:PutObject":            "Allow " + arn + "/*",
		"s3:GetObject":            "Allow " + arn + "/*",
		"s3:DeleteObject":         "Allow " + arn + "/*",
		"s3:AbortMultipartUpload": "Allow " + arn + "/*",
		"s3:ListBucket":           "Allow " + arn,
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

// wordsRE matches the words in order, whatever line breaks Terraform put
// between them.
func wordsRE(words ...string) *regexp.Regexp {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = strings.Join(strings.Fields(regexp.QuoteMeta(w)), `\s+`)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(quoted, `.*`))
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
