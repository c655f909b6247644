package provider

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// The registry as the operations guide deploys it: the server binary as a
// Lambda function (run by the Lambda Runtime Interface Emulator) in S3 mode,
// behind an API Gateway HTTP API (lambda-gateway, payload 2.0). The same
// acceptance tests that run against the process run here, unchanged, with
// the endpoint pointed at the gateway: create, read, update, import,
// destroy, drift, both data sources, the token, and the bucket layout;
// and the trust data sources, rating from the stack's upstream replay, and
// the stored bundles' digests against what download_url serves.
func TestAccLambda(t *testing.T) {
	why := "the Lambda acceptance tests need the registry under the Lambda Runtime Interface Emulator"
	endpoint, bucket := teststack.Getenv(t, "REGISTRY_LAMBDA_ENDPOINT", why), teststack.Getenv(t, "REGISTRY_LAMBDA_BUCKET", why)
	t.Setenv(envEndpoint, endpoint)

	tests := []struct {
		name string
		test func(*testing.T)
	}{
		{"ArtifactResource_basic", TestAccArtifactResource_basic},
		{"ArtifactResource_drift", TestAccArtifactResource_drift},
		{"ArtifactDataSource", TestAccArtifactDataSource},
		{"ArtifactsDataSource", TestAccArtifactsDataSource},
		{"TokenEphemeralResource", TestAccTokenEphemeralResource},
		{"TrustDataSources", testAccTrustDataSources},
		{"StoredBundle", testAccStoredBundle},
		{"s3Metadata", func(t *testing.T) {
			// The function's artifacts are in its own bucket, in the
			// guide's layout.
			t.Setenv("REGISTRY_S3_ENDPOINT", endpoint)
			t.Setenv("REGISTRY_S3_BUCKET", bucket)
			TestAccArtifactResource_s3Metadata(t)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.test)
	}
}

// testAccTrustDataSources registers, through Terraform, bert-base-uncased,
// its fine-tuned child and the child's dataset (urls the upstream replay
// knows), then reads the child's rating, cost with dependencies, lineage,
// audit trail and license check through the data sources: each equals what
// the same registry's API answers. Destroy leaves none of them.
func testAccTrustDataSources(t *testing.T) {
	testAccPreCheck(t)
	api := testAccClient(t)
	artifacts := []struct{ address, typ, url string }{
		{"registry_artifact.bert", "model", replayBertURL},
		{"registry_artifact.squad", "model", replaySquadURL},
		{"registry_artifact.squad_dataset", "dataset", replayDataURL},
	}
	// The replayed urls cannot be made unique, and the registry answers 409
	// to a second artifact with the same url: what an interrupted run left
	// is removed first.
	for _, a := range artifacts {
		left, err := api.FindArtifactByURL(context.Background(), a.typ, a.url)
		if err != nil {
			t.Fatalf("looking for a leftover %s %s: %v", a.typ, a.url, err)
		}
		if left != nil {
			if err := api.DeleteArtifact(context.Background(), a.typ, string(left.Metadata.ID)); err != nil {
				t.Fatalf("removing the leftover %s %s (id %s): %v", a.typ, a.url, left.Metadata.ID, err)
			}
		}
	}

	resources := fmt.Sprintf(`
resource "registry_artifact" "bert" {
  type = "model"
  url  = %q
}

resource "registry_artifact" "squad" {
  type = "model"
  url  = %q
}

resource "registry_artifact" "squad_dataset" {
  type = "dataset"
  url  = %q
}
`, replayBertURL, replaySquadURL, replayDataURL)
	dataSources := fmt.Sprintf(`
data "registry_model_rating" "squad" {
  id = registry_artifact.squad.id
}

data "registry_artifact_cost" "squad" {
  type       = "model"
  id         = registry_artifact.squad.id
  dependency = true
}

data "registry_model_lineage" "squad" {
  id = registry_artifact.squad.id
}

data "registry_license_check" "squad" {
  id         = registry_artifact.squad.id
  github_url = %q
}

# After the rating is read, so that the trail has its RATE entry.
data "registry_artifact_audit" "squad" {
  type       = "model"
  id         = registry_artifact.squad.id
  depends_on = [data.registry_model_rating.squad]
}
`, replayGitHub)

	ids := map[string]*string{}
	var created []statecheck.StateCheck
	for _, a := range artifacts {
		ids[a.address] = new(string)
		created = append(created, registryHolds(api, a.address), stateValue(a.address, "id", ids[a.address]))
	}
	bertID, squadID, datasetID := ids["registry_artifact.bert"], ids["registry_artifact.squad"], ids["registry_artifact.squad_dataset"]

	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckArtifactsDestroyed(t),
		Steps: []resource.TestStep{
			{Config: resources, ConfigStateChecks: created},
			{
				Config: resources + dataSources,
				ConfigStateChecks: []statecheck.StateCheck{deferredChecks(func() ([]statecheck.StateCheck, error) {
					return trustDataSourceChecks(t, api, *bertID, *squadID, *datasetID)
				})},
			},
		},
	})
	for _, a := range artifacts {
		testAccCheckNoArtifact(t, api, a.typ, a.url, "or kept after destroy")
	}
}

