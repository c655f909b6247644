package s3bucket

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Encryption algorithms for SSEAlgorithm.
const (
	SSEAES256 = string(types.ServerSideEncryptionAes256)
	SSEKMS    = string(types.ServerSideEncryptionAwsKms)
)

// ProbePrefix is the reserved key prefix of the access check's object; the
// registry only reads and lists under ArtifactsPrefix.
const ProbePrefix = ".registry-probe/"

// The lifecycle rules the settings own, by id; other rules are left alone.
const (
	// lifecycleRuleID is NoncurrentVersionExpirationDays's rule.
	lifecycleRuleID = "registry-noncurrent-version-expiration"
	// abortUploadsRuleID is AbortIncompleteMultipartUploadDays's rule.
	abortUploadsRuleID = "registry-abort-incomplete-multipart-uploads"
)

// maxDeleteBatch is S3's limit of keys per DeleteObjects request.
const maxDeleteBatch = 1000

// Settings are the bucket settings the resource manages.
type Settings struct {
	Versioning        bool
	BlockPublicAccess bool // all four public access block flags
	// SSEAlgorithm is SSEAES256, SSEKMS or "" for no default encryption
	// managed.
	SSEAlgorithm string
	KMSKeyID     string // only with SSEKMS; "" means the AWS managed key
	// NoncurrentVersionExpirationDays > 0 adds a lifecycle rule that expires
	// noncurrent versions after that many days; 0 means no such rule.
	NoncurrentVersionExpirationDays int32
	// AbortIncompleteMultipartUploadDays > 0 adds a lifecycle rule that
	// aborts multipart uploads under ArtifactsPrefix (the bundles under
	// artifacts/<id>/files/) that many days after they began and are still
	// not complete, e.g. when the registry crashed while uploading, so that
	// their parts stop costing storage; 0 means no such rule.
	AbortIncompleteMultipartUploadDays int32
	EnforceTLS                         bool // a policy statement denying requests without TLS
	Tags                               map[string]string
}

// Observed is what Read finds on the server.
type Observed struct {
	Settings
	Region string
}

// Counts is what a bucket holds.
type Counts struct {
	Objects       int // current, non-deleted objects
	Versions      int // object versions, current ones included
	DeleteMarkers int
}

// Empty reports whether the bucket holds nothing at all.
func (c Counts) Empty() bool { return c.Versions == 0 && c.DeleteMarkers == 0 }

// Bucket manages one bucket through client.
type Bucket struct {
	client *s3.Client
	name   string
	region string
	// pageSize bounds ListObjectVersions pages and DeleteObjects batches;
	// tests lower it to exercise pagination.
	pageSize int32
}

// New returns the manager of the bucket called name.
func New(client *s3.Client, name string) *Bucket {
	return &Bucket{client: client, name: name, region: client.Options().Region, pageSize: maxDeleteBatch}
}

// Name returns the bucket's name.
func (b *Bucket) Name() string { return b.name }

// Exists reports whether the bucket exists and is reachable with the
// client's credentials.
func (b *Bucket) Exists(ctx context.Context) (bool, error) {
	_, err := b.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b.name)})
	switch {
	case err == nil:
		return true, nil
	case isNoSuchBucket(err):
		return false, nil
	default:
		return false, fmt.Errorf("HeadBucket %s: %w", b.name, err)
	}
}

// Create creates the bucket in the client's region. It refuses a bucket that
// already exists, even one the caller owns: S3 answers success to a repeated
// CreateBucket in us-east-1, and adopting an existing bucket silently would
// put its data under this manager's force-destroy.
func (b *Bucket) Create(ctx context.Context) error {
	exists, err := b.Exists(ctx)
	if err != nil {
		return err
	}
	if exists {
		return fmt.Errorf("bucket %s already exists; import it to manage it, or choose another name", b.name)
	}
	return b.create(ctx)
}

// Ensure creates the bucket when it does not exist yet and uses it as it is
// when it does: for a server that keeps its data in the bucket, not for a
// manager that must not adopt someone else's.
func (b *Bucket) Ensure(ctx context.Context) error {
	exists, err := b.Exists(ctx)
	if err != nil || exists {
		return err
	}
	if err := b.create(ctx); err != nil {
		return fmt.Errorf("the bucket does not exist and creating it failed: %w", err)
	}
	return nil
}

