package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The error shows an example of what the attribute wants: a registry's
// address for the endpoint, not an artifact's source URL.
func TestHTTPURLValidatorExample(t *testing.T) {
	v := httpURL("https://registry.example.com")
	var resp validator.StringResponse
	v.ValidateString(t.Context(), validator.StringRequest{
		Path:        path.Root("endpoint"),
		ConfigValue: types.StringValue("registry.example.com"),
	}, &resp)
	if !resp.Diagnostics.HasError() {
		t.Fatal("want an error for a URL without a scheme")
	}
	detail := resp.Diagnostics[0].Detail()
	if !strings.Contains(detail, "e.g. https://registry.example.com.") || strings.Contains(detail, "huggingface") {
		t.Errorf("the error should show the endpoint example: %s", detail)
	}

	resp = validator.StringResponse{}
	v.ValidateString(t.Context(), validator.StringRequest{
		Path:        path.Root("endpoint"),
		ConfigValue: types.StringValue("http://127.0.0.1:8000"),
	}, &resp)
	if resp.Diagnostics.HasError() {
		t.Errorf("a valid URL: %v", resp.Diagnostics)
	}
}
