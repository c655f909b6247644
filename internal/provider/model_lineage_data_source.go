package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
)

var _ datasource.DataSourceWithConfigure = (*ModelLineageDataSource)(nil)

// NewModelLineageDataSource returns the data source registry_model_lineage.
func NewModelLineageDataSource() datasource.DataSource {
	return &ModelLineageDataSource{trustDataSource{call: modelLineageCall}}
}

// ModelLineageDataSource reads a model's lineage graph (GET
// /artifact/model/{id}/lineage).
type ModelLineageDataSource struct{ trustDataSource }

type modelLineageDataSourceModel struct {
	ID    types.String       `tfsdk:"id"`
	Nodes []lineageNodeModel `tfsdk:"nodes"`
	Edges []lineageEdgeModel `tfsdk:"edges"`
}

type lineageNodeModel struct {
	ArtifactID types.String `tfsdk:"artifact_id"`
	Name       types.String `tfsdk:"name"`
	Source     types.String `tfsdk:"source"`
}

type lineageEdgeModel struct {
	FromNodeArtifactID types.String `tfsdk:"from_node_artifact_id"`
	ToNodeArtifactID   types.String `tfsdk:"to_node_artifact_id"`
	Relationship       types.String `tfsdk:"relationship"`
}

var modelLineageCall = trustCall{
	typeName: "registry_model_lineage",
	endpoint: "GET /artifact/model/{id}/lineage",
	baseline: true,
	what:     "lineage graph",
	badRequest: "The registry cannot compute the lineage graph because the model's metadata (its config.json or model " +
		"card) is missing or malformed; the registry's message above says which.",
	notFound: "The registry has no model with this id.",
}

func (d *ModelLineageDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads a model's lineage graph (`GET /artifact/model/{id}/lineage`), which the registry " +
			"extracts from the model's structured metadata (`config.json`, the model card's `base_model` and `datasets`): " +
			"a node per artifact of the graph that the registry holds, and a directed edge per relationship, from the " +
			"upstream artifact to the downstream one (e.g. from a base model to the model fine-tuned from it).",
		Attributes: map[string]schema.Attribute{
			"id": trustIDAttribute("The model's artifact id"),
			"nodes": schema.ListNestedAttribute{
				MarkdownDescription: "The nodes of the graph, in the registry's order.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"artifact_id": schema.StringAttribute{
							MarkdownDescription: "The node's artifact id.",
							Computed:            true,
						},
						"name": schema.StringAttribute{
							MarkdownDescription: "Human-readable label of the node, e.g. `bert-base-uncased`.",
							Computed:            true,
						},
						"source": schema.StringAttribute{
							MarkdownDescription: "Where the registry found the node, e.g. `config_json`.",
							Computed:            true,
						},
					},
				},
			},
			"edges": schema.ListNestedAttribute{
				MarkdownDescription: "The directed edges of the graph, in the registry's order.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"from_node_artifact_id": schema.StringAttribute{
							MarkdownDescription: "Artifact id of the upstream node (e.g. the base model).",
							Computed:            true,
						},
						"to_node_artifact_id": schema.StringAttribute{
							MarkdownDescription: "Artifact id of the downstream node (e.g. the fine-tuned model).",
							Computed:            true,
						},
						"relationship": schema.StringAttribute{
							MarkdownDescription: "What the edge means, e.g. `base_model` or `fine_tuning_dataset`.",
							Computed:            true,
						},
					},
				},
			},
		},
	}
}

func (d *ModelLineageDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	readTrust(ctx, &d.trustDataSource, req, resp, func(ctx context.Context, c *client.Client, m *modelLineageDataSourceModel) (string, error) {
		id := m.ID.ValueString()
		subject := fmt.Sprintf("the model with id %q", id)
		g, err := c.ModelLineage(ctx, id)
		if err != nil {
			return subject, err
		}
		m.Nodes = make([]lineageNodeModel, len(g.Nodes))
		for i, n := range g.Nodes {
			m.Nodes[i] = lineageNodeModel{
				ArtifactID: types.StringValue(string(n.ArtifactID)),
				Name:       types.StringValue(n.Name),
				Source:     types.StringValue(n.Source),
			}
		}
		m.Edges = make([]lineageEdgeModel, len(g.Edges))
		for i, e := range g.Edges {
			m.Edges[i] = lineageEdgeModel{
				FromNodeArtifactID: types.StringValue(string(e.FromNodeArtifactID)),
				ToNodeArtifactID:   types.StringValue(string(e.ToNodeArtifactID)),
				Relationship:       types.StringValue(e.Relationship),
			}
		}
		return subject, nil
	})
}