// create creates the bucket in the client's region and waits until it can
// be used.
func (b *Bucket) create(ctx context.Context) error {
	in := &s3.CreateBucketInput{Bucket: aws.String(b.name)}
	// us-east-1 is S3's default location and must not be named.
	if b.region != "" && b.region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(b.region),
		}
	}
	if _, err := b.client.CreateBucket(ctx, in); err != nil {
		return fmt.Errorf("CreateBucket %s: %w", b.name, err)
	}
	// S3 is eventually consistent: the next calls may not see the bucket yet.
	waiter := s3.NewBucketExistsWaiter(b.client)
	if err := waiter.Wait(ctx, &s3.HeadBucketInput{Bucket: aws.String(b.name)}, 2*time.Minute); err != nil {
		return fmt.Errorf("waiting for the new bucket %s to appear: %w", b.name, err)
	}
	return nil
}

// Region returns the region the bucket is in.
func (b *Bucket) Region(ctx context.Context) (string, error) {
	head, err := b.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b.name)})
	if isNoSuchBucket(err) {
		return "", ErrBucketNotFound
	}
	if err != nil {
		return "", fmt.Errorf("HeadBucket %s: %w", b.name, err)
	}
	return b.regionOf(head), nil
}

// regionOf returns the region HeadBucket reported, else the client's (not
// every S3-compatible server reports one).
func (b *Bucket) regionOf(head *s3.HeadBucketOutput) string {
	if r := aws.ToString(head.BucketRegion); r != "" {
		return r
	}
	if b.region != "" {
		return b.region
	}
	return "us-east-1"
}

// Apply brings the bucket's settings from from (nil for a new bucket) to to,
// calling S3 only for settings that differ. It stops at the first failure;
// a setting the server does not implement gives an *UnsupportedError.
func (b *Bucket) Apply(ctx context.Context, from *Settings, to Settings) error {
	created := from == nil
	if created {
		// A new bucket is unversioned, without lifecycle rules, bucket policy
		// or tags; its public access block and default encryption depend on
		// the server (AWS turns both on for new buckets), so they are always
		// set or removed.
		from = &Settings{BlockPublicAccess: !to.BlockPublicAccess}
	}
	if to.Versioning != from.Versioning {
		if err := b.putVersioning(ctx, to.Versioning); err != nil {
			return err
		}
	}
	if to.BlockPublicAccess != from.BlockPublicAccess {
		if err := b.putPublicAccessBlock(ctx, to.BlockPublicAccess); err != nil {
			return err
		}
	}
	// "" leaves the default encryption unmanaged, so nothing is removed.
	if to.SSEAlgorithm != "" && (created || to.SSEAlgorithm != from.SSEAlgorithm || to.KMSKeyID != from.KMSKeyID) {
		if err := b.putEncryption(ctx, to.SSEAlgorithm, to.KMSKeyID); err != nil {
			return err
		}
	}
	if to.NoncurrentVersionExpirationDays != from.NoncurrentVersionExpirationDays ||
		to.AbortIncompleteMultipartUploadDays != from.AbortIncompleteMultipartUploadDays {
		if err := b.putLifecycle(ctx, to); err != nil {
			return err
		}
	}
	if to.EnforceTLS != from.EnforceTLS {
		if err := b.putTLSPolicy(ctx, to.EnforceTLS); err != nil {
			return err
		}
	}
	if !maps.Equal(to.Tags, from.Tags) {
		if err := b.putTags(ctx, to.Tags); err != nil {
			return err
		}
	}
	return nil
}

func (b *Bucket) putVersioning(ctx context.Context, enabled bool) error {
	status := types.BucketVersioningStatusSuspended
	if enabled {
		status = types.BucketVersioningStatusEnabled
	}
	_, err := b.client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(b.name),
		VersioningConfiguration: &types.VersioningConfiguration{Status: status},
	})
	if err != nil {
		return unsupported(SettingVersioning, "PutBucketVersioning", b.name, err)
	}
	return nil
}

