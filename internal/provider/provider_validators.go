package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifacturl"
)

// httpURL validates that a string is an absolute http(s) URL, with the same
// rule the registry applies (artifacturl.ValidateHTTP), so that a bad URL
// fails at plan time instead of at the API. Its error shows example, a
// URL of the kind the attribute wants.
func httpURL(example string) validator.String {
	return httpURLValidator{example: example}
}

type httpURLValidator struct {
	example string
}

func (v httpURLValidator) Description(_ context.Context) string {
	return "value must be an absolute http or https URL"
}

func (v httpURLValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v httpURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := artifacturl.ValidateHTTP(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid URL",
			fmt.Sprintf("%s: %s. Use an absolute URL with scheme http or https and a host, e.g. %s.",
				req.Path, err, v.example))
	}
}

// positiveDuration validates a Go duration string greater than zero.
func positiveDuration() validator.String {
	return positiveDurationValidator{}
}

type positiveDurationValidator struct{}

func (v positiveDurationValidator) Description(_ context.Context) string {
	return "value must be a positive duration such as \"30s\" or \"2m\""
}

func (v positiveDurationValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v positiveDurationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	raw := req.ConfigValue.ValueString()
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
			fmt.Sprintf("%s: %q is not a positive duration. Use a number with a unit, such as \"30s\", \"1m30s\" or \"2m\".", req.Path, raw))
	}
}
