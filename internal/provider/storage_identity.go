package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The resource identity of registry_storage (Terraform and OpenTofu 1.12
// and newer): {bucket}, its import ID. Older CLIs ignore it.

var _ resource.ResourceWithIdentity = (*StorageResource)(nil)

type storageIdentityModel struct {
	Bucket types.String `tfsdk:"bucket"`
}

func (r *StorageResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"bucket": identityschema.StringAttribute{
				Description:       "The name of the S3 bucket.",
				RequiredForImport: true,
			},
		},
	}
}

// setStorageIdentity records the identity of the bucket name. A Terraform
// client without identity support passes no identity (nil).
func setStorageIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, name string) diag.Diagnostics {
	if identity == nil {
		return nil
	}
	return identity.Set(ctx, storageIdentityModel{Bucket: types.StringValue(name)})
}

// storageImportName is the bucket an import names: the import ID, or the
// bucket of an import block's identity.
func storageImportName(ctx context.Context, req resource.ImportStateRequest) (string, diag.Diagnostics) {
	if req.ID != "" || req.Identity == nil {
		return req.ID, nil
	}
	var ident storageIdentityModel
	diags := req.Identity.Get(ctx, &ident)
	return ident.Bucket.ValueString(), diags
}