func (b *Bucket) putPublicAccessBlock(ctx context.Context, block bool) error {
	if block {
		_, err := b.client.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{
			Bucket: aws.String(b.name),
			PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{
				BlockPublicAcls:       aws.Bool(true),
				IgnorePublicAcls:      aws.Bool(true),
				BlockPublicPolicy:     aws.Bool(true),
				RestrictPublicBuckets: aws.Bool(true),
			},
		})
		if err != nil {
			return unsupported(SettingPublicAccessBlock, "PutPublicAccessBlock", b.name, err)
		}
		return nil
	}
	_, err := b.client.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String(b.name)})
	// A server without public access blocks has none to remove.
	if err != nil && !IsNotImplemented(err) && !hasCode(err, "NoSuchPublicAccessBlockConfiguration") {
		return fmt.Errorf("DeletePublicAccessBlock on bucket %s: %w", b.name, err)
	}
	return nil
}

func (b *Bucket) putEncryption(ctx context.Context, algorithm, kmsKeyID string) error {
	def := &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryption(algorithm)}
	if algorithm == SSEKMS && kmsKeyID != "" {
		def.KMSMasterKeyID = aws.String(kmsKeyID)
	}
	_, err := b.client.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{
		Bucket: aws.String(b.name),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{
			Rules: []types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: def}},
		},
	})
	if err != nil {
		return unsupported(SettingEncryption, "PutBucketEncryption", b.name, err)
	}
	return nil
}

// lifecycleRules returns the bucket's lifecycle rules (none when it has no
// lifecycle configuration).
func (b *Bucket) lifecycleRules(ctx context.Context) ([]types.LifecycleRule, error) {
	out, err := b.client.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(b.name)})
	if hasCode(err, "NoSuchLifecycleConfiguration") {
		return nil, nil
	}
	if err != nil {
		return nil, unsupported(SettingLifecycle, "GetBucketLifecycleConfiguration", b.name, err)
	}
	return out.Rules, nil
}

// putLifecycle sets the registry's rules that to asks for and removes the
// others of its own, keeping any other rules of the bucket.
func (b *Bucket) putLifecycle(ctx context.Context, to Settings) error {
	rules, err := b.lifecycleRules(ctx)
	if err != nil {
		if to.NoncurrentVersionExpirationDays == 0 && to.AbortIncompleteMultipartUploadDays == 0 && IsNotImplemented(err) {
			return nil // nothing to remove on a server without lifecycle
		}
		return err
	}
	rules = slices.DeleteFunc(rules, func(r types.LifecycleRule) bool {
		id := aws.ToString(r.ID)
		return id == lifecycleRuleID || id == abortUploadsRuleID
	})
	if days := to.NoncurrentVersionExpirationDays; days > 0 {
		rules = append(rules, types.LifecycleRule{
			ID:                          aws.String(lifecycleRuleID),
			Status:                      types.ExpirationStatusEnabled,
			Filter:                      &types.LifecycleRuleFilter{Prefix: aws.String("")},
			NoncurrentVersionExpiration: &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(days)},
		})
	}
	if days := to.AbortIncompleteMultipartUploadDays; days > 0 {
		rules = append(rules, types.LifecycleRule{
			ID:                             aws.String(abortUploadsRuleID),
			Status:                         types.ExpirationStatusEnabled,
			Filter:                         &types.LifecycleRuleFilter{Prefix: aws.String(ArtifactsPrefix)},
			AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(days)},
		})
	}
	if len(rules) == 0 {
		if _, err := b.client.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: aws.String(b.name)}); err != nil {
			return unsupported(SettingLifecycle, "DeleteBucketLifecycle", b.name, err)
		}
		return nil
	}
	_, err = b.client.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
		Bucket:                 aws.String(b.name),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules},
	})
	if err != nil {
		return unsupported(SettingLifecycle, "PutBucketLifecycleConfiguration", b.name, err)
	}
	return nil
}

// bucketPolicy returns the bucket policy as a generic document (nil when
// the bucket has none).
func (b *Bucket) bucketPolicy(ctx context.Context) (map[string]any, error) {
	out, err := b.client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(b.name)})
	if hasCode(err, "NoSuchBucketPolicy") {
		return nil, nil
	}
	if err != nil {
		return nil, unsupported(SettingPolicy, "GetBucketPolicy", b.name, err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &doc); err != nil {
		return nil, fmt.Errorf("bucket %s has a bucket policy that is not a JSON object: %w", b.name, err)
	}
	return doc, nil
}

// policyStatements returns the statements of doc; a policy may hold a
// single statement object instead of an array.
func policyStatements(doc map[string]any) []any {
	switch s := doc["Statement"].(type) {
	case []any:
		return s
	case map[string]any:
		return []any{s}
	default:
		return nil
	}
}