// trustDataSourceChecks are the checks of testAccTrustDataSources' data
// sources, with the values the registry's API answers for the fine-tuned
// model squadID, whose base model is bertID and dataset datasetID.
func trustDataSourceChecks(t *testing.T, api *client.Client, bertID, squadID, datasetID string) ([]statecheck.StateCheck, error) {
	ctx := context.Background()
	rating, err := api.ModelRating(ctx, squadID)
	if err != nil {
		return nil, fmt.Errorf("the registry's rating of %s: %w", squadID, err)
	}
	costs, err := api.ArtifactCost(ctx, "model", squadID, true)
	if err != nil {
		return nil, fmt.Errorf("the registry's cost of %s with dependencies: %w", squadID, err)
	}
	for _, id := range []string{squadID, bertID, datasetID} {
		if _, ok := costs[id]; !ok {
			return nil, fmt.Errorf("the registry's cost with dependencies has no entry for %s (model %s, base model %s, dataset %s): %+v", id, squadID, bertID, datasetID, costs)
		}
	}
	if costs[squadID].StandaloneCost == nil {
		return nil, fmt.Errorf("the registry's cost with dependencies has no standalone cost for the model %s: %+v", squadID, costs)
	}
	graph, err := api.ModelLineage(ctx, squadID)
	if err != nil {
		return nil, fmt.Errorf("the registry's lineage of %s: %w", squadID, err)
	}
	baseEdge := wire.ArtifactLineageEdge{FromNodeArtifactID: wire.ID(bertID), ToNodeArtifactID: wire.ID(squadID), Relationship: "base_model"}
	if !slices.Contains(graph.Edges, baseEdge) {
		return nil, fmt.Errorf("the registry's lineage of %s lacks the edge %+v: %+v", squadID, baseEdge, graph)
	}
	compatible, err := api.LicenseCheck(ctx, squadID, replayGitHub)
	if err != nil {
		return nil, fmt.Errorf("the registry's license check of %s against %s: %w", squadID, replayGitHub, err)
	}
	trail, err := api.ArtifactAudit(ctx, "model", squadID)
	if err != nil {
		return nil, fmt.Errorf("the registry's audit trail of %s: %w", squadID, err)
	}
	actions := make([]string, len(trail))
	for i, e := range trail {
		actions[i] = e.Action
	}
	if len(actions) == 0 || actions[0] != "CREATE" || !slices.Contains(actions, "RATE") {
		return nil, fmt.Errorf("the registry's audit trail of %s has the actions %v, want CREATE first and a RATE", squadID, actions)
	}

	checks := exactChecks(t, "data.registry_model_rating.squad", rating)
	checks = append(checks, lineageChecks("data.registry_model_lineage.squad", graph)...)
	return append(checks,
		statecheck.ExpectKnownValue("data.registry_model_rating.squad", tfjsonpath.New("id"), knownvalue.StringExact(squadID)),
		statecheck.ExpectKnownValue("data.registry_artifact_cost.squad", tfjsonpath.New("total_cost"), knownvalue.Float64Exact(costs[squadID].TotalCost)),
		statecheck.ExpectKnownValue("data.registry_artifact_cost.squad", tfjsonpath.New("standalone_cost"), knownvalue.Float64Exact(*costs[squadID].StandaloneCost)),
		statecheck.ExpectKnownValue("data.registry_artifact_cost.squad", tfjsonpath.New("costs"), costsCheck(costs, true)),
		statecheck.ExpectKnownValue("data.registry_license_check.squad", tfjsonpath.New("compatible"), knownvalue.Bool(compatible)),
		statecheck.ExpectKnownValue("data.registry_artifact_audit.squad", tfjsonpath.New("entries"), auditEntriesCheck(trail)),
	), nil
}
