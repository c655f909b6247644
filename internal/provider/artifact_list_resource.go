package provider

import (
	"context"
	"fmt"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

var _ list.ListResourceWithConfigure = (*ArtifactListResource)(nil)

// NewArtifactListResource returns the list resource registry_artifact,
// which `terraform query` (Terraform 1.14 and newer) uses to find the
// registry's artifacts and, with -generate-config-out, to write their
// resource and import blocks.
func NewArtifactListResource() list.ListResource {
	return &ArtifactListResource{}
}

// ArtifactListResource lists the registry's artifacts as registry_artifact
// resources.
type ArtifactListResource struct {
	data *ProviderData
}

type artifactListResourceModel struct {
	Name  types.String   `tfsdk:"name"`
	Types []types.String `tfsdk:"types"`
	Regex types.String   `tfsdk:"regex"`
}

func (l *ArtifactListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_artifact"
}

func (l *ArtifactListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the registry's artifacts as `registry_artifact` resources, for `terraform query` " +
			"(Terraform 1.14 or newer): every artifact (`POST /artifacts`, all pages), those with a `name` " +
			"(`GET /artifact/byName/{name}`, or the name query of `POST /artifacts` on a registry without it), or " +
			"those whose name or README matches `regex` (`POST /artifact/byRegEx`), each of them narrowed to `types`. " +
			"Each result carries the artifact's identity (`type` and `id`); with `include_resource = true`, and " +
			"always with `terraform query -generate-config-out=<file>`, also the whole resource (one `GET` per " +
			"artifact), from which Terraform writes a `registry_artifact` block and an `import` block per artifact. " +
			"Results are sorted by name, type and id. Terraform returns at most `limit` results (default 100).",
		Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{
				MarkdownDescription: "List only the artifacts with this name, e.g. `bert-base-uncased`. Conflicts " +
					"with `regex`.",
				Optional: true,
				Validators: []validator.String{
					stringvalidator.LengthAtLeast(1),
					stringvalidator.ConflictsWith(path.MatchRoot("regex")),
				},
			},
			"types": schema.ListAttribute{
				MarkdownDescription: "List only artifacts of these types: any of " + artifactTypesMarkdown("and") +
					". Defaults to all types.",
				ElementType: types.StringType,
				Optional:    true,
				Validators: []validator.List{
					listvalidator.ValueStringsAre(artifactType()),
					listvalidator.UniqueValues(),
				},
			},
			"regex": schema.StringAttribute{
				MarkdownDescription: "List only the artifacts whose name or README matches this regular expression, " +
					"e.g. `^bert-.*`. Conflicts with `name`.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
		},
	}
}

func (l *ArtifactListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (l *ArtifactListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var (
		config artifactListResourceModel
		diags  diag.Diagnostics
	)
	diags.Append(req.Config.Get(ctx, &config)...)
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	c := l.data.registryClientOr(&diags, "Cannot list registry_artifact", "")
	if c == nil {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	found, err := l.find(ctx, c, config)
	if !config.Regex.IsNull() && answeredByCreateRoute(err) {
		diags.Append(regexSearchNotOffered(l.data, config.Regex.ValueString(), err))
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	if err != nil {
		diags.AddError("Cannot list registry_artifact", fmt.Sprintf("%s failed: %s.", config.describe(), l.data.describeError(err)))
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	sortArtifacts(found)
	if req.Limit > 0 && int64(len(found)) > req.Limit {
		found = found[:req.Limit]
	}
	stream.Results = func(push func(list.ListResult) bool) {
		for _, m := range found {
			result := req.NewListResult(ctx)
			id := string(m.ID)
			result.DisplayName = fmt.Sprintf("%s %s (%s)", m.Type, m.Name, id)
			result.Diagnostics.Append(setArtifactIdentity(ctx, result.Identity, m.Type, id)...)
			if req.IncludeResource {
				art, err := c.GetArtifact(ctx, m.Type, id)
				if client.IsNotFound(err) {
					continue // deleted since it was listed
				}
				if err != nil {
					result.Diagnostics.AddError("Cannot read registry_artifact",
						fmt.Sprintf("Reading the listed artifact %s/%s failed: %s.", m.Type, m.ID, l.data.describeError(err)))
				} else {
					result.Diagnostics.Append(setListedArtifact(ctx, result.Resource, m.Type, art)...)
				}
			}
			if !push(result) {
				return
			}
		}
	}
}

// find asks the registry for the artifacts that config selects.
func (l *ArtifactListResource) find(ctx context.Context, c *client.Client, config artifactListResourceModel) ([]wire.ArtifactMetadata, error) {
	var types []string
	for _, t := range config.Types {
		types = append(types, t.ValueString())
	}
	switch {
	case !config.Name.IsNull():
		return c.ArtifactsNamed(ctx, config.Name.ValueString(), types...)
	case !config.Regex.IsNull():
		found, err := c.ArtifactsByRegex(ctx, config.Regex.ValueString())
		if err != nil || len(types) == 0 {
			return found, err
		}
		// The regex search has no type filter of its own.
		return slices.DeleteFunc(found, func(m wire.ArtifactMetadata) bool { return !slices.Contains(types, m.Type) }), nil
	default:
		return c.ListArtifacts(ctx, []wire.ArtifactQuery{{Name: "*", Types: types}})
	}
}

// describe names the lookup for an error message.
func (m artifactListResourceModel) describe() string {
	var what string
	switch {
	case !m.Name.IsNull():
		what = fmt.Sprintf("Listing the artifacts named %q", m.Name.ValueString())
	case !m.Regex.IsNull():
		what = fmt.Sprintf("Searching artifacts by the regular expression %q", m.Regex.ValueString())
	default:
		what = "Listing the artifacts"
	}
	if len(m.Types) > 0 {
		what += fmt.Sprintf(" (types %v)", m.Types)
	}
	return what
}

// setListedArtifact sets the result's resource to the artifact typ/id as
// the resource's Read after an import would: adopt_existing false and no
// timeouts, so that a generated configuration plans no change.
func setListedArtifact(ctx context.Context, resource *tfsdk.Resource, typ string, art *wire.Artifact) diag.Diagnostics {
	m := artifactResourceModel{Type: types.StringValue(typ)}
	m.fromArtifact(art)
	var diags diag.Diagnostics
	// Attribute by attribute: the timeouts block stays null.
	for name, v := range map[string]attr.Value{
		"id": m.ID, "type": m.Type, "url": m.URL, "name": m.Name, "download_url": m.DownloadURL,
		"sha256": m.SHA256, "size_bytes": m.SizeBytes, "bundle_not_stored": m.BundleNotStored,
		"adopt_existing": types.BoolValue(false),
	} {
		diags.Append(resource.SetAttribute(ctx, path.Root(name), v)...)
	}
	return diags
}
