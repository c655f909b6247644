package provider

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/s3bucket"
)

var (
	_ resource.ResourceWithConfigure      = (*StorageResource)(nil)
	_ resource.ResourceWithImportState    = (*StorageResource)(nil)
	_ resource.ResourceWithValidateConfig = (*StorageResource)(nil)
)

// defaultAbortIncompleteUploadsDays is abort_incomplete_multipart_upload_days's
// default: AWS's own example of the rule, long enough for any upload still
// in progress.
const defaultAbortIncompleteUploadsDays = 7

// NewStorageResource returns the resource registry_storage.
func NewStorageResource() resource.Resource {
	return &StorageResource{}
}

// StorageResource is the registry's S3 bucket, created and hardened as the
// registry's S3 operations guide describes.
type StorageResource struct {
	data *ProviderData
}

type storageResourceModel struct {
	ID                              types.String `tfsdk:"id"`
	Bucket                          types.String `tfsdk:"bucket"`
	BucketPrefix                    types.String `tfsdk:"bucket_prefix"`
	Versioning                      types.Bool   `tfsdk:"versioning"`
	BlockPublicAccess               types.Bool   `tfsdk:"block_public_access"`
	SSEAlgorithm                    types.String `tfsdk:"sse_algorithm"`
	KMSKeyID                        types.String `tfsdk:"kms_key_id"`
	NoncurrentVersionExpirationDays types.Int64  `tfsdk:"noncurrent_version_expiration_days"`
	AbortIncompleteUploadsDays      types.Int64  `tfsdk:"abort_incomplete_multipart_upload_days"`
	EnforceTLS                      types.Bool   `tfsdk:"enforce_tls"`
	Tags                            types.Map    `tfsdk:"tags"`
	ForceDestroy                    types.Bool   `tfsdk:"force_destroy"`
	VerifyAccess                    types.Bool   `tfsdk:"verify_access"`
	ARN                             types.String `tfsdk:"arn"`
	Region                          types.String `tfsdk:"region"`
	ArtifactsPrefix                 types.String `tfsdk:"artifacts_prefix"`
	IAMPolicyJSON                   types.String `tfsdk:"iam_policy_json"`
	LambdaEnvironment               types.Map    `tfsdk:"lambda_environment"`
}

func (r *StorageResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_storage"
}

