package provider

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

func TestModelLineageDataSourceRead(t *testing.T) {
	state, diags := readDataSource(t, NewModelLineageDataSource(), answer(t, "GET", "/artifact/model/3847247294/lineage", 200, `{
  "nodes": [{"artifact_id": 3847247294, "name": "audience-classifier", "source": "config_json"},
            {"artifact_id": 9078563412, "name": "bert-base-uncased", "source": "config_json"}],
  "edges": [{"from_node_artifact_id": 9078563412, "to_node_artifact_id": 3847247294, "relationship": "base_model"}]}`),
		map[string]tftypes.Value{"id": tftypes.NewValue(tftypes.String, "3847247294")})
	if diags.HasError() {
		t.Fatal(diags)
	}
	var got modelLineageDataSourceModel
	if diags := state.Get(context.Background(), &got); diags.HasError() {
		t.Fatal(diags)
	}
	if len(got.Nodes) != 2 || got.Nodes[1].ArtifactID.ValueString() != "9078563412" || got.Nodes[1].Name.ValueString() != "bert-base-uncased" ||
		got.Nodes[0].Source.ValueString() != "config_json" {
		t.Errorf("nodes %+v", got.Nodes)
	}
	if len(got.Edges) != 1 || got.Edges[0].FromNodeArtifactID.ValueString() != "9078563412" ||
		got.Edges[0].ToNodeArtifactID.ValueString() != "3847247294" || got.Edges[0].Relationship.ValueString() != "base_model" {
		t.Errorf("edges %+v", got.Edges)
	}
}

// The fine-tuned model and its base model both registered: the graph the
// data source reads is the server's, and it has the base_model edge.
func TestAccModelLineageDataSource(t *testing.T) {
	reg := startTrustRegistry(t, trustRegistryOptions{mode: server.RatingOff})
	bertID := reg.seed(t, "model", replayBertURL)
	squadID := reg.seed(t, "model", replaySquadURL)

	g, err := reg.api.ModelLineage(context.Background(), squadID)
	if err != nil {
		t.Fatalf("the server's lineage graph: %v", err)
	}
	baseEdge := wire.ArtifactLineageEdge{FromNodeArtifactID: wire.ID(bertID), ToNodeArtifactID: wire.ID(squadID), Relationship: "base_model"}
	if !slices.Contains(g.Edges, baseEdge) {
		t.Fatalf("the server's graph of %s lacks the edge %+v: %+v", squadID, baseEdge, g)
	}
	resource.Test(t, trustTestCase(resource.TestStep{
		Config:            fmt.Sprintf("data \"registry_model_lineage\" \"squad\" {\n  id = %q\n}\n", squadID),
		ConfigStateChecks: lineageChecks("data.registry_model_lineage.squad", g),
	}))
}
