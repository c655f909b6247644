package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
)

// pinMismatchSummary is the summary of every error about an artifact whose
// stored bundle is not the one expected_sha256 pins.
const pinMismatchSummary = "Stored bundle does not match expected_sha256"

// pinMismatch says how the stored bundle of the model's artifact differs
// from its pin, or "" when it matches or nothing is pinned.
func (m artifactResourceModel) pinMismatch() string {
	if m.ExpectedSHA256.IsNull() || m.ExpectedSHA256.IsUnknown() {
		return ""
	}
	want := m.ExpectedSHA256.ValueString()
	switch {
	case m.SHA256.ValueString() == want:
		return ""
	case !m.SHA256.IsNull():
		return fmt.Sprintf("the bundle the registry stores has the SHA-256 %s (%d bytes), not the expected %s",
			m.SHA256.ValueString(), m.SizeBytes.ValueInt64(), want)
	case !m.BundleNotStored.IsNull():
		return fmt.Sprintf("the registry stores no bundle for it (the registry's reason: %q), so its content cannot have the expected SHA-256 %s",
			m.BundleNotStored.ValueString(), want)
	default:
		return fmt.Sprintf("the registry reports no stored bundle for it (its answer has no bundle digest), so its content cannot be "+
			"checked against the expected SHA-256 %s; pinning needs a registry that reports the bundles it stores", want)
	}
}

// rejectCreated ends a create whose artifact does not have the pinned
// content: the artifact is deleted again when this create made it
// (created), so that nothing is left in the registry or in the state. When
// the deletion fails, the artifact goes into the state with the error, so
// that Terraform marks it tainted: the next apply replaces it and a destroy
// deletes it, instead of leaving it unmanaged.
func (r *ArtifactResource) rejectCreated(ctx context.Context, c *client.Client, plan *artifactResourceModel, created bool, why string, resp *resource.CreateResponse) {
	typ, id, url := plan.Type.ValueString(), plan.ID.ValueString(), plan.URL.ValueString()
	fix := "Check that the url is the source that was vetted; if its current content is intended, set expected_sha256 to its digest."
	if !created {
		resp.Diagnostics.AddAttributeError(path.Root("expected_sha256"), pinMismatchSummary,
			fmt.Sprintf("The registry already held the %s at %q (id %q, adopted because adopt_existing is true), but %s. "+
				"That artifact was not created by this apply, so it is left in the registry as it is, and it is not in the "+
				"state. %s", typ, url, id, why, fix))
		return
	}
	if d := r.deleteArtifact(ctx, c, typ, id); d != nil {
		resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
		resp.Diagnostics.Append(setArtifactIdentity(ctx, resp.Identity, typ, id)...)
		resp.Diagnostics.AddAttributeError(path.Root("expected_sha256"), pinMismatchSummary,
			fmt.Sprintf("The registry registered the %s at %q as id %q, but %s. Deleting that artifact again failed (%s: %s), "+
				"so it is kept in the state, marked tainted: the next apply replaces it, and terraform destroy deletes it. %s",
				typ, url, id, why, d.Summary(), d.Detail(), fix))
		return
	}
	tflog.Info(ctx, "deleted the artifact whose stored bundle does not match expected_sha256", map[string]any{"type": typ, "id": id})
	resp.Diagnostics.AddAttributeError(path.Root("expected_sha256"), pinMismatchSummary,
		fmt.Sprintf("The registry registered the %s at %q, but %s. The artifact it registered (id %q) was deleted again: "+
			"nothing is left in the registry or in the state. %s", typ, url, why, id, fix))
}

// ModifyPlan replaces an artifact whose stored bundle, as the refresh read
// it, no longer has the pinned digest (or is no longer stored). The stored
// digest is planned unknown, which is the change that forces the
// replacement, so the plan shows it next to "forces replacement".
func (r *ArtifactResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	// A create checks the pin itself; a destroy has nothing to check.
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	var plan artifactResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	// An unknown sha256 is a url change, whose new bundle the update checks.
	if resp.Diagnostics.HasError() || plan.SHA256.IsUnknown() {
		return
	}
	why := plan.pinMismatch()
	if why == "" {
		return
	}
	tflog.Info(ctx, "the stored bundle does not match expected_sha256; planning the artifact's replacement",
		map[string]any{"type": plan.Type.ValueString(), "id": plan.ID.ValueString(), "why": why})
	resp.Diagnostics.AddAttributeWarning(path.Root("expected_sha256"), "Artifact replaced: its stored bundle changed",
		fmt.Sprintf("The %s %s does not have the pinned content any more: %s. The plan replaces it: the artifact is deleted "+
			"and registered again from %q, and the new bundle is checked against expected_sha256.",
			plan.Type.ValueString(), plan.ID.ValueString(), why, plan.URL.ValueString()))
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("sha256"), types.StringUnknown())...)
	resp.RequiresReplace = append(resp.RequiresReplace, path.Root("sha256"))
}