func (r *StorageResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The registry's S3 bucket, created and hardened as the registry's S3 operations guide " +
			"describes: a uniquely named bucket with versioning, all public access blocked and default encryption, " +
			"a lifecycle rule that aborts incomplete multipart uploads of artifact bundles, optionally a lifecycle rule " +
			"for old versions and a policy that denies requests without TLS. Its outputs " +
			"are the least-privilege IAM policy and the Lambda environment of a registry that stores its artifacts " +
			"in the bucket.\n\n" +
			"Every managed setting is read back from the bucket, so that a change made outside Terraform shows in " +
			"the next plan and the next apply repairs it. A bucket that still holds objects is never deleted unless " +
			"`force_destroy` is set and applied first.\n\n" +
			"S3-compatible servers (Ceph, MinIO, versitygw, ...) lack some S3 features; a setting that the server " +
			"answers `NotImplemented` to fails with an error that names the setting and how to turn it off. For " +
			"versitygw, set `block_public_access = false`, `sse_algorithm = \"\"` and " +
			"`abort_incomplete_multipart_upload_days = 0`.\n\n" +
			"The provider's `s3` block configures the S3 client; this resource needs no registry endpoint.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The bucket's name.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"bucket": schema.StringAttribute{
				MarkdownDescription: "The bucket's name: 3-63 lowercase letters, digits, dots and hyphens, beginning and " +
					"ending with a letter or digit, without `..`, not shaped like an IP address. Bucket names are " +
					"global, so by default a unique name is generated from `bucket_prefix` instead. Changing it " +
					"replaces the bucket.",
				Optional: true,
				Computed: true,
				Validators: []validator.String{
					bucketName(),
					stringvalidator.ConflictsWith(path.MatchRoot("bucket_prefix")),
				},
				PlanModifiers: []planmodifier.String{
					generatedBucketNamePlanModifier{},
					stringplanmodifier.RequiresReplace(),
				},
			},
			"bucket_prefix": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("Prefix of the generated bucket name, when `bucket` is not set: the "+
					"name is the prefix followed by a %d-character UTC timestamp and random suffix, as the guide's "+
					"`trustworthy-registry-artifacts-$(date +%%s)`. At most %d characters. Defaults to `%s`. "+
					"Changing it replaces the bucket.", s3bucket.GeneratedSuffixLength, s3bucket.MaxPrefixLength, s3bucket.DefaultPrefix),
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{bucketPrefix()},
				PlanModifiers: []planmodifier.String{
					bucketPrefixPlanModifier{},
				},
			},
			"versioning": schema.BoolAttribute{
				MarkdownDescription: "Keep every version of every object, so that an overwritten or deleted artifact " +
					"can be restored. `false` suspends versioning (S3 cannot turn it off completely once enabled). " +
					"Defaults to `true`.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(true),
			},
			"block_public_access": schema.BoolAttribute{
				MarkdownDescription: "Block all public access: the bucket's public access block with all four flags " +
					"(`BlockPublicAcls`, `IgnorePublicAcls`, `BlockPublicPolicy`, `RestrictPublicBuckets`). `false` " +
					"removes the public access block. Set it to `false` for S3-compatible servers that do not " +
					"implement public access blocks (versitygw). Defaults to `true`.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(true),
			},
			"sse_algorithm": schema.StringAttribute{
				MarkdownDescription: "Default server-side encryption of new objects: `AES256` (SSE-S3) or `aws:kms` " +
					"(SSE-KMS, with `kms_key_id`). `\"\"` leaves the bucket's default encryption unmanaged: it is " +
					"neither set nor read, for S3-compatible servers that do not implement bucket encryption " +
					"(versitygw). Defaults to `AES256`.",
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(s3bucket.SSEAES256),
				Validators: []validator.String{stringvalidator.OneOf(s3bucket.SSEAES256, s3bucket.SSEKMS, "")},
			},
			"kms_key_id": schema.StringAttribute{
				MarkdownDescription: "KMS key (id, ARN or alias ARN) for `sse_algorithm = \"aws:kms\"`; only valid " +
					"with it. Without it, S3 uses the AWS managed key `aws/s3`.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"noncurrent_version_expiration_days": schema.Int64Attribute{
				MarkdownDescription: "Delete object versions this many days after they stop being current, with a " +
					"lifecycle rule, so that old versions do not pile up cost. The rule is the resource's own; other " +
					"lifecycle rules of the bucket are kept. Unset: no such rule. Leave it unset for S3-compatible " +
					"servers without lifecycle support (versitygw).",
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(1, math.MaxInt32)},
			},
			"abort_incomplete_multipart_upload_days": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Abort multipart uploads under `%s` that are still incomplete this "+
					"many days after they began, with a lifecycle rule. The registry uploads an artifact's bundle "+
					"(`artifacts/<id>/files/`) in parts; an upload cut short (the registry crashed or timed out) leaves "+
					"parts that are invisible in listings but stored and billed until they are aborted. The rule is the "+
					"resource's own; other lifecycle rules of the bucket are kept. `0`: no such rule, for S3-compatible "+
					"servers without lifecycle support (versitygw). Defaults to `%d`.", s3bucket.ArtifactsPrefix, defaultAbortIncompleteUploadsDays),
				Optional:   true,
				Computed:   true,
				Default:    int64default.StaticInt64(defaultAbortIncompleteUploadsDays),
				Validators: []validator.Int64{int64validator.Between(0, math.MaxInt32)},
			},
			"enforce_tls": schema.BoolAttribute{
				MarkdownDescription: "Add a bucket policy statement that denies every request not made over TLS " +
					"(`aws:SecureTransport = false`). Other statements of the bucket policy are kept. Defaults to `false`.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"tags": schema.MapAttribute{
				MarkdownDescription: "Tags of the bucket (at most 50; keys up to 128 and values up to 256 characters).",
				ElementType:         types.StringType,
				Optional:            true,
				Validators: []validator.Map{
					mapvalidator.SizeAtMost(50),
					mapvalidator.KeysAre(stringvalidator.LengthBetween(1, 128)),
					mapvalidator.ValueStringsAre(stringvalidator.LengthAtMost(256)),
				},
			},
			"force_destroy": schema.BoolAttribute{
				MarkdownDescription: "Allow destroying the bucket while it holds objects: every object version and " +
					"delete marker is deleted first, permanently. It must be set and applied before the destroy. " +
					"Defaults to `false`: destroying a bucket that is not empty fails and deletes nothing.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"verify_access": schema.BoolAttribute{
				MarkdownDescription: fmt.Sprintf("At create, write a probe object under the reserved prefix `%s` and "+
					"delete it again (with its version), as the guide's manual test does, so that credentials that "+
					"cannot write to the bucket fail the apply instead of the registry. Defaults to `true`.", s3bucket.ProbePrefix),
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(true),
			},
			"arn": schema.StringAttribute{
				MarkdownDescription: "The bucket's ARN, e.g. `arn:aws:s3:::trustworthy-registry-artifacts-...`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"region": schema.StringAttribute{
				MarkdownDescription: "The region the bucket is in.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"artifacts_prefix": schema.StringAttribute{
				MarkdownDescription: "The key prefix under which the registry stores its artifacts " +
					"(`artifacts/<id>/metadata.json`, and the stored bundle under `artifacts/<id>/files/`): `artifacts/`.",
				Computed: true,
				Default:  stringdefault.StaticString(s3bucket.ArtifactsPrefix),
			},
			"iam_policy_json": schema.StringAttribute{
				MarkdownDescription: "The least-privilege IAM policy of the registry's role, ready for " +
					"`aws_iam_role_policy`: `s3:PutObject`, `s3:GetObject`, `s3:DeleteObject` and " +
					"`s3:AbortMultipartUpload` on the bucket's objects and `s3:ListBucket` on the bucket, nothing else. " +
					"The guide's policy lacks `s3:AbortMultipartUpload`, which the registry needs to abort a failed " +
					"multipart upload of a bundle (creating, uploading and completing one is `s3:PutObject`).",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"lambda_environment": schema.MapAttribute{
				MarkdownDescription: "The registry's environment for S3 storage, ready for `aws_lambda_function`'s " +
					"`environment.variables`: `USE_S3=1`, `S3_BUCKET_NAME`, `USE_SQLITE=0`, `ENVIRONMENT=production`, " +
					"`LOG_LEVEL=INFO`. Lambda sets `AWS_REGION` itself.",
				ElementType:   types.StringType,
				Computed:      true,
				PlanModifiers: []planmodifier.Map{mapplanmodifier.UseStateForUnknown()},
			},
		},
	}
}

