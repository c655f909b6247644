package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
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

// An endpoint with credentials or a query fails at plan time, before any
// request (finding 5 of issue 19).
func TestAccProvider_endpointRefusedAtPlan(t *testing.T) {
	const secret = "s3cret-in-url"
	config := func(endpoint string) string {
		return fmt.Sprintf("provider \"registry\" {\n  endpoint = %q\n}\n", endpoint) + testAccArtifactConfig("model", "https://huggingface.co/o/x")
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      config("https://admin:" + secret + "@registry.example.com"),
				PlanOnly:    true,
				ExpectError: wordsRE("Invalid registry endpoint", "https://admin:xxxxx@registry.example.com", "user:password@", "set the username and password"),
			},
			{
				Config:      config("https://registry.example.com/prod?api_key=" + secret),
				PlanOnly:    true,
				ExpectError: wordsRE("Invalid registry endpoint", `"https://registry.example.com/prod" is followed by a query`, "headers"),
			},
			{
				Config:      config("https://registry.example.com/#" + secret),
				PlanOnly:    true,
				ExpectError: wordsRE("Invalid registry endpoint", "fragment"),
			},
		},
	})
}

// The endpoint's rule, whose errors never show a password or query; a
// path prefix is fine.
func TestRegistryEndpointValidator(t *testing.T) {
	const secret = "s3cret"
	for value, ok := range map[string]bool{
		"https://registry.example.com":                  true,
		"http://127.0.0.1:8000/":                        true,
		"https://gateway.example.com/prod":              true,
		"https://u:" + secret + "@registry.example.com": false,
		"https://u@registry.example.com":                false,
		"https://registry.example.com?key=" + secret:    false,
		"https://registry.example.com/?":                false,
		"https://registry.example.com/#" + secret:       false,
		"registry.example.com":                          false,
		"ftp://registry.example.com":                    false,
	} {
		var resp validator.StringResponse
		registryEndpoint().ValidateString(t.Context(), validator.StringRequest{Path: path.Root("endpoint"), ConfigValue: types.StringValue(value)}, &resp)
		if resp.Diagnostics.HasError() == ok {
			t.Errorf("%q: diagnostics %v, want valid=%t", value, resp.Diagnostics, ok)
		}
		if !ok && strings.Contains(resp.Diagnostics[0].Detail(), secret) {
			t.Errorf("%q: the error shows the secret: %s", value, resp.Diagnostics[0].Detail())
		}
	}
}
