package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
)

var _ datasource.DataSourceWithConfigure = (*ArtifactCostDataSource)(nil)

// NewArtifactCostDataSource returns the data source registry_artifact_cost.
func NewArtifactCostDataSource() datasource.DataSource {
	return &ArtifactCostDataSource{}
}

// ArtifactCostDataSource reads an artifact's download cost (GET
// /artifact/{type}/{id}/cost).
type ArtifactCostDataSource struct {
	data *ProviderData
}

type artifactCostDataSourceModel struct {
	Type           types.String                `tfsdk:"type"`
	ID             types.String                `tfsdk:"id"`
	Dependency     types.Bool                  `tfsdk:"dependency"`
	TotalCost      types.Float64               `tfsdk:"total_cost"`
	StandaloneCost types.Float64               `tfsdk:"standalone_cost"`
	Costs          map[string]artifactCostItem `tfsdk:"costs"`
}

type artifactCostItem struct {
	StandaloneCost types.Float64 `tfsdk:"standalone_cost"`
	TotalCost      types.Float64 `tfsdk:"total_cost"`
}

var artifactCostCall = trustCall{
	typeName:   "registry_artifact_cost",
	endpoint:   "GET /artifact/{artifact_type}/{id}/cost",
	baseline:   true,
	what:       "cost",
	badRequest: "The registry considers the artifact type or id malformed or invalid; check both (use registry_artifact.<name>.type and .id).",
	notFound:   "The registry has no artifact of this type with this id.",
}

func (d *ArtifactCostDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_artifact_cost"
}

func (d *ArtifactCostDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads what an artifact costs to download, in MB (`GET /artifact/{artifact_type}/{id}/cost`): " +
			"the artifact alone, or with `dependency = true` the artifact together with each of its dependencies " +
			"that the registry holds (for a model: its lineage parents and the datasets and code its card names), each " +
			"with its own entry in `costs`.",
		Attributes: map[string]schema.Attribute{
			"type": schema.StringAttribute{
				MarkdownDescription: "The artifact's type: " + artifactTypesMarkdown("or") + ".",
				Required:            true,
				Validators:          []validator.String{artifactType()},
			},
			"id": schema.StringAttribute{
				MarkdownDescription: "The artifact's id, e.g. `registry_artifact.bert.id`.",
				Required:            true,
				Validators: []validator.String{
					artifactID(),
				},
			},
			"dependency": schema.BoolAttribute{
				MarkdownDescription: "Whether to include the artifact's dependencies: then `total_cost` is the sum of the " +
					"artifact's and its dependencies' standalone costs, and `costs` has an entry per dependency. " +
					"Defaults to `false`.",
				Optional: true,
				Computed: true,
			},
			"total_cost": schema.Float64Attribute{
				MarkdownDescription: "The artifact's total cost in MB: its own download size, plus, with " +
					"`dependency = true`, that of each dependency the registry holds.",
				Computed: true,
			},
			"standalone_cost": schema.Float64Attribute{
				MarkdownDescription: "The artifact's own download size in MB, without dependencies. Without " +
					"`dependency` it equals `total_cost` (the spec defines `total_cost` as the standalone cost then); " +
					"with `dependency = true` it is `null` if the registry left it out of its answer.",
				Computed: true,
			},
			"costs": schema.MapNestedAttribute{
				MarkdownDescription: "Every entry of the registry's answer, keyed by artifact id: the artifact itself and, " +
					"with `dependency = true`, each dependency.",
				Computed: true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"standalone_cost": schema.Float64Attribute{
							MarkdownDescription: "That artifact's own download size in MB. Without `dependency` it equals " +
								"`total_cost` when the registry's answer gives only that (the spec defines `total_cost` as the " +
								"standalone cost then); with `dependency = true` it is `null` if the registry left it out.",
							Computed: true,
						},
						"total_cost": schema.Float64Attribute{
							MarkdownDescription: "That artifact's total cost in MB.",
							Computed:            true,
						},
					},
				},
			},
		},
	}
}

func (d *ArtifactCostDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *ArtifactCostDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config artifactCostDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c := d.data.registryClientOr(&resp.Diagnostics, "Cannot read "+artifactCostCall.typeName, dataSourceUnknownHint)
	if c == nil {
		return
	}
	typ, id, dependency := config.Type.ValueString(), config.ID.ValueString(), config.Dependency.ValueBool()
	subject := fmt.Sprintf("the %s with id %q", typ, id)
	costs, err := c.ArtifactCost(ctx, typ, id, dependency)
	if err != nil {
		resp.Diagnostics.Append(trustReadDiagnostic(d.data, artifactCostCall, subject, err))
		return
	}
	own, ok := costs[id]
	if !ok {
		resp.Diagnostics.AddError("Unexpected registry answer",
			fmt.Sprintf("The registry answered the cost of %s (dependency=%t) without an entry for that id; it has entries for %d "+
				"other artifact(s). This is a bug in the registry; please report it to its operators.", subject, dependency, len(costs)))
		return
	}
	state := artifactCostDataSourceModel{
		Type:           config.Type,
		ID:             config.ID,
		Dependency:     types.BoolValue(dependency),
		TotalCost:      types.Float64Value(own.TotalCost),
		StandaloneCost: standaloneCost(own, dependency),
		Costs:          make(map[string]artifactCostItem, len(costs)),
	}
	for artifactID, cost := range costs {
		state.Costs[artifactID] = artifactCostItem{StandaloneCost: standaloneCost(cost, dependency), TotalCost: types.Float64Value(cost.TotalCost)}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// standaloneCost is the entry's standalone cost. Without dependency the
// spec defines total_cost as the standalone cost, so a registry may give
// only that; with dependency a missing standalone_cost stays null.
func standaloneCost(cost client.ArtifactCost, dependency bool) types.Float64 {
	switch {
	case cost.StandaloneCost != nil:
		return types.Float64Value(*cost.StandaloneCost)
	case !dependency:
		return types.Float64Value(cost.TotalCost)
	}
	return types.Float64Null()
}