func isTLSStatement(s any) bool {
	m, ok := s.(map[string]any)
	return ok && m["Sid"] == tlsStatementSid
}

// putTLSPolicy adds or removes the registry's deny-insecure-transport
// statement, keeping any other statements of the bucket policy.
func (b *Bucket) putTLSPolicy(ctx context.Context, enforce bool) error {
	doc, err := b.bucketPolicy(ctx)
	if err != nil {
		if !enforce && IsNotImplemented(err) {
			return nil // nothing to remove on a server without policies
		}
		return err
	}
	if doc == nil {
		doc = map[string]any{"Version": "2012-10-17"}
	}
	statements := slices.DeleteFunc(policyStatements(doc), isTLSStatement)
	if enforce {
		statements = append(statements, tlsStatement(b.name, b.region))
	}
	if len(statements) == 0 {
		if _, err := b.client.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(b.name)}); err != nil {
			return unsupported(SettingPolicy, "DeleteBucketPolicy", b.name, err)
		}
		return nil
	}
	doc["Statement"] = statements
	policy, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encoding the bucket policy of %s: %w", b.name, err)
	}
	_, err = b.client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(b.name), Policy: aws.String(string(policy))})
	if err != nil {
		return unsupported(SettingPolicy, "PutBucketPolicy", b.name, err)
	}
	return nil
}

func (b *Bucket) putTags(ctx context.Context, tags map[string]string) error {
	if len(tags) == 0 {
		if _, err := b.client.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: aws.String(b.name)}); err != nil {
			return unsupported(SettingTags, "DeleteBucketTagging", b.name, err)
		}
		return nil
	}
	set := make([]types.Tag, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		set = append(set, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	_, err := b.client.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{
		Bucket:  aws.String(b.name),
		Tagging: &types.Tagging{TagSet: set},
	})
	if err != nil {
		return unsupported(SettingTags, "PutBucketTagging", b.name, err)
	}
	return nil
}

// Read returns the bucket's settings as the server reports them, or
// ErrBucketNotFound. A setting the server does not implement reads as
// off/empty: such a server cannot have it.
func (b *Bucket) Read(ctx context.Context) (*Observed, error) {
	head, err := b.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b.name)})
	if isNoSuchBucket(err) {
		return nil, ErrBucketNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("HeadBucket %s: %w", b.name, err)
	}
	obs := &Observed{Region: b.regionOf(head)}
	// Each reader below may also meet a bucket deleted meanwhile.
	readers := []func(context.Context, *Observed) error{
		b.readVersioning, b.readPublicAccessBlock, b.readEncryption,
		b.readLifecycle, b.readTLSPolicy, b.readTags,
	}
	for _, read := range readers {
		if err := read(ctx, obs); err != nil {
			if isNoSuchBucket(err) {
				return nil, ErrBucketNotFound
			}
			return nil, err
		}
	}
	return obs, nil
}

func (b *Bucket) readVersioning(ctx context.Context, obs *Observed) error {
	out, err := b.client.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(b.name)})
	if IsNotImplemented(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("GetBucketVersioning on bucket %s: %w", b.name, err)
	}
	obs.Versioning = out.Status == types.BucketVersioningStatusEnabled
	return nil
}

func (b *Bucket) readPublicAccessBlock(ctx context.Context, obs *Observed) error {
	out, err := b.client.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(b.name)})
	if IsNotImplemented(err) || hasCode(err, "NoSuchPublicAccessBlockConfiguration") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("GetPublicAccessBlock on bucket %s: %w", b.name, err)
	}
	c := out.PublicAccessBlockConfiguration
	// A partial block is not the block this setting promises.
	obs.BlockPublicAccess = c != nil && aws.ToBool(c.BlockPublicAcls) && aws.ToBool(c.IgnorePublicAcls) &&
		aws.ToBool(c.BlockPublicPolicy) && aws.ToBool(c.RestrictPublicBuckets)
	return nil
}

func (b *Bucket) readEncryption(ctx context.Context, obs *Observed) error {
	out, err := b.client.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(b.name)})
	if IsNotImplemented(err) || hasCode(err, "ServerSideEncryptionConfigurationNotFoundError") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("GetBucketEncryption on bucket %s: %w", b.name, err)
	}
	if cfg := out.ServerSideEncryptionConfiguration; cfg != nil {
		for _, r := range cfg.Rules {
			if d := r.ApplyServerSideEncryptionByDefault; d != nil {
				obs.SSEAlgorithm = string(d.SSEAlgorithm)
				obs.KMSKeyID = aws.ToString(d.KMSMasterKeyID)
				break
			}
		}
	}
	return nil
}

