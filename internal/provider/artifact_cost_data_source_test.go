package provider

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
)

func TestArtifactCostDataSourceRead(t *testing.T) {
	read := func(t *testing.T, dependency *bool, body string) (artifactCostDataSourceModel, string) {
		t.Helper()
		var query string
		attrs := map[string]tftypes.Value{
			"type": tftypes.NewValue(tftypes.String, "model"),
			"id":   tftypes.NewValue(tftypes.String, "1"),
		}
		if dependency != nil {
			attrs["dependency"] = tftypes.NewValue(tftypes.Bool, *dependency)
		}
		state, diags := readDataSource(t, NewArtifactCostDataSource(), func(w http.ResponseWriter, r *http.Request) {
			query = r.URL.RawQuery
			answer(t, "GET", "/artifact/model/1/cost", 200, body)(w, r)
		}, attrs)
		var got artifactCostDataSourceModel
		if diags.HasError() {
			t.Fatal(diags)
		}
		if diags := state.Get(context.Background(), &got); diags.HasError() {
			t.Fatal(diags)
		}
		return got, query
	}

	t.Run("default: the artifact alone", func(t *testing.T) {
		got, query := read(t, nil, `{"1":{"total_cost":412.5}}`)
		if query != "dependency=false" || got.Dependency.ValueBool() || got.Dependency.IsNull() {
			t.Errorf("query %q, dependency %s", query, got.Dependency)
		}
		// Without dependency the spec's total_cost is the standalone cost.
		if got.TotalCost.ValueFloat64() != 412.5 || got.StandaloneCost.ValueFloat64() != 412.5 || len(got.Costs) != 1 {
			t.Errorf("got %+v", got)
		}
		// The costs entry says the same, as its description does.
		if c := got.Costs["1"]; c.StandaloneCost.ValueFloat64() != 412.5 || c.TotalCost.ValueFloat64() != 412.5 {
			t.Errorf("costs[1] = %+v", c)
		}
	})
	t.Run("with dependencies", func(t *testing.T) {
		yes := true
		got, query := read(t, &yes, `{"1":{"standalone_cost":412.5,"total_cost":1255.0},"2":{"standalone_cost":280,"total_cost":280},"3":{"total_cost":562.5}}`)
		if query != "dependency=true" {
			t.Errorf("query %q", query)
		}
		if got.TotalCost.ValueFloat64() != 1255 || got.StandaloneCost.ValueFloat64() != 412.5 || len(got.Costs) != 3 {
			t.Errorf("got %+v", got)
		}
		if c := got.Costs["2"]; c.StandaloneCost.ValueFloat64() != 280 || c.TotalCost.ValueFloat64() != 280 {
			t.Errorf("costs[2] = %+v", c)
		}
		// Left out with dependency=true: null, not a guess.
		if c := got.Costs["3"]; !c.StandaloneCost.IsNull() || c.TotalCost.ValueFloat64() != 562.5 {
			t.Errorf("costs[3] = %+v", c)
		}
	})
}

// An answer without the artifact's own entry is an error, not a zero cost.
func TestArtifactCostDataSourceWithoutOwnEntry(t *testing.T) {
	_, diags := readDataSource(t, NewArtifactCostDataSource(), answer(t, "GET", "/artifact/model/1/cost", 200, `{"2":{"total_cost":3}}`),
		map[string]tftypes.Value{"type": tftypes.NewValue(tftypes.String, "model"), "id": tftypes.NewValue(tftypes.String, "1")})
	if !diags.HasError() || diags.Errors()[0].Summary() != "Unexpected registry answer" {
		t.Fatalf("diagnostics %v", diags)
	}
}

// The fine-tuned model's cost, alone and with its dependencies held in the
// registry (its base model and its dataset), as the server's API gives it;
// with dependencies the total is the sum of the entries' standalone costs.
func TestAccArtifactCostDataSource(t *testing.T) {
	reg := startTrustRegistry(t, trustRegistryOptions{mode: server.RatingOff})
	bertID := reg.seed(t, "model", replayBertURL)
	squadID := reg.seed(t, "model", replaySquadURL)
	datasetID := reg.seed(t, "dataset", replayDataURL)

	ctx := context.Background()
	alone, err := reg.api.ArtifactCost(ctx, "model", squadID, false)
	if err != nil {
		t.Fatalf("the server's cost: %v", err)
	}
	withDeps, err := reg.api.ArtifactCost(ctx, "model", squadID, true)
	if err != nil {
		t.Fatalf("the server's cost with dependencies: %v", err)
	}
	for _, id := range []string{squadID, bertID, datasetID} {
		if _, ok := withDeps[id]; !ok {
			t.Fatalf("the server's cost with dependencies has no entry for %s (model %s, base model %s, dataset %s): %+v", id, squadID, bertID, datasetID, withDeps)
		}
	}

	// The total of the state equals the sum of the state's entries.
	totalIsSum := stateCheckFunc(func(state *tfjson.State) error {
		attrs := attributes(state, "data.registry_artifact_cost.with_dependencies")
		costs, _ := attrs["costs"].(map[string]any)
		var sum float64
		for id, c := range costs {
			entry, _ := c.(map[string]any)
			v, err := stateNumber(entry["standalone_cost"])
			if err != nil {
				return fmt.Errorf("costs[%s].standalone_cost: %w", id, err)
			}
			sum += v
		}
		total, err := stateNumber(attrs["total_cost"])
		if err != nil {
			return fmt.Errorf("total_cost: %w", err)
		}
		if len(costs) != 3 || math.Abs(total-sum) > 1e-9*math.Max(1, total) {
			return fmt.Errorf("total_cost %v, want the sum %v of the %d entries' standalone costs", total, sum, len(costs))
		}
		return nil
	})

	resource.Test(t, trustTestCase(resource.TestStep{
		Config: fmt.Sprintf(`
data "registry_artifact_cost" "alone" {
  type = "model"
  id   = %[1]q
}

data "registry_artifact_cost" "with_dependencies" {
  type       = "model"
  id         = %[1]q
  dependency = true
}
`, squadID),
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue("data.registry_artifact_cost.alone", tfjsonpath.New("dependency"), knownvalue.Bool(false)),
			statecheck.ExpectKnownValue("data.registry_artifact_cost.alone", tfjsonpath.New("total_cost"), knownvalue.Float64Exact(alone[squadID].TotalCost)),
			statecheck.ExpectKnownValue("data.registry_artifact_cost.alone", tfjsonpath.New("standalone_cost"), knownvalue.Float64Exact(alone[squadID].TotalCost)),
			statecheck.ExpectKnownValue("data.registry_artifact_cost.alone", tfjsonpath.New("costs"), costsCheck(alone, false)),
			statecheck.ExpectKnownValue("data.registry_artifact_cost.with_dependencies", tfjsonpath.New("total_cost"), knownvalue.Float64Exact(withDeps[squadID].TotalCost)),
			statecheck.ExpectKnownValue("data.registry_artifact_cost.with_dependencies", tfjsonpath.New("standalone_cost"), knownvalue.Float64Exact(*withDeps[squadID].StandaloneCost)),
			statecheck.ExpectKnownValue("data.registry_artifact_cost.with_dependencies", tfjsonpath.New("costs"), costsCheck(withDeps, true)),
			totalIsSum,
		},
	}))
}
