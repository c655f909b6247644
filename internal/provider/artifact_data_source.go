package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
)

var (
	_ datasource.DataSourceWithConfigure        = (*ArtifactDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*ArtifactDataSource)(nil)
)

// NewArtifactDataSource returns the data source registry_artifact.
func NewArtifactDataSource() datasource.DataSource {
	return &ArtifactDataSource{}
}

// ArtifactDataSource reads one artifact, by type and id or by name.
type ArtifactDataSource struct {
	data *ProviderData
}

type artifactDataSourceModel struct {
	ID              types.String `tfsdk:"id"`
	Type            types.String `tfsdk:"type"`
	Name            types.String `tfsdk:"name"`
	URL             types.String `tfsdk:"url"`
	DownloadURL     types.String `tfsdk:"download_url"`
	SHA256          types.String `tfsdk:"sha256"`
	SizeBytes       types.Int64  `tfsdk:"size_bytes"`
	BundleNotStored types.String `tfsdk:"bundle_not_stored"`
}

func (d *ArtifactDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_artifact"
}

func (d *ArtifactDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one artifact of the registry, either by `type` and `id`, or by `name` " +
			"(optionally narrowed by `type`). A name that matches several artifacts is an error that lists their " +
			"ids; use `type` and `id`, or the `registry_artifacts` data source, then. The name is looked up with " +
			"`GET /artifact/byName/{name}`, or, on a registry that does not offer that NON-BASELINE endpoint, with the " +
			"name query of `POST /artifacts`. \"Not found\" is reported only when the registry says so; an endpoint " +
			"the registry does not offer is an error that names it.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The artifact's id. Set it together with `type` to read that artifact; " +
					"otherwise it is the id of the artifact found by `name`.",
				Optional: true,
				Computed: true,
				Validators: []validator.String{
					stringvalidator.AlsoRequires(path.MatchRoot("type")),
					artifactID(),
				},
			},
			"type": schema.StringAttribute{
				MarkdownDescription: "The artifact's type: " + artifactTypesMarkdown("or") + ". Required with `id`; " +
					"with `name` it narrows the search, and without it the found artifact's type is returned.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{artifactType()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "The artifact's name, e.g. `bert-base-uncased`. Set it to find the artifact by " +
					"name; otherwise it is the name of the artifact read by `id`.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1), stringvalidator.NoneOf("*")},
			},
			"url": schema.StringAttribute{
				MarkdownDescription: "The artifact's source URL.",
				Computed:            true,
			},
			"download_url": schema.StringAttribute{
				MarkdownDescription: "The link from which the registry serves the stored artifact bundle; `null` when " +
					"the registry does not offer one.",
				Computed: true,
			},
			"sha256": schema.StringAttribute{
				MarkdownDescription: "Lowercase hex SHA-256 of the bundle the registry stores for the artifact and " +
					"serves from `download_url`, as the registry reports it; `null` when it stores no bundle " +
					"(`bundle_not_stored` says why) or does not report one. A `registry_artifact` resource's " +
					"`expected_sha256` can pin it.",
				Computed: true,
			},
			"size_bytes": schema.Int64Attribute{
				MarkdownDescription: "Size in bytes of the bundle the registry stores for the artifact; `null` when " +
					"`sha256` is.",
				Computed: true,
			},
			"bundle_not_stored": schema.StringAttribute{
				MarkdownDescription: "Why the registry stores no bundle for the artifact, in its words; `null` when a " +
					"bundle is stored, or when the registry does not say.",
				Computed: true,
			},
		},
	}
}

func (d *ArtifactDataSource) ConfigValidators(_ context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name")),
	}
}

func (d *ArtifactDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *ArtifactDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config artifactDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c := d.data.registryClientOr(&resp.Diagnostics, "Cannot read registry_artifact", dataSourceUnknownHint)
	if c == nil {
		return
	}

	defer d.data.warnCredentialsUnused(&resp.Diagnostics)
	typ, id := config.Type.ValueString(), config.ID.ValueString()
	if config.ID.IsNull() {
		name := config.Name.ValueString()
		var types []string
		if typ != "" {
			types = []string{typ}
		}
		matches, err := c.ArtifactsNamed(ctx, name, types...)
		if err != nil {
			resp.Diagnostics.AddError("Cannot read registry_artifact",
				fmt.Sprintf("Looking up artifacts named %q failed: %s.", name, d.data.describeError(err)))
			return
		}
		what := fmt.Sprintf("named %q", name)
		if typ != "" {
			what = fmt.Sprintf("of type %s named %q", typ, name)
		}
		switch len(matches) {
		case 0:
			resp.Diagnostics.AddAttributeError(path.Root("name"), "Artifact not found",
				fmt.Sprintf("The registry has no artifact %s. Check the name (the registry derives it from the source URL; "+
					"provider::registry::parse_artifact_url shows it) and the type.", what))
			return
		case 1:
			typ, id = matches[0].Type, string(matches[0].ID)
		default:
			ids := make([]string, len(matches))
			for i, m := range matches {
				ids[i] = m.Type + "/" + string(m.ID)
			}
			resp.Diagnostics.AddAttributeError(path.Root("name"), "Several artifacts match",
				fmt.Sprintf("The registry has %d artifacts %s: %s. Select one with \"type\" and \"id\" instead of \"name\", "+
					"or read them all with the registry_artifacts data source.", len(matches), what, strings.Join(ids, ", ")))
			return
		}
	}

	art, err := c.GetArtifact(ctx, typ, id)
	if err != nil {
		summary, detail := "Cannot read registry_artifact", fmt.Sprintf("Reading the artifact %s/%s failed: %s.", typ, id, d.data.describeError(err))
		if client.IsNotFound(err) {
			summary, detail = "Artifact not found", fmt.Sprintf("The registry has no %s with id %q (%s).", typ, id, err)
		}
		resp.Diagnostics.AddError(summary, detail)
		return
	}
	// The resource's reading of an artifact, so that both say the same.
	var read artifactResourceModel
	read.fromArtifact(art)
	state := artifactDataSourceModel{
		ID:              read.ID,
		Type:            types.StringValue(typ),
		Name:            read.Name,
		URL:             read.URL,
		DownloadURL:     read.DownloadURL,
		SHA256:          read.SHA256,
		SizeBytes:       read.SizeBytes,
		BundleNotStored: read.BundleNotStored,
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}
