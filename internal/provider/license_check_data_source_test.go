package provider

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func TestLicenseCheckDataSourceRead(t *testing.T) {
	for _, want := range []bool{true, false} {
		var body string
		state, diags := readDataSource(t, NewLicenseCheckDataSource(), func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			body = string(b)
			answer(t, "POST", "/artifact/model/7/license-check", 200, map[bool]string{true: "true", false: "false"}[want])(w, r)
		}, map[string]tftypes.Value{
			"id":         tftypes.NewValue(tftypes.String, "7"),
			"github_url": tftypes.NewValue(tftypes.String, "https://github.com/google-research/bert"),
		})
		if diags.HasError() {
			t.Fatal(diags)
		}
		var got licenseCheckDataSourceModel
		if diags := state.Get(context.Background(), &got); diags.HasError() {
			t.Fatal(diags)
		}
		if got.Compatible.ValueBool() != want || body != `{"github_url":"https://github.com/google-research/bert"}` {
			t.Errorf("compatible %s after body %s, want %v", got.Compatible, body, want)
		}
	}
}
