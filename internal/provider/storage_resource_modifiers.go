package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/s3bucket"
)

// bucketName checks a bucket name against S3's naming rules at plan time,
// instead of letting CreateBucket fail at apply.
func bucketName() validator.String {
	return stringCheck{
		desc:    "must be a valid S3 bucket name",
		summary: "Invalid bucket name",
		check:   s3bucket.ValidateName,
	}
}

// bucketPrefix checks that every name generated from the prefix is a valid
// bucket name.
func bucketPrefix() validator.String {
	return stringCheck{
		desc:    fmt.Sprintf("must be the start of a valid S3 bucket name, at most %d characters", s3bucket.MaxPrefixLength),
		summary: "Invalid bucket prefix",
		check:   s3bucket.ValidatePrefix,
	}
}

// generatedBucketNamePlanModifier keeps a generated bucket name while the
// configuration still asks for a name from the same prefix. Otherwise the
// name stays unknown (a new one is generated), and RequiresReplace, which
// runs after it, replaces the bucket.
type generatedBucketNamePlanModifier struct{}

func (generatedBucketNamePlanModifier) Description(context.Context) string {
	return "keeps the generated bucket name while bucket_prefix is unchanged"
}

func (m generatedBucketNamePlanModifier) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (generatedBucketNamePlanModifier) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if !req.ConfigValue.IsNull() || req.StateValue.IsNull() {
		return
	}
	var prefix types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("bucket_prefix"), &prefix)...)
	if resp.Diagnostics.HasError() || prefix.IsUnknown() {
		return
	}
	want := s3bucket.DefaultPrefix
	if !prefix.IsNull() {
		want = prefix.ValueString()
	}
	if s3bucket.PrefixFromName(req.StateValue.ValueString()) == want {
		resp.PlanValue = req.StateValue
	}
}

// bucketPrefixPlanModifier plans the default prefix when neither bucket nor
// bucket_prefix is configured. With an explicit bucket the prefix plays no
// part and keeps its state value (null, or what an import derived).
type bucketPrefixPlanModifier struct{}

func (bucketPrefixPlanModifier) Description(context.Context) string {
	return fmt.Sprintf("defaults to %q when bucket is not set", s3bucket.DefaultPrefix)
}

func (m bucketPrefixPlanModifier) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (bucketPrefixPlanModifier) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if !req.ConfigValue.IsNull() {
		return
	}
	var bucket types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("bucket"), &bucket)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if bucket.IsNull() {
		resp.PlanValue = types.StringValue(s3bucket.DefaultPrefix)
		return
	}
	resp.PlanValue = req.StateValue
}