func (b *Bucket) readLifecycle(ctx context.Context, obs *Observed) error {
	rules, err := b.lifecycleRules(ctx)
	if IsNotImplemented(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, r := range rules {
		if r.Status != types.ExpirationStatusEnabled {
			continue
		}
		switch id := aws.ToString(r.ID); {
		case id == lifecycleRuleID && r.NoncurrentVersionExpiration != nil:
			obs.NoncurrentVersionExpirationDays = aws.ToInt32(r.NoncurrentVersionExpiration.NoncurrentDays)
		case id == abortUploadsRuleID && r.AbortIncompleteMultipartUpload != nil && coversArtifacts(r.Filter):
			obs.AbortIncompleteMultipartUploadDays = aws.ToInt32(r.AbortIncompleteMultipartUpload.DaysAfterInitiation)
		}
	}
	return nil
}

// coversArtifacts reports whether a rule's filter takes in every key under
// ArtifactsPrefix: a prefix filter that is a start of it (a rule narrowed
// to other keys, or by tags or sizes, does not protect the bundles).
func coversArtifacts(f *types.LifecycleRuleFilter) bool {
	if f == nil {
		return true
	}
	if f.And != nil || f.Tag != nil || f.ObjectSizeGreaterThan != nil || f.ObjectSizeLessThan != nil {
		return false
	}
	return strings.HasPrefix(ArtifactsPrefix, aws.ToString(f.Prefix))
}

func (b *Bucket) readTLSPolicy(ctx context.Context, obs *Observed) error {
	doc, err := b.bucketPolicy(ctx)
	if IsNotImplemented(err) {
		return nil
	}
	if err != nil {
		return err
	}
	obs.EnforceTLS = slices.ContainsFunc(policyStatements(doc), isTLSStatement)
	return nil
}

func (b *Bucket) readTags(ctx context.Context, obs *Observed) error {
	out, err := b.client.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(b.name)})
	if IsNotImplemented(err) || hasCode(err, "NoSuchTagSet", "NoSuchTagSetError") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("GetBucketTagging on bucket %s: %w", b.name, err)
	}
	if len(out.TagSet) > 0 {
		obs.Tags = make(map[string]string, len(out.TagSet))
		for _, t := range out.TagSet {
			obs.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return nil
}

// VerifyAccess writes a probe object under ProbePrefix and deletes it again,
// as the operations guide's manual `aws s3 cp` / `aws s3 rm` test does,
// without leaving a version or delete marker of the probe behind.
func (b *Bucket) VerifyAccess(ctx context.Context) error {
	random := make([]byte, 8)
	if _, err := rand.Read(random); err != nil {
		return fmt.Errorf("generating the probe key: %w", err)
	}
	key := ProbePrefix + hex.EncodeToString(random)
	put, err := b.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:      aws.String(b.name),
		Key:         aws.String(key),
		Body:        bytes.NewReader([]byte("registry_storage access check\n")),
		ContentType: aws.String("text/plain"),
	})
	if err != nil {
		return fmt.Errorf("writing the probe object s3://%s/%s: %w", b.name, key, err)
	}
	// Deleting by version id leaves no delete marker. An object written to
	// an unversioned or suspended bucket has the version id "null", which
	// servers do not always return.
	version := aws.ToString(put.VersionId)
	if version == "" {
		version = "null"
	}
	in := &s3.DeleteObjectInput{Bucket: aws.String(b.name), Key: aws.String(key), VersionId: aws.String(version)}
	if _, err := b.client.DeleteObject(ctx, in); err != nil {
		return fmt.Errorf("deleting the probe object s3://%s/%s (it was written and is still there): %w", b.name, key, err)
	}
	return nil
}

