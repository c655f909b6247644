package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// registryClientOr: the client, or one error under the caller's summary
// that says why there is none, with the caller's hint only while the
// configuration is unknown.
func TestRegistryClientOr(t *testing.T) {
	const hint = "Add depends_on."
	for _, tt := range []struct {
		name       string
		data       *ProviderData
		wantDetail []string
		notDetail  string
	}{
		{name: "not configured", data: nil, wantDetail: []string{"has not been configured", "bug in the provider"}},
		{name: "unknown", data: &ProviderData{unknown: []string{"endpoint"}}, wantDetail: []string{`"endpoint" will be known only after apply`, hint}},
		{name: "no endpoint", data: &ProviderData{}, wantDetail: []string{"The registry endpoint is not set", envEndpoint}, notDetail: hint},
		{name: "ready", data: &ProviderData{registry: registrySettings{Endpoint: "http://127.0.0.1:1"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var diags diag.Diagnostics
			c := tt.data.registryClientOr(&diags, "Cannot read registry_x", hint)
			if len(tt.wantDetail) == 0 {
				if c == nil || diags.HasError() {
					t.Fatalf("client %v, diagnostics %v; want a client and no error", c, diags)
				}
				return
			}
			if c != nil || len(diags) != 1 || diags[0].Summary() != "Cannot read registry_x" {
				t.Fatalf("client %v, diagnostics %v; want no client and one error 'Cannot read registry_x'", c, diags)
			}
			for _, want := range tt.wantDetail {
				if !strings.Contains(diags[0].Detail(), want) {
					t.Errorf("detail %q: want %q in it", diags[0].Detail(), want)
				}
			}
			if tt.notDetail != "" && strings.Contains(diags[0].Detail(), tt.notDetail) {
				t.Errorf("detail %q: the hint is only for an unknown configuration", diags[0].Detail())
			}
		})
	}
}
