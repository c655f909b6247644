package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The resource identity of registry_artifact (Terraform and OpenTofu 1.12
// and newer): {type, id}, the two parts of its import ID "<type>/<id>".
// Older CLIs ignore it; the resource then behaves as before.

var _ resource.ResourceWithIdentity = (*ArtifactResource)(nil)

type artifactIdentityModel struct {
	Type types.String `tfsdk:"type"`
	ID   types.String `tfsdk:"id"`
}

func (r *ArtifactResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = artifactIdentitySchema()
}

// artifactIdentitySchema is shared with the list resource, whose results
// carry the same identity.
func artifactIdentitySchema() identityschema.Schema {
	return identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"type": identityschema.StringAttribute{
				Description:       "The artifact's type: model, dataset or code.",
				RequiredForImport: true,
			},
			"id": identityschema.StringAttribute{
				Description:       "The artifact's id, assigned by the registry.",
				RequiredForImport: true,
			},
		},
	}
}

// setArtifactIdentity records the identity of the artifact typ/id. A
// Terraform client without identity support passes no identity (nil).
func setArtifactIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, typ, id string) diag.Diagnostics {
	if identity == nil {
		return nil
	}
	return identity.Set(ctx, artifactIdentityModel{Type: types.StringValue(typ), ID: types.StringValue(id)})
}

// artifactImportTarget is the artifact an import names: by the import ID
// "<type>/<id>" (terraform import, an import block's id) or by an import
// block's identity, whose values must pass the same checks.
func artifactImportTarget(ctx context.Context, req resource.ImportStateRequest) (typ, id string, diags diag.Diagnostics) {
	raw := req.ID
	if raw == "" && req.Identity != nil {
		var ident artifactIdentityModel
		if diags = req.Identity.Get(ctx, &ident); diags.HasError() {
			return "", "", diags
		}
		raw = ident.Type.ValueString() + "/" + ident.ID.ValueString()
	}
	typ, id, err := parseArtifactImportID(raw)
	if err != nil {
		diags.AddError("Invalid import ID", err.Error())
	}
	return typ, id, diags
}
