package provider

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
)

// Entries come newest last, whatever the registry's order.
func TestArtifactAuditDataSourceRead(t *testing.T) {
	state, diags := readDataSource(t, NewArtifactAuditDataSource(), answer(t, "GET", "/artifact/model/5/audit", 200, `[
  {"user":{"name":"Casey Morgan","is_admin":false},"date":"2024-09-02T01:12:30Z","artifact":{"name":"a","id":5,"type":"model"},"action":"RATE"},
  {"user":{"name":"Lina Torres","is_admin":true},"date":"2024-07-11T14:22:05Z","artifact":{"name":"a","id":5,"type":"model"},"action":"CREATE"},
  {"user":{"name":"Lina Torres","is_admin":true},"date":"2024-07-11T14:24:18Z","artifact":{"name":"a","id":5,"type":"model"},"action":"DOWNLOAD"}]`),
		map[string]tftypes.Value{"type": tftypes.NewValue(tftypes.String, "model"), "id": tftypes.NewValue(tftypes.String, "5")})
	if diags.HasError() {
		t.Fatal(diags)
	}
	var got artifactAuditDataSourceModel
	if diags := state.Get(context.Background(), &got); diags.HasError() {
		t.Fatal(diags)
	}
	var actions []string
	for _, e := range got.Entries {
		actions = append(actions, e.Action.ValueString())
	}
	if len(actions) != 3 || actions[0] != "CREATE" || actions[1] != "DOWNLOAD" || actions[2] != "RATE" {
		t.Fatalf("actions %v, want CREATE DOWNLOAD RATE", actions)
	}
	if e := got.Entries[0]; e.UserName.ValueString() != "Lina Torres" || !e.UserIsAdmin.ValueBool() || e.Date.ValueString() != "2024-07-11T14:22:05Z" {
		t.Errorf("first entry %+v", e)
	}
	if got.Entries[2].UserIsAdmin.ValueBool() {
		t.Error("Casey Morgan is not an admin")
	}
}

// The audit trail of a model that was created and rated is the server's,
// oldest first.
func TestAccArtifactAuditDataSource(t *testing.T) {
	reg := startTrustRegistry(t, trustRegistryOptions{mode: server.RatingOff})
	id := reg.seed(t, "model", replayBertURL)
	ctx := context.Background()
	if _, err := reg.api.ModelRating(ctx, id); err != nil {
		t.Fatalf("rating the model: %v", err)
	}
	trail, err := reg.api.ArtifactAudit(ctx, "model", id)
	if err != nil {
		t.Fatalf("the server's audit trail: %v", err)
	}
	var actions []string
	for _, e := range trail {
		actions = append(actions, e.Action)
	}
	if !slices.Equal(actions, []string{"CREATE", "RATE"}) {
		t.Fatalf("the server's audit trail has the actions %v, want CREATE then RATE", actions)
	}

	resource.Test(t, trustTestCase(resource.TestStep{
		Config: fmt.Sprintf("data \"registry_artifact_audit\" \"bert\" {\n  type = \"model\"\n  id   = %q\n}\n", id),
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue("data.registry_artifact_audit.bert", tfjsonpath.New("entries"), auditEntriesCheck(trail)),
		},
	}))
}