func (r *StorageResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig rejects kms_key_id without aws:kms, which S3 would ignore
// or refuse only at apply.
func (r *StorageResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var config storageResourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() || config.KMSKeyID.IsNull() || config.SSEAlgorithm.IsUnknown() {
		return
	}
	algorithm := s3bucket.SSEAES256 // the default
	if !config.SSEAlgorithm.IsNull() {
		algorithm = config.SSEAlgorithm.ValueString()
	}
	if algorithm != s3bucket.SSEKMS {
		resp.Diagnostics.AddAttributeError(path.Root("kms_key_id"), "kms_key_id needs sse_algorithm = \"aws:kms\"",
			fmt.Sprintf("kms_key_id is set, but sse_algorithm is %q. Set sse_algorithm = %q to encrypt with that key, or remove kms_key_id.",
				algorithm, s3bucket.SSEKMS))
	}
}

// s3Bucket returns the manager of the named bucket, or adds a diagnostic.
func (r *StorageResource) s3Bucket(ctx context.Context, name string, diags *diag.Diagnostics) *s3bucket.Bucket {
	client := r.data.s3ClientOr(ctx, diags, "Cannot reach S3")
	if client == nil {
		return nil
	}
	return s3bucket.New(client, name)
}

func (r *StorageResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan storageResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := plan.Bucket.ValueString()
	if plan.Bucket.IsUnknown() {
		var err error
		if name, err = s3bucket.GenerateName(plan.BucketPrefix.ValueString()); err != nil {
			resp.Diagnostics.AddError("Cannot generate a bucket name", err.Error())
			return
		}
	}
	b := r.s3Bucket(ctx, name, &resp.Diagnostics)
	if b == nil {
		return
	}
	if err := b.Create(ctx); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("bucket"), "Cannot create the bucket",
			fmt.Sprintf("Creating bucket %q at %s failed: %v", name, r.data.S3Endpoint(), err))
		return
	}
	tflog.Info(ctx, "created bucket", map[string]any{"bucket": name})

	region, err := b.Region(ctx)
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the new bucket", fmt.Sprintf("Bucket %q was created, but reading it back failed: %v", name, err))
		// Saved so that Terraform tracks (and replaces) the bucket.
		region = ""
	}
	plan.Bucket = types.StringValue(name)
	plan.setComputed(region)
	// Saved before the settings are applied: if one fails, Terraform keeps
	// the bucket as tainted and replaces it on the next apply, instead of
	// losing track of it.
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(setStorageIdentity(ctx, resp.Identity, name)...)
	if resp.Diagnostics.HasError() {
		return
	}

	to, diags := plan.settings(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := b.Apply(ctx, nil, to); err != nil {
		r.addSettingError(&resp.Diagnostics, name, to, err, "The bucket was created; Terraform marks it tainted and replaces it at the next apply.")
		return
	}
	if plan.VerifyAccess.ValueBool() {
		if err := b.VerifyAccess(ctx); err != nil {
			endpoint := r.data.S3Endpoint()
			hint := ""
			if plan.EnforceTLS.ValueBool() && strings.HasPrefix(endpoint, "http://") {
				hint = " enforce_tls = true denies every request made without TLS, and this endpoint is plain http."
			}
			resp.Diagnostics.AddAttributeError(path.Root("verify_access"), "The credentials cannot write to the new bucket",
				fmt.Sprintf("The access check of bucket %q at %s failed: %v\n\n"+
					"The registry needs s3:PutObject and s3:DeleteObject on the bucket's objects (see iam_policy_json); the "+
					"check also deletes the probe's version.%s Grant them to the credentials Terraform uses, or set "+
					"verify_access = false to skip the check. The bucket was created; Terraform marks it tainted and "+
					"replaces it at the next apply.", name, endpoint, err, hint))
		}
	}
}

