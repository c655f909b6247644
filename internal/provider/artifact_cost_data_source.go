package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

var _ datasource.DataSourceWithConfigure = (*ArtifactCostDataSource)(nil)

// NewArtifactCostDataSource returns the data source registry_artifact_cost.
func NewArtifactCostDataSource() datasource.DataSource {
	return &ArtifactCostDataSource{trustDataSource{call: artifactCostCall}}
}

// ArtifactCostDataSource reads an artifact's download cost (GET
// /artifact/{type}/{id}/cost).
type ArtifactCostDataSource struct{ trustDataSource }

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
	badRequest: typeIDBadRequest,
	notFound:   typeIDNotFound,
}

func (d *ArtifactCostDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads what an artifact costs to download, in MB (`GET /artifact/{artifact_type}/{id}/cost`): " +
			"the artifact alone, or with `dependency = true` the artifact together with each of its dependencies " +
			"that the registry holds (for a model: its lineage parents and the datasets and code its card names), each " +
			"with its own entry in `costs`.",
		Attributes: map[string]schema.Attribute{
			"type": trustTypeAttribute(),
			"id":   trustIDAttribute("The artifact's id"),
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

func (d *ArtifactCostDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	readTrust(ctx, &d.trustDataSource, req, resp, func(ctx context.Context, c *client.Client, m *artifactCostDataSourceModel) (string, error) {
		typ, id, dependency := m.Type.ValueString(), m.ID.ValueString(), m.Dependency.ValueBool()
		subject := fmt.Sprintf("the %s with id %q", typ, id)
		costs, err := c.ArtifactCost(ctx, typ, id, dependency)
		if err != nil {
			return subject, err
		}
		own, ok := costs[id]
		if !ok {
			return subject, &unexpectedAnswerError{fmt.Sprintf("The registry answered the cost of %s (dependency=%t) without an entry for that id; it has entries for %d "+
				"other artifact(s). This is a bug in the registry; please report it to its operators.", subject, dependency, len(costs))}
		}
		m.Dependency = types.BoolValue(dependency)
		m.TotalCost = types.Float64Value(own.TotalCost)
		m.StandaloneCost = standaloneCost(own, dependency)
		m.Costs = make(map[string]artifactCostItem, len(costs))
		for artifactID, cost := range costs {
			m.Costs[artifactID] = artifactCostItem{StandaloneCost: standaloneCost(cost, dependency), TotalCost: types.Float64Value(cost.TotalCost)}
		}
		return subject, nil
	})
}

// standaloneCost is the entry's standalone cost. Without dependency the
// spec defines total_cost as the standalone cost, so a registry may give
// only that; with dependency a missing standalone_cost stays null.
func standaloneCost(cost wire.ArtifactCostEntry, dependency bool) types.Float64 {
	switch {
	case cost.StandaloneCost != nil:
		return types.Float64Value(*cost.StandaloneCost)
	case !dependency:
		return types.Float64Value(cost.TotalCost)
	}
	return types.Float64Null()
}
