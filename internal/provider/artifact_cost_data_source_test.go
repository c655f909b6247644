package provider

import (
	"context"
	"net/http"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
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
