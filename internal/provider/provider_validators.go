package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
)

// stringCheck is the provider's one string validator: check is a rule of
// the package that applies it later (the client, artifact, s3bucket), so
// that a bad value fails at plan time with the same rule. Its error is
// "<attribute>: <check's error>." and then hint, when set, which says what a
// valid value looks like.
type stringCheck struct {
	desc    string
	summary string
	check   func(string) error
	hint    string
}

func (v stringCheck) Description(_ context.Context) string { return v.desc }

func (v stringCheck) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueString()); err != nil {
		detail := fmt.Sprintf("%s: %s.", req.Path, err)
		if v.hint != "" {
			detail += " " + v.hint
		}
		resp.Diagnostics.AddAttributeError(req.Path, v.summary, detail)
	}
}

// artifactType accepts the API's artifact types.
func artifactType() validator.String {
	return stringvalidator.OneOf(artifact.Types()...)
}

// artifactTypesMarkdown lists the artifact types for a description, the
// last joined by conjunction: "`model`, `dataset` or `code`".
func artifactTypesMarkdown(conjunction string) string {
	t := artifact.Types()
	for i := range t {
		t[i] = "`" + t[i] + "`"
	}
	return strings.Join(t[:len(t)-1], ", ") + " " + conjunction + " " + t[len(t)-1]
}

// artifactID accepts ids that match the spec's ArtifactID pattern.
func artifactID() validator.String {
	return stringvalidator.RegexMatches(artifact.IDPattern, "must be an artifact id: "+artifact.IDRule)
}

// sha256Pattern is the form of a digest the registry reports
// (ArtifactBundle.sha256).
var sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// sha256Hex accepts a SHA-256 digest as the registry writes it: 64
// lowercase hex digits.
func sha256Hex() validator.String {
	return stringCheck{
		desc:    "value must be a SHA-256 digest: 64 lowercase hex digits",
		summary: "Invalid SHA-256 digest",
		check: func(s string) error {
			if !sha256Pattern.MatchString(s) {
				return fmt.Errorf("%q is not 64 lowercase hex digits", s)
			}
			return nil
		},
		hint: "Use the digest as sha256sum prints it (without a \"sha256:\" prefix, in lowercase), or the sha256 " +
			"attribute of the registry_artifact data source.",
	}
}

// httpURL validates that a string is an absolute http(s) URL, with the same
// rule the registry applies (artifact.ValidateHTTP), so that a bad URL
// fails at plan time instead of at the API. Its error shows example, a
// URL of the kind the attribute wants.
func httpURL(example string) validator.String {
	return stringCheck{
		desc:    "value must be an absolute http or https URL",
		summary: "Invalid URL",
		check:   func(s string) error { _, err := artifact.ValidateHTTP(s); return err },
		hint:    "Use an absolute URL with scheme http or https and a host, e.g. " + example + ".",
	}
}

// registryEndpoint validates the provider's endpoint with the client's rule
// (client.ParseEndpoint): credentials or a query in it fail the plan, not
// the apply, and the error never shows them.
func registryEndpoint() validator.String {
	return stringCheck{
		desc:    "value must be the registry's base URL: http or https, without user:password@, query or fragment",
		summary: "Invalid registry endpoint",
		check:   func(s string) error { _, err := client.ParseEndpoint(s); return err },
		hint:    "Use the registry's base URL, e.g. https://registry.example.com.",
	}
}

// positiveDuration validates a Go duration string greater than zero.
func positiveDuration() validator.String {
	return stringCheck{
		desc:    "value must be a positive duration such as \"30s\" or \"2m\"",
		summary: "Invalid duration",
		check: func(s string) error {
			if d, err := time.ParseDuration(s); err != nil || d <= 0 {
				return fmt.Errorf("%q is not a positive duration", s)
			}
			return nil
		},
		hint: "Use a number with a unit, such as \"30s\", \"1m30s\" or \"2m\".",
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
