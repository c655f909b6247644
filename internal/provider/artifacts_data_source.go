package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

var _ datasource.DataSourceWithConfigure = (*ArtifactsDataSource)(nil)

// NewArtifactsDataSource returns the data source registry_artifacts.
func NewArtifactsDataSource() datasource.DataSource {
	return &ArtifactsDataSource{}
}

// ArtifactsDataSource lists the artifacts that match a name (or "*", all)
// and types, or a regular expression.
type ArtifactsDataSource struct {
	data *ProviderData
}

type artifactsDataSourceModel struct {
	Name      types.String                `tfsdk:"name"`
	Types     []types.String              `tfsdk:"types"`
	Regex     types.String                `tfsdk:"regex"`
	Artifacts []artifactsDataSourceResult `tfsdk:"artifacts"`
}

type artifactsDataSourceResult struct {
	ID   types.String `tfsdk:"id"`
	Name types.String `tfsdk:"name"`
	Type types.String `tfsdk:"type"`
}

func (d *ArtifactsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_artifacts"
}

func (d *ArtifactsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the registry's artifacts that match a `name` (by default `*`, every artifact) and " +
			"optional `types` (`POST /artifacts`, all pages), or a regular expression over names and READMEs " +
			"(`regex`, `POST /artifact/byRegEx`). Results are sorted by name, type and id.",
		Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{
				MarkdownDescription: "Name of the artifacts to list, or `*` for all of them. Defaults to `*` unless " +
					"`regex` is set. Conflicts with `regex`.",
				Optional: true,
				Computed: true,
				Validators: []validator.String{
					stringvalidator.LengthAtLeast(1),
					stringvalidator.ConflictsWith(path.MatchRoot("regex")),
				},
			},
			"types": schema.ListAttribute{
				MarkdownDescription: "Types to list: any of " + artifactTypesMarkdown("and") + ". Defaults to all types. " +
					"Conflicts with `regex`.",
				ElementType: types.StringType,
				Optional:    true,
				Validators: []validator.List{
					listvalidator.ValueStringsAre(artifactType()),
					listvalidator.UniqueValues(),
					listvalidator.ConflictsWith(path.MatchRoot("regex")),
				},
			},
			"regex": schema.StringAttribute{
				MarkdownDescription: "Regular expression over artifact names and READMEs, e.g. `^bert-.*`. " +
					"Conflicts with `name` and `types`.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"artifacts": schema.ListNestedAttribute{
				MarkdownDescription: "The matching artifacts; empty when none matches.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"id": schema.StringAttribute{
							MarkdownDescription: "The artifact's id.",
							Computed:            true,
						},
						"name": schema.StringAttribute{
							MarkdownDescription: "The artifact's name.",
							Computed:            true,
						},
						"type": schema.StringAttribute{
							MarkdownDescription: "The artifact's type: " + artifactTypesMarkdown("or") + ".",
							Computed:            true,
						},
					},
				},
			},
		},
	}
}

func (d *ArtifactsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *ArtifactsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config artifactsDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c := d.data.registryClientOr(&resp.Diagnostics, "Cannot read registry_artifacts", dataSourceUnknownHint)
	if c == nil {
		return
	}

	defer d.data.warnCredentialsUnused(&resp.Diagnostics)
	var (
		found []wire.ArtifactMetadata
		err   error
	)
	if !config.Regex.IsNull() {
		found, err = c.ArtifactsByRegex(ctx, config.Regex.ValueString())
		if answeredByCreateRoute(err) {
			resp.Diagnostics.Append(regexSearchNotOffered(d.data, config.Regex.ValueString(), err))
			return
		}
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("regex"), "Cannot read registry_artifacts",
				fmt.Sprintf("Searching artifacts by the regular expression %q failed: %s.", config.Regex.ValueString(), d.data.describeError(err)))
			return
		}
	} else {
		if config.Name.IsNull() {
			config.Name = types.StringValue("*")
		}
		query := wire.ArtifactQuery{Name: config.Name.ValueString()}
		for _, t := range config.Types {
			query.Types = append(query.Types, t.ValueString())
		}
		found, err = c.ListArtifacts(ctx, []wire.ArtifactQuery{query})
		if err != nil {
			resp.Diagnostics.AddError("Cannot read registry_artifacts",
				fmt.Sprintf("Listing the artifacts named %q (types %v) failed: %s.", query.Name, query.Types, d.data.describeError(err)))
			return
		}
	}

	sortArtifacts(found)
	config.Artifacts = make([]artifactsDataSourceResult, len(found))
	for i, m := range found {
		config.Artifacts[i] = artifactsDataSourceResult{
			ID:   types.StringValue(string(m.ID)),
			Name: types.StringValue(m.Name),
			Type: types.StringValue(m.Type),
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &config)...)
}

// sortArtifacts sorts artifacts by name, type and id. The API does not
// define an order; a stable one keeps plans of configurations that index the
// list free of spurious changes.
func sortArtifacts(found []wire.ArtifactMetadata) {
	slices.SortFunc(found, func(a, b wire.ArtifactMetadata) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Type, b.Type), strings.Compare(string(a.ID), string(b.ID)))
	})
}

// artifactTypeComplaint matches an error message about the artifact type.
var artifactTypeComplaint = regexp.MustCompile(`(?i)artifact[_ ]type`)

// regexSearchNotOffered explains a regex search that answeredByCreateRoute
// recognises.
func regexSearchNotOffered(data *ProviderData, regex string, err error) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Registry may not offer regex search",
		fmt.Sprintf("Searching artifacts by the regular expression %q failed: %s. The registry's complaint is about an "+
			"artifact type, not the pattern: a registry without the NON-BASELINE POST /artifact/byRegEx lets its "+
			"POST /artifact/{artifact_type} route answer, which takes \"byRegEx\" for a type. Search by name and types "+
			"instead (the name and types arguments), or ask the registry's operators whether it offers regex search.",
			regex, data.describeError(err)))
}

// answeredByCreateRoute reports whether err is how a registry without POST
// /artifact/byRegEx answers it: its catch-all POST /artifact/{artifact_type}
// refuses "byRegEx" as a type (400, or FastAPI's 422).
func answeredByCreateRoute(err error) bool {
	var apiErr *client.APIError
	return errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusBadRequest || apiErr.StatusCode == http.StatusUnprocessableEntity) &&
		artifactTypeComplaint.MatchString(apiErr.Message)
}
