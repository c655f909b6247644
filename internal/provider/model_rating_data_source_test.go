package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

const ratingAnswer = `{"name":"bert-base-uncased","category":"nlp","net_score":0.81,"net_score_latency":0.01,
"ramp_up_time":0.9,"ramp_up_time_latency":0.02,"bus_factor":0.7,"bus_factor_latency":0.03,
"performance_claims":0.6,"performance_claims_latency":0.04,"license":1,"license_latency":0.05,
"dataset_and_code_score":0.5,"dataset_and_code_score_latency":0.06,"dataset_quality":0.4,"dataset_quality_latency":0.07,
"code_quality":0.3,"code_quality_latency":0.08,"reproducibility":0.2,"reproducibility_latency":0.09,
"reviewedness":0.1,"reviewedness_latency":0.1,"tree_score":0.95,"tree_score_latency":0.11,
"size_score":{"raspberry_pi":0.12,"jetson_nano":0.34,"desktop_pc":0.56,"aws_server":0.78},"size_score_latency":0.12}`

func TestModelRatingDataSourceRead(t *testing.T) {
	state, diags := readDataSource(t, NewModelRatingDataSource(), answer(t, "GET", "/artifact/model/42/rate", 200, ratingAnswer),
		map[string]tftypes.Value{"id": tftypes.NewValue(tftypes.String, "42")})
	if diags.HasError() {
		t.Fatal(diags)
	}
	var got modelRatingDataSourceModel
	if diags := state.Get(context.Background(), &got); diags.HasError() {
		t.Fatal(diags)
	}
	checks := map[string][2]float64{
		"net_score":               {got.NetScore.ValueFloat64(), 0.81},
		"license":                 {got.License.ValueFloat64(), 1},
		"tree_score":              {got.TreeScore.ValueFloat64(), 0.95},
		"reviewedness_latency":    {got.ReviewednessLatency.ValueFloat64(), 0.1},
		"size_score.jetson_nano":  {got.SizeScore.JetsonNano.ValueFloat64(), 0.34},
		"size_score.aws_server":   {got.SizeScore.AWSServer.ValueFloat64(), 0.78},
		"size_score_latency":      {got.SizeScoreLatency.ValueFloat64(), 0.12},
		"code_quality_latency":    {got.CodeQualityLatency.ValueFloat64(), 0.08},
		"dataset_and_code_score":  {got.DatasetAndCodeScore.ValueFloat64(), 0.5},
		"performance_claims":      {got.PerformanceClaims.ValueFloat64(), 0.6},
		"ramp_up_time_latency":    {got.RampUpTimeLatency.ValueFloat64(), 0.02},
		"reproducibility":         {got.Reproducibility.ValueFloat64(), 0.2},
		"bus_factor":              {got.BusFactor.ValueFloat64(), 0.7},
		"dataset_quality_latency": {got.DatasetQualityLatency.ValueFloat64(), 0.07},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %v, want %v", name, c[0], c[1])
		}
	}
	if got.Name.ValueString() != "bert-base-uncased" || got.Category.ValueString() != "nlp" || got.ID.ValueString() != "42" {
		t.Errorf("name %s, category %s, id %s", got.Name, got.Category, got.ID)
	}
}

// The schema and the state are derived from wire.ModelRating: every field
// of the answer lands in the attribute of its name, none is left null.
func TestModelRatingDataSourceMapsEveryField(t *testing.T) {
	var want wire.ModelRating
	if err := json.Unmarshal([]byte(ratingAnswer), &want); err != nil {
		t.Fatal(err)
	}
	var got modelRatingDataSourceModel
	setFromRating(reflect.ValueOf(&got).Elem(), reflect.ValueOf(want))
	values := map[string]any{}
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for f := range v.Type().Fields() {
			name := prefix + f.Tag.Get("tfsdk")
			switch x := v.FieldByIndex(f.Index).Interface().(type) {
			case types.String:
				values[name] = x.ValueString()
			case types.Float64:
				values[name] = x.ValueFloat64()
			case *sizeScoreModel:
				walk(name+".", reflect.ValueOf(x).Elem())
			}
		}
	}
	walk("", reflect.ValueOf(got))
	var answer map[string]any
	if err := json.Unmarshal([]byte(ratingAnswer), &answer); err != nil {
		t.Fatal(err)
	}
	for name, v := range answer {
		if size, ok := v.(map[string]any); ok {
			for k, sv := range size {
				if values[name+"."+k] != sv {
					t.Errorf("%s.%s = %v, want %v", name, k, values[name+"."+k], sv)
				}
			}
			continue
		}
		if values[name] != v {
			t.Errorf("%s = %v, want %v", name, values[name], v)
		}
	}
	if !got.ID.IsNull() {
		t.Errorf("id = %s, want it left to the configuration", got.ID)
	}

	var resp datasource.SchemaResponse
	NewModelRatingDataSource().Schema(context.Background(), datasource.SchemaRequest{}, &resp)
	for name, a := range resp.Schema.Attributes {
		if a.GetMarkdownDescription() == "" {
			t.Errorf("attribute %s has no description", name)
		}
		if _, ok := values[name]; !ok && name != "id" && name != "size_score" {
			t.Errorf("attribute %s has no field in the model", name)
		}
	}
}

