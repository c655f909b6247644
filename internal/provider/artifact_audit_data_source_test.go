package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
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