// Count returns how many objects, versions and delete markers the bucket
// holds.
func (b *Bucket) Count(ctx context.Context) (Counts, error) {
	var c Counts
	// Some servers (versitygw) repeat the entry at a page boundary; an entry
	// seen on the previous page is not counted twice.
	var previous map[versionID]bool
	p := s3.NewListObjectVersionsPaginator(b.client, &s3.ListObjectVersionsInput{
		Bucket:  aws.String(b.name),
		MaxKeys: aws.Int32(b.pageSize),
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return c, b.listError(err)
		}
		page := make(map[versionID]bool, len(out.Versions)+len(out.DeleteMarkers))
		for _, v := range out.Versions {
			id := versionID{aws.ToString(v.Key), aws.ToString(v.VersionId)}
			page[id] = true
			if previous[id] {
				continue
			}
			c.Versions++
			if aws.ToBool(v.IsLatest) {
				c.Objects++
			}
		}
		for _, m := range out.DeleteMarkers {
			id := versionID{aws.ToString(m.Key), aws.ToString(m.VersionId)}
			page[id] = true
			if !previous[id] {
				c.DeleteMarkers++
			}
		}
		previous = page
	}
	return c, nil
}

type versionID struct{ key, version string }

func (b *Bucket) listError(err error) error {
	if isNoSuchBucket(err) {
		return ErrBucketNotFound
	}
	return fmt.Errorf("ListObjectVersions on bucket %s: %w", b.name, err)
}

// Empty permanently deletes every object version and delete marker with
// batched DeleteObjects, and returns how many entries it removed.
func (b *Bucket) Empty(ctx context.Context) (int, error) {
	deleted := 0
	var previous []types.ObjectIdentifier
	for {
		// Always the first page: deleted entries leave the listing, and a
		// continuation marker that names a deleted entry is not resumed
		// correctly by every server (moto answers an empty page).
		out, err := b.client.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{
			Bucket:  aws.String(b.name),
			MaxKeys: aws.Int32(b.pageSize),
		})
		if err != nil {
			return deleted, b.listError(err)
		}
		ids := make([]types.ObjectIdentifier, 0, len(out.Versions)+len(out.DeleteMarkers))
		for _, v := range out.Versions {
			ids = append(ids, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range out.DeleteMarkers {
			ids = append(ids, types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		if len(ids) == 0 {
			return deleted, nil
		}
		if slices.EqualFunc(ids, previous, sameVersion) {
			return deleted, fmt.Errorf("bucket %s still lists %d entries that DeleteObjects reported deleted (first: %s)", b.name, len(ids), aws.ToString(ids[0].Key))
		}
		previous = ids
		// A page may hold MaxKeys versions plus delete markers, more than one
		// DeleteObjects request takes.
		for batch := range slices.Chunk(ids, int(b.pageSize)) {
			n, err := b.deleteBatch(ctx, batch)
			deleted += n
			if err != nil {
				return deleted, err
			}
		}
	}
}

func sameVersion(a, b types.ObjectIdentifier) bool {
	return aws.ToString(a.Key) == aws.ToString(b.Key) && aws.ToString(a.VersionId) == aws.ToString(b.VersionId)
}

func (b *Bucket) deleteBatch(ctx context.Context, ids []types.ObjectIdentifier) (int, error) {
	out, err := b.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: aws.String(b.name),
		Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
	})
	if err != nil {
		return 0, fmt.Errorf("DeleteObjects on bucket %s (%d keys): %w", b.name, len(ids), err)
	}
	if len(out.Errors) > 0 {
		e := out.Errors[0]
		return len(ids) - len(out.Errors), fmt.Errorf("DeleteObjects on bucket %s could not delete %d of %d entries; first: %s (version %s): %s: %s",
			b.name, len(out.Errors), len(ids), aws.ToString(e.Key), aws.ToString(e.VersionId), aws.ToString(e.Code), aws.ToString(e.Message))
	}
	return len(ids), nil
}

// Delete deletes the (empty) bucket and waits until it is gone. A bucket
// that is already gone is not an error.
func (b *Bucket) Delete(ctx context.Context) error {
	_, err := b.client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(b.name)})
	if isNoSuchBucket(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("DeleteBucket %s: %w", b.name, err)
	}
	waiter := s3.NewBucketNotExistsWaiter(b.client)
	if err := waiter.Wait(ctx, &s3.HeadBucketInput{Bucket: aws.String(b.name)}, 2*time.Minute); err != nil {
		return fmt.Errorf("waiting for bucket %s to disappear: %w", b.name, err)
	}
	return nil
}

// IsBucketNotEmpty reports S3's refusal to delete a bucket that still holds
// objects or versions.
func IsBucketNotEmpty(err error) bool { return hasCode(err, "BucketNotEmpty") }