// A rating without a required metric is an error, never a zero score.
func TestModelRatingDataSourceIncompleteRating(t *testing.T) {
	_, diags := readDataSource(t, NewModelRatingDataSource(), answer(t, "GET", "/artifact/model/42/rate", 200, `{"name":"x","net_score":0.9}`),
		map[string]tftypes.Value{"id": tftypes.NewValue(tftypes.String, "42")})
	if !diags.HasError() {
		t.Fatal("want an error for a rating without most metrics")
	}
}

// Every field of the rating equals what the server's own API answers for
// the replayed facts of bert-base-uncased.
func TestAccModelRatingDataSource(t *testing.T) {
	reg := startTrustRegistry(t, trustRegistryOptions{mode: server.RatingOff})
	id := reg.seed(t, "model", replayBertURL)
	want, err := reg.api.ModelRating(context.Background(), id)
	if err != nil {
		t.Fatalf("the server's rating of bert-base-uncased: %v", err)
	}
	checks := exactChecks(t, "data.registry_model_rating.bert", want)
	checks = append(checks, statecheck.ExpectKnownValue("data.registry_model_rating.bert", tfjsonpath.New("id"), knownvalue.StringExact(id)))

	resource.Test(t, trustTestCase(
		resource.TestStep{
			Config:            fmt.Sprintf("data \"registry_model_rating\" \"bert\" {\n  id = %q\n}\n", id),
			ConfigStateChecks: checks,
		},
		resource.TestStep{
			// Nothing rated: 404 (no such model), with its diagnostic.
			Config:      "data \"registry_model_rating\" \"none\" {\n  id = \"999999999\"\n}\n",
			ExpectError: wordsRE("Artifact not found or not rated yet", "GET /artifact/model/999999999/rate: 404"),
		},
	))
}

// Against a registry that rates after storing (RATING_MODE=async), a model
// whose rating is pending is the spec's 404, which the data source calls
// "not rated yet"; once rated, the data source reads the server's rating.
func TestAccModelRatingDataSource_deferredRating(t *testing.T) {
	held := make(chan struct{})
	reg := startTrustRegistry(t, trustRegistryOptions{mode: server.RatingAsync, upstreamHeld: held})
	ctx := context.Background()
	res, err := reg.api.CreateArtifact(ctx, "model", replayBertURL)
	if err != nil || !res.Accepted || res.Artifact == nil {
		t.Fatalf("registering bert with RATING_MODE=async: %+v, %v; want a 202 with the artifact", res, err)
	}
	id := string(res.Artifact.Metadata.ID)
	config := fmt.Sprintf("data \"registry_model_rating\" \"bert\" {\n  id = %q\n}\n", id)
	var want *wire.ModelRating

	resource.Test(t, trustTestCase(
		resource.TestStep{
			// The upstream is held, so the rating is still pending.
			Config:      config,
			ExpectError: wordsRE("Artifact not found or not rated yet", "GET /artifact/model/"+id+"/rate: 404", "answers 404 for an artifact until its rating exists"),
		},
		resource.TestStep{
			PreConfig: func() {
				close(held)
				deadline := time.Now().Add(30 * time.Second)
				for {
					r, err := reg.api.ModelRating(ctx, id)
					if err == nil {
						want = r
						return
					}
					if !client.IsNotFound(err) || time.Now().After(deadline) {
						t.Fatalf("waiting for the server to rate bert: %v", err)
					}
					time.Sleep(200 * time.Millisecond)
				}
			},
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				stateCheckFunc(func(state *tfjson.State) error {
					got, err := stateNumber(attributes(state, "data.registry_model_rating.bert")["net_score"])
					if err != nil {
						return fmt.Errorf("net_score: %w", err)
					}
					if got != want.NetScore {
						return fmt.Errorf("net_score %v, the server gives %v", got, want.NetScore)
					}
					return nil
				}),
			},
		},
	))
}
