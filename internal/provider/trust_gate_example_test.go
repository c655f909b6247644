package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
)

// examples/trust-gate as users run it, against a registry that registers
// every model (RATING_MODE=off) so that only the gate can refuse one:
//   - the default models pass; the outputs are the server's lineage and
//     the sum of the distinct standalone costs;
//   - a failed check block assertion is only a warning: the apply succeeds;
//   - the poor model fails the apply through the postcondition.
func TestAccTrustGateExample(t *testing.T) {
	reg := startTrustRegistry(t, trustRegistryOptions{mode: server.RatingOff})
	// The example declares the provider's real source address.
	t.Setenv("TF_ACC_PROVIDER_NAMESPACE", "trustworthy-registry")
	dir := config.StaticDirectory("../../examples/trust-gate")

	// A configuration with its own terraform block takes the provider at the
	// step level.
	resource.Test(t, resource.TestCase{Steps: []resource.TestStep{
		{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			ConfigDirectory:          dir,
			ConfigStateChecks:        []statecheck.StateCheck{gateOutputsCheck(reg, []string{"bert", "bert_squad"})},
		},
		{
			// An assertion no model can meet: a warning, not an error.
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			ConfigDirectory:          dir,
			ConfigVariables:          config.Variables{"min_license_score": config.FloatVariable(2.0)},
			ConfigStateChecks:        []statecheck.StateCheck{gateOutputsCheck(reg, []string{"bert", "bert_squad"})},
		},
		{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			ConfigDirectory:          dir,
			ConfigVariables: config.Variables{
				"models": config.MapVariable(map[string]config.Variable{"poor": config.StringVariable(replayPoorURL)}),
			},
			ExpectError: wordsRE("Resource postcondition failed", "Model poor (tiny-unlicensed-model) has net_score", "below the minimum 0.5; it must not be served"),
		},
		{
			// Empties the state before the final destroy, whose legacy state
			// shim cannot read string-keyed for_each instances.
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Config:                   "# Everything removed.\n",
		},
	}})

	// The gate failed for the reason the registry gives: the poor model's
	// net_score is below 0.5.
	// The test's last step deleted it, so rate a fresh copy.
	id := reg.seed(t, "model", replayPoorURL)
	r, err := reg.api.ModelRating(context.Background(), id)
	if err != nil || r.NetScore >= 0.5 {
		t.Fatalf("the server rates the poor model %v (%v); the gate test needs a net_score below 0.5", r, err)
	}
}

// gateOutputsCheck compares the example's outputs with the server's API
// for the models in state under keys.
func gateOutputsCheck(reg *trustRegistry, keys []string) statecheck.StateCheck {
	return stateCheckFunc(func(state *tfjson.State) error {
		ctx := context.Background()
		wantScores := map[string]any{}
		wantLineage := map[string]any{}
		standalone := map[string]float64{}
		for _, k := range keys {
			address := fmt.Sprintf("registry_artifact.model[%q]", k)
			id, _ := attributes(state, address)["id"].(string)
			if id == "" {
				return fmt.Errorf("%s is not in state", address)
			}
			r, err := reg.api.ModelRating(ctx, id)
			if err != nil {
				return err
			}
			wantScores[k] = r.NetScore
			g, err := reg.api.ModelLineage(ctx, id)
			if err != nil {
				return err
			}
			names := map[string]string{}
			for _, n := range g.Nodes {
				names[string(n.ArtifactID)] = n.Name
			}
			edges := []any{}
			for _, e := range g.Edges {
				edges = append(edges, fmt.Sprintf("%s -> %s (%s)", names[string(e.FromNodeArtifactID)], names[string(e.ToNodeArtifactID)], e.Relationship))
			}
			wantLineage[k] = edges
			costs, err := reg.api.ArtifactCost(ctx, "model", id, true)
			if err != nil {
				return err
			}
			for artifactID, c := range costs {
				if c.StandaloneCost == nil {
					return fmt.Errorf("the server's cost of %s has no standalone_cost for %s", id, artifactID)
				}
				standalone[artifactID] = *c.StandaloneCost
			}
		}
		var wantTotal float64
		for _, c := range standalone {
			wantTotal += c
		}

		output := func(name string) (any, error) {
			o, ok := state.Values.Outputs[name]
			if !ok {
				return nil, fmt.Errorf("no output %q", name)
			}
			// Numbers as float64, like the expected values.
			b, err := json.Marshal(o.Value)
			if err != nil {
				return nil, err
			}
			var v any
			return v, json.Unmarshal(b, &v)
		}
		got, err := output("lineage")
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, wantLineage) {
			return fmt.Errorf("output lineage = %v, the server's graphs give %v", got, wantLineage)
		}
		// Both registered, the fine-tuned model's graph has its base model.
		if edges, ok := wantLineage["bert_squad"].([]any); ok && !slices.Contains(edges, any("bert-base-uncased -> bert-base-uncased-squad-v1 (base_model)")) {
			return fmt.Errorf("the lineage of bert_squad lacks the base_model edge from bert-base-uncased: %v", edges)
		}
		if got, err = output("net_scores"); err != nil {
			return err
		}
		if !reflect.DeepEqual(got, wantScores) {
			return fmt.Errorf("output net_scores = %v, the server gives %v", got, wantScores)
		}
		if got, err = output("total_cost_mb"); err != nil {
			return err
		}
		total, ok := got.(float64)
		if !ok || math.Abs(total-wantTotal) > 1e-9*math.Max(1, wantTotal) {
			return fmt.Errorf("output total_cost_mb = %v, the server's standalone costs of %d distinct artifacts sum to %v", got, len(standalone), wantTotal)
		}
		return nil
	})
}