func (r *StorageResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state storageResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := state.ID.ValueString()
	// Also gives state written before identities existed its identity.
	resp.Diagnostics.Append(setStorageIdentity(ctx, resp.Identity, name)...)
	b := r.s3Bucket(ctx, name, &resp.Diagnostics)
	if b == nil {
		return
	}
	obs, err := b.Read(ctx)
	if errors.Is(err, s3bucket.ErrBucketNotFound) {
		tflog.Warn(ctx, "bucket no longer exists; removing it from the state", map[string]any{"bucket": name})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the bucket", fmt.Sprintf("Reading bucket %q at %s failed: %v", name, r.data.S3Endpoint(), err))
		return
	}

	state.Bucket = types.StringValue(name)
	state.Versioning = types.BoolValue(obs.Versioning)
	state.BlockPublicAccess = types.BoolValue(obs.BlockPublicAccess)
	// "" means unmanaged: then the bucket's encryption is none of our
	// business. Null (after import) reads what the bucket has.
	if state.SSEAlgorithm.ValueString() != "" || state.SSEAlgorithm.IsNull() {
		state.SSEAlgorithm = types.StringValue(obs.SSEAlgorithm)
		state.KMSKeyID = nullIfEmpty(obs.KMSKeyID)
	}
	state.AbortIncompleteUploadsDays = types.Int64Value(int64(obs.AbortIncompleteMultipartUploadDays))
	if obs.NoncurrentVersionExpirationDays > 0 {
		state.NoncurrentVersionExpirationDays = types.Int64Value(int64(obs.NoncurrentVersionExpirationDays))
	} else {
		state.NoncurrentVersionExpirationDays = types.Int64Null()
	}
	state.EnforceTLS = types.BoolValue(obs.EnforceTLS)
	// No tags read as an empty map only where the configuration had one.
	if len(obs.Tags) > 0 || !state.Tags.IsNull() {
		if obs.Tags == nil {
			obs.Tags = map[string]string{} // a nil map would convert to null
		}
		tags, diags := types.MapValueFrom(ctx, types.StringType, obs.Tags)
		resp.Diagnostics.Append(diags...)
		state.Tags = tags
	}
	// Not settings of the bucket; after an import they take their defaults.
	if state.ForceDestroy.IsNull() {
		state.ForceDestroy = types.BoolValue(false)
	}
	if state.VerifyAccess.IsNull() {
		state.VerifyAccess = types.BoolValue(true)
	}
	state.setComputed(obs.Region)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *StorageResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state storageResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	from, diags := state.settings(ctx)
	resp.Diagnostics.Append(diags...)
	to, diags := plan.settings(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := state.ID.ValueString()
	b := r.s3Bucket(ctx, name, &resp.Diagnostics)
	if b == nil {
		return
	}
	if err := b.Apply(ctx, &from, to); err != nil {
		r.addSettingError(&resp.Diagnostics, name, to, err, "")
		// The prior state: the next refresh reads whatever was changed
		// before the failure.
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(setStorageIdentity(ctx, resp.Identity, name)...)
}

func (r *StorageResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state storageResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := state.ID.ValueString()
	b := r.s3Bucket(ctx, name, &resp.Diagnostics)
	if b == nil {
		return
	}
	if state.ForceDestroy.ValueBool() {
		n, err := b.Empty(ctx)
		if errors.Is(err, s3bucket.ErrBucketNotFound) {
			return
		}
		if err != nil {
			resp.Diagnostics.AddError("Cannot empty the bucket",
				fmt.Sprintf("force_destroy: deleting the versions of bucket %q failed after %d were deleted: %v", name, n, err))
			return
		}
		tflog.Info(ctx, "force_destroy: deleted every object version and delete marker", map[string]any{"bucket": name, "deleted": n})
	} else {
		counts, err := b.Count(ctx)
		if errors.Is(err, s3bucket.ErrBucketNotFound) {
			return
		}
		if err != nil {
			resp.Diagnostics.AddError("Cannot check that the bucket is empty", fmt.Sprintf("Listing the versions of bucket %q failed, so it was not deleted: %v", name, err))
			return
		}
		if !counts.Empty() {
			resp.Diagnostics.AddError("The bucket is not empty", notEmptyDetail(name, counts))
			return
		}
	}
	if err := b.Delete(ctx); err != nil {
		detail := fmt.Sprintf("Deleting bucket %q failed: %v", name, err)
		if s3bucket.IsBucketNotEmpty(err) {
			detail += "\n\nObjects were written to the bucket while it was being deleted. Nothing else was deleted; stop the writers and destroy again."
		}
		resp.Diagnostics.AddError("Cannot delete the bucket", detail)
	}
}

func notEmptyDetail(name string, c s3bucket.Counts) string {
	return fmt.Sprintf("Bucket %q still holds %d %s (%d object %s and %d delete %s in all), so it was not deleted, "+
		"and nothing in it was.\n\nTo delete the bucket with everything in it, set force_destroy = true, run "+
		"terraform apply, then destroy again.",
		name, c.Objects, plural(c.Objects, "object", "objects"), c.Versions, plural(c.Versions, "version", "versions"),
		c.DeleteMarkers, plural(c.DeleteMarkers, "marker", "markers"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ImportState imports a bucket by its name (the import ID or the identity's
// bucket). The settings are read from the bucket; force_destroy and verify_access take their defaults.
func (r *StorageResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	name, diags := storageImportName(ctx, req)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := s3bucket.ValidateName(name); err != nil {
		resp.Diagnostics.AddError("Invalid import ID", fmt.Sprintf("The import ID is the bucket's name: %v", err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), name)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("bucket"), name)...)
	// A generated name gives back its prefix, so that a configuration with
	// bucket_prefix (or neither attribute) plans no replacement.
	if prefix := s3bucket.PrefixFromName(name); prefix != "" {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("bucket_prefix"), prefix)...)
	}
}

// addSettingError turns the error of applying the settings to into a
// diagnostic; a setting the server does not implement names the attribute
// and the way out.
func (r *StorageResource) addSettingError(diags *diag.Diagnostics, bucket string, to s3bucket.Settings, err error, note string) {
	var unsupported *s3bucket.UnsupportedError
	if errors.As(err, &unsupported) {
		attribute, fix := unsupportedSettingFix(unsupported.Setting, to)
		detail := fmt.Sprintf("The S3 endpoint %s does not implement the %s that %s manages: %s answered NotImplemented "+
			"for bucket %q.\n\nFor this server, %s.", r.data.S3Endpoint(), unsupported.Setting, attribute,
			unsupported.Operation, bucket, fix)
		if note != "" {
			detail += " " + note
		}
		diags.AddAttributeError(path.Root(attribute), fmt.Sprintf("%s is not supported by this S3 server", attribute), detail)
		return
	}
	detail := fmt.Sprintf("Configuring bucket %q at %s failed: %v", bucket, r.data.S3Endpoint(), err)
	if note != "" {
		detail += "\n\n" + note
	}
	diags.AddError("Cannot configure the bucket", detail)
}

// unsupportedSettingFix maps a setting to its attribute and the
// configuration that needs nothing of the server, given the settings asked
// for (to).
func unsupportedSettingFix(s s3bucket.Setting, to s3bucket.Settings) (attribute, fix string) {
	switch s {
	case s3bucket.SettingPublicAccessBlock:
		return "block_public_access", "set block_public_access = false"
	case s3bucket.SettingEncryption:
		return "sse_algorithm", `set sse_algorithm = "" (default encryption not managed)`
	case s3bucket.SettingLifecycle:
		// Both lifecycle rules need the same operations: name every one the
		// configuration asks for.
		attribute, fixes := "abort_incomplete_multipart_upload_days", []string{}
		if to.NoncurrentVersionExpirationDays > 0 {
			attribute = "noncurrent_version_expiration_days"
			fixes = append(fixes, "leave noncurrent_version_expiration_days unset")
		}
		if to.AbortIncompleteMultipartUploadDays > 0 {
			fixes = append(fixes, "set abort_incomplete_multipart_upload_days = 0")
		}
		return attribute, strings.Join(fixes, " and ")
	case s3bucket.SettingPolicy:
		return "enforce_tls", "leave enforce_tls unset or set it to false"
	case s3bucket.SettingTags:
		return "tags", "leave tags unset"
	default:
		return "versioning", "set versioning = false"
	}
}

// settings converts the model into the bucket settings it asks for.
func (m *storageResourceModel) settings(ctx context.Context) (s3bucket.Settings, diag.Diagnostics) {
	s := s3bucket.Settings{
		Versioning:                         m.Versioning.ValueBool(),
		BlockPublicAccess:                  m.BlockPublicAccess.ValueBool(),
		SSEAlgorithm:                       m.SSEAlgorithm.ValueString(),
		KMSKeyID:                           m.KMSKeyID.ValueString(),
		NoncurrentVersionExpirationDays:    int32(m.NoncurrentVersionExpirationDays.ValueInt64()), // validated to fit
		AbortIncompleteMultipartUploadDays: int32(m.AbortIncompleteUploadsDays.ValueInt64()),      // validated to fit
		EnforceTLS:                         m.EnforceTLS.ValueBool(),
	}
	var diags diag.Diagnostics
	if !m.Tags.IsNull() {
		diags = m.Tags.ElementsAs(ctx, &s.Tags, false)
	}
	return s, diags
}

// setComputed fills the values derived from the bucket's name and region.
func (m *storageResourceModel) setComputed(region string) {
	name := m.Bucket.ValueString()
	m.ID = types.StringValue(name)
	m.Region = types.StringValue(region)
	m.ARN = types.StringValue(s3bucket.ARN(name, region))
	m.ArtifactsPrefix = types.StringValue(s3bucket.ArtifactsPrefix)
	m.IAMPolicyJSON = types.StringValue(s3bucket.IAMPolicyJSON(name, region))
	env := s3bucket.LambdaEnvironment(name)
	elems := make(map[string]attr.Value, len(env))
	for k, v := range env {
		elems[k] = types.StringValue(v)
	}
	m.LambdaEnvironment = types.MapValueMust(types.StringType, elems)
}
