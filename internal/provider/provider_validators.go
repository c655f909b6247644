package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifacturl"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
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

// stringCheck validates a string with a check of the client package, so
// that the plan fails with the same rule the client applies.
type stringCheck struct {
	desc    string
	summary string
	check   func(string) error
}

func (v stringCheck) Description(_ context.Context) string { return v.desc }

func (v stringCheck) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, v.summary, fmt.Sprintf("%s: %s.", req.Path, err))
	}
}

// pemCertificates validates PEM text holding one or more certificates.
func pemCertificates() validator.String {
	return stringCheck{
		desc:    "value must be PEM text of one or more X.509 certificates",
		summary: "Invalid PEM certificate",
		check:   func(s string) error { _, err := client.ParseCertificates(s); return err },
	}
}

// pemPrivateKey validates PEM text holding an unencrypted private key. Its
// errors never contain the key.
func pemPrivateKey() validator.String {
	return stringCheck{
		desc:    "value must be PEM text of an unencrypted private key",
		summary: "Invalid PEM private key",
		check:   client.CheckPrivateKey,
	}
}

// proxyURL validates an http, https or socks5 proxy URL.
func proxyURL() validator.String {
	return stringCheck{
		desc:    "value must be an http, https or socks5 URL",
		summary: "Invalid proxy URL",
		check:   func(s string) error { _, err := client.ParseProxyURL(s); return err },
	}
}

// httpHeaders validates a map of extra headers: valid names and values, and
// none that the provider sets itself.
func httpHeaders() validator.Map {
	return httpHeadersValidator{}
}

type httpHeadersValidator struct{}

func (v httpHeadersValidator) Description(_ context.Context) string {
	return "keys must be HTTP header names that the provider does not set itself"
}

func (v httpHeadersValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v httpHeadersValidator) ValidateMap(_ context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	for name, elem := range req.ConfigValue.Elements() {
		value := ""
		if s, ok := elem.(types.String); ok && !s.IsUnknown() && !s.IsNull() {
			value = s.ValueString()
		}
		if err := client.CheckHeader(name, value); err != nil {
			resp.Diagnostics.AddAttributeError(req.Path.AtMapKey(name), "Invalid header", err.Error()+".")
		}
	}
}
