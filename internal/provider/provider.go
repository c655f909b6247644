// Package provider is the Terraform provider for the Trustworthy Model
// Registry: its configuration, resources, data sources, ephemeral resources
// and functions.
package provider

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/s3bucket"
)

// Environment variables that stand in for unset provider attributes.
const (
	envEndpoint = "REGISTRY_ENDPOINT"
	envUsername = "REGISTRY_USERNAME"
	envPassword = "REGISTRY_PASSWORD"
	envToken    = "REGISTRY_TOKEN"

	envCACertificate     = "REGISTRY_CA_CERTIFICATE"
	envClientCertificate = "REGISTRY_CLIENT_CERTIFICATE"
	envClientKey         = "REGISTRY_CLIENT_KEY"
	envInsecure          = "REGISTRY_INSECURE"
)

// Defaults of the optional provider attributes. Provider schemas cannot
// declare defaults, so Configure applies them.
const (
	defaultRequestTimeout = 30 * time.Second
	defaultMaxRetries     = client.DefaultMaxRetries
	// A registry that answers a DELETE with 404 for an artifact it held at
	// the refresh is believed only after this many reads in a row, spread
	// over at least this long, find nothing: a store that flaps (rewritten
	// in place without a lock) answers 404 for a moment and then holds the
	// artifact again.
	defaultDeleteConfirmReads  = 3
	defaultDeleteConfirmWindow = time.Second
)

var (
	_ provider.Provider                       = (*RegistryProvider)(nil)
	_ provider.ProviderWithFunctions          = (*RegistryProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*RegistryProvider)(nil)
)

// RegistryProvider is the provider for the Trustworthy Model Registry.
type RegistryProvider struct {
	// version is "dev" for local builds, "test" in acceptance tests and the
	// release version in released binaries.
	version string
}

// registryProviderModel is the provider configuration.
type registryProviderModel struct {
	Endpoint       types.String `tfsdk:"endpoint"`
	Username       types.String `tfsdk:"username"`
	Password       types.String `tfsdk:"password"`
	IsAdmin        types.Bool   `tfsdk:"is_admin"`
	Token          types.String `tfsdk:"token"`
	RequestTimeout types.String `tfsdk:"request_timeout"`
	MaxRetries     types.Int64  `tfsdk:"max_retries"`
	RetryWaitMin   types.String `tfsdk:"retry_wait_min"`
	RetryWaitMax   types.String `tfsdk:"retry_wait_max"`

	DeleteConfirmReads  types.Int64  `tfsdk:"delete_confirm_reads"`
	DeleteConfirmWindow types.String `tfsdk:"delete_confirm_window"`

	CACertificate     types.String `tfsdk:"ca_certificate"`
	ClientCertificate types.String `tfsdk:"client_certificate"`
	ClientKey         types.String `tfsdk:"client_key"`
	Insecure          types.Bool   `tfsdk:"insecure"`
	Headers           types.Map    `tfsdk:"headers"`
	ProxyURL          types.String `tfsdk:"proxy_url"`

	S3 *s3Model `tfsdk:"s3"`
}

// s3Model is the s3 block, used by registry_storage.
type s3Model struct {
	Region       types.String `tfsdk:"region"`
	Endpoint     types.String `tfsdk:"endpoint"`
	UsePathStyle types.Bool   `tfsdk:"use_path_style"`
	Profile      types.String `tfsdk:"profile"`
}

// New returns a constructor of the provider at the given version.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &RegistryProvider{version: version}
	}
}

func (p *RegistryProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "registry"
	resp.Version = p.version
}

func (p *RegistryProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The registry provider manages the artifacts (models, datasets and code) of a " +
			"[Trustworthy Model Registry](https://github.com/trustworthy-registry/terraform-provider-registry) " +
			"through its REST API (OpenAPI 3.4.7), and the S3 bucket that the registry stores them in.\n\n" +
			"The registry settings are needed only when a registry resource or data source is used: a configuration " +
			"with only `registry_storage` needs just the `s3` block (or nothing, with the AWS SDK's defaults). " +
			"Credentials (`username` and `password`, or `token`) are needed only when the registry requires " +
			"authentication: without them the provider calls the registry without a token, which a registry without " +
			"authentication (its `PUT /authenticate` answers 501) accepts, and one with authentication refuses with " +
			"an error that says which settings to set.",
		Attributes: map[string]schema.Attribute{
			"endpoint": schema.StringAttribute{
				MarkdownDescription: "Base URL of the registry API, e.g. `https://registry.example.com` (a path prefix such as " +
					"`https://gateway.example.com/prod` is kept; credentials and a query are refused: use `username`, " +
					"`password` and `headers`). " +
					"Can also be set with the `" + envEndpoint + "` environment variable.",
				Optional:   true,
				Validators: []validator.String{registryEndpoint()},
			},
			"username": schema.StringAttribute{
				MarkdownDescription: "User name to authenticate with (`PUT /authenticate`), e.g. " +
					"`" + defaultadmin.Name + "`. Can also be set with the `" + envUsername + "` environment variable. " +
					"Requires `password`. Not needed when `token` is set, nor when the registry has no authentication.",
				Optional: true,
			},
			"password": schema.StringAttribute{
				MarkdownDescription: "Password of `username`, required with it. Can also be set with the `" + envPassword + "` " +
					"environment variable, which keeps it out of the configuration.",
				Optional:  true,
				Sensitive: true,
			},
			"is_admin": schema.BoolAttribute{
				MarkdownDescription: "Whether `username` authenticates as an administrator (the `is_admin` flag of " +
					"the authentication request). Defaults to `true`.",
				Optional: true,
			},
			"token": schema.StringAttribute{
				MarkdownDescription: "A ready access token (as `PUT /authenticate` returns it, with or without the " +
					"`bearer ` prefix), used instead of `username` and `password`. Can also be set with the `" +
					envToken + "` environment variable, which is ignored when `username` or `password` is set in the " +
					"configuration.",
				Optional:  true,
				Sensitive: true,
			},
			"request_timeout": schema.StringAttribute{
				MarkdownDescription: "Time limit of each attempt of an API request, as a Go duration such as " +
					"`30s` or `2m`. Defaults to `30s`.",
				Optional:   true,
				Validators: []validator.String{positiveDuration()},
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: "How many times a request is retried after a 429, 502, 503 or 504 answer or a " +
					"connection error, with exponential backoff. A create is never re-sent blindly: the provider first " +
					"looks for the artifact it may have created, and sends the create again (at most this many times) " +
					"only when that lookup proves it was not. The waits grow from 0.5 s, doubling up to 5 s apart, with " +
					"jitter. Defaults to `20`, enough to ride out a registry or network that fails more than half of the " +
					"requests for a while; `0` disables retries. `retry_wait_min` and `retry_wait_max` set the waits.",
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(0, 100)},
			},
			"retry_wait_min": schema.StringAttribute{
				MarkdownDescription: "The wait before the first retry, as a Go duration such as `500ms`; each " +
					"following wait doubles, up to `retry_wait_max`, with jitter (a `Retry-After` from the registry " +
					"is followed instead, up to 2 minutes). Defaults to `500ms`.",
				Optional:   true,
				Validators: []validator.String{positiveDuration()},
			},
			"retry_wait_max": schema.StringAttribute{
				MarkdownDescription: "The longest wait between two retries, as a Go duration such as `5s`; not " +
					"below `retry_wait_min`. Defaults to `5s`.",
				Optional:   true,
				Validators: []validator.String{positiveDuration()},
			},
			"delete_confirm_reads": schema.Int64Attribute{
				MarkdownDescription: "How many reads in a row must find no artifact before the provider believes a " +
					"registry that answers `DELETE` with 404 (\"does not exist\") for an artifact that the refresh has just " +
					"read. A registry whose store flaps answers 404 for a moment and then holds the artifact again; the " +
					"provider then sends `DELETE` again, and when the answers keep disagreeing, fails the destroy and keeps " +
					"the artifact in state. A `DELETE` that succeeds is still checked with one read. Defaults to `3`.",
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(1, 20)},
			},
			"delete_confirm_window": schema.StringAttribute{
				MarkdownDescription: "The time over which the reads of `delete_confirm_reads` are spread (the first " +
					"at once, the last after this long), as a Go duration such as `1s`. Defaults to `1s`.",
				Optional:   true,
				Validators: []validator.String{positiveDuration()},
			},
			"ca_certificate": schema.StringAttribute{
				MarkdownDescription: "PEM text of the certificate authority (one or more certificates) that issued the " +
					"registry's TLS certificate, trusted in addition to the machine's CA store: for a registry behind a " +
					"private or company CA. Use `file(\"ca.pem\")` to read it from a file. Can also be set with the `" +
					envCACertificate + "` environment variable (the PEM text itself).",
				Optional:   true,
				Validators: []validator.String{pemCertificates()},
			},
			"client_certificate": schema.StringAttribute{
				MarkdownDescription: "PEM text of the client certificate (optionally followed by its intermediate " +
					"certificates) presented for mutual TLS, with `client_key`. Can also be set with the `" +
					envClientCertificate + "` environment variable.",
				Optional:   true,
				Validators: []validator.String{pemCertificates()},
			},
			"client_key": schema.StringAttribute{
				MarkdownDescription: "PEM text of the private key of `client_certificate` (PKCS#8, PKCS#1 or SEC 1; not " +
					"encrypted). Can also be set with the `" + envClientKey + "` environment variable, which keeps it " +
					"out of the configuration.",
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{pemPrivateKey()},
			},
			"insecure": schema.BoolAttribute{
				MarkdownDescription: "Skip the verification of the registry's TLS certificate. Anyone on the network " +
					"path can then read the credentials and the API traffic, so every run warns while it is on; prefer " +
					"`ca_certificate`. Can also be set with the `" + envInsecure + "` environment variable (`true` or " +
					"`false`). Defaults to `false`.",
				Optional: true,
			},
			"headers": schema.MapAttribute{
				MarkdownDescription: "HTTP headers sent with every request to the registry, e.g. the `x-api-key` of an " +
					"API Gateway usage plan. Sensitive: the values are never logged, stored in state or shown in errors. " +
					"Headers that the provider sets itself (`Authorization`, `X-Authorization`, `Content-Type`, " +
					"`Accept`, `User-Agent`, `Host`, ...) cannot be set here.",
				ElementType: types.StringType,
				Optional:    true,
				Sensitive:   true,
				Validators:  []validator.Map{httpHeaders()},
			},
			"proxy_url": schema.StringAttribute{
				MarkdownDescription: "Proxy for every request of this provider to the registry, e.g. " +
					"`http://proxy.example.com:3128` (schemes `http`, `https`, `socks5`; credentials as " +
					"`http://user:password@host:port`). Without it, the standard `HTTPS_PROXY`, `HTTP_PROXY` and " +
					"`NO_PROXY` environment variables apply (requests to `localhost` and loopback addresses never " +
					"go through those).",
				Optional:   true,
				Validators: []validator.String{proxyURL()},
			},
		},
		Blocks: map[string]schema.Block{
			"s3": schema.SingleNestedBlock{
				MarkdownDescription: "Settings of the S3 client that `registry_storage` uses. Credentials come from " +
					"the AWS SDK's default chain (environment variables, shared configuration and credentials files, " +
					"container and instance roles).",
				Attributes: map[string]schema.Attribute{
					"region": schema.StringAttribute{
						MarkdownDescription: "AWS region, e.g. `us-east-1`. Defaults to the SDK's chain (`AWS_REGION`, " +
							"the profile), then `us-east-1`.",
						Optional: true,
					},
					"endpoint": schema.StringAttribute{
						MarkdownDescription: "Endpoint of an S3-compatible server (Ceph, MinIO, versitygw, ...), e.g. " +
							"`http://127.0.0.1:7070`. Defaults to the SDK's `AWS_ENDPOINT_URL_S3` environment variable, " +
							"then AWS. With an endpoint, path-style addressing is used and checksums are computed only " +
							"when the operation requires them, which such servers expect.",
						Optional:   true,
						Validators: []validator.String{httpURL("http://127.0.0.1:7070")},
					},
					"use_path_style": schema.BoolAttribute{
						MarkdownDescription: "Address buckets as `<endpoint>/<bucket>` instead of " +
							"`<bucket>.<endpoint>`. Always on when an endpoint is set. Defaults to `false`.",
						Optional: true,
					},
					"profile": schema.StringAttribute{
						MarkdownDescription: "Named profile of the shared AWS configuration files. Defaults to " +
							"`AWS_PROFILE` or `default`.",
						Optional: true,
					},
				},
			},
		},
	}
}

func (p *RegistryProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config registryProviderModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}

	data := &ProviderData{}

	// A value that depends on a resource not yet applied (e.g. an endpoint
	// that another resource outputs) is unknown during plan. Configure must
	// not fail then: the client is built later, when a resource needs it,
	// and RegistryClient reports which settings are not known yet.
	settings := registrySettings{
		Endpoint: stringSetting(config.Endpoint, envEndpoint, "endpoint", &data.unknown),
		IsAdmin:  true,
		Timeout:  defaultRequestTimeout,
		Retries:  defaultMaxRetries,

		RetryWaitMin: client.DefaultRetryWaitMin,
		RetryWaitMax: client.DefaultRetryWaitMax,

		DeleteConfirmReads:  defaultDeleteConfirmReads,
		DeleteConfirmWindow: defaultDeleteConfirmWindow,
	}
	settings.Username, settings.Password, settings.Token = credentialSettings(config, &data.unknown)
	switch {
	case config.IsAdmin.IsUnknown():
		data.unknown = append(data.unknown, "is_admin")
	case !config.IsAdmin.IsNull():
		settings.IsAdmin = config.IsAdmin.ValueBool()
	}
	durationSetting(config.RequestTimeout, "request_timeout", &settings.Timeout, &data.unknown, &resp.Diagnostics)
	durationSetting(config.DeleteConfirmWindow, "delete_confirm_window", &settings.DeleteConfirmWindow, &data.unknown, &resp.Diagnostics)
	durationSetting(config.RetryWaitMin, "retry_wait_min", &settings.RetryWaitMin, &data.unknown, &resp.Diagnostics)
	durationSetting(config.RetryWaitMax, "retry_wait_max", &settings.RetryWaitMax, &data.unknown, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	intSetting(config.MaxRetries, "max_retries", &settings.Retries, &data.unknown)
	intSetting(config.DeleteConfirmReads, "delete_confirm_reads", &settings.DeleteConfirmReads, &data.unknown)
	resp.Diagnostics.Append(configureTransport(ctx, config, &settings.Transport, &data.unknown)...)
	if resp.Diagnostics.HasError() {
		return
	}
	settings.UserAgent = fmt.Sprintf("terraform-provider-registry/%s (+https://www.terraform.io) Terraform/%s", p.version, req.TerraformVersion)
	data.registry = settings

	if config.S3 != nil {
		s3 := config.S3
		if s3.Region.IsUnknown() || s3.Endpoint.IsUnknown() || s3.UsePathStyle.IsUnknown() || s3.Profile.IsUnknown() {
			data.s3Unknown = true
		}
		data.s3Config = s3bucket.ClientConfig{
			Region:       s3.Region.ValueString(),
			Endpoint:     s3.Endpoint.ValueString(),
			UsePathStyle: s3.UsePathStyle.ValueBool(),
			Profile:      s3.Profile.ValueString(),
		}
	}

	if len(data.unknown) > 0 || data.s3Unknown {
		tflog.Debug(ctx, "provider configuration has values unknown until apply", map[string]any{"unknown": data.unknown, "s3_unknown": data.s3Unknown})
		// Terraform clients that support deferred actions plan the
		// provider's resources in a later round instead.
		if req.ClientCapabilities.DeferralAllowed {
			resp.Deferred = &provider.Deferred{Reason: provider.DeferredReasonProviderConfigUnknown}
		}
	}

	resp.DataSourceData = data
	resp.ResourceData = data
	resp.EphemeralResourceData = data
	resp.ListResourceData = data
	resp.ActionData = data
}

// stringSetting resolves one string setting: the attribute, or else the
// environment variable. An unknown attribute is recorded by name.
func stringSetting(v types.String, env, name string, unknown *[]string) string {
	if v.IsUnknown() {
		*unknown = append(*unknown, name)
		return ""
	}
	if !v.IsNull() {
		return v.ValueString()
	}
	return os.Getenv(env)
}

// durationSetting sets *dst from a duration attribute that is set. The
// validator has checked the value whenever it was known at validation; an
// unknown one that became known is checked here.
func durationSetting(v types.String, name string, dst *time.Duration, unknown *[]string, diags *diag.Diagnostics) {
	switch {
	case v.IsUnknown():
		*unknown = append(*unknown, name)
	case !v.IsNull():
		d, err := time.ParseDuration(v.ValueString())
		if err != nil || d <= 0 {
			diags.AddAttributeError(path.Root(name), "Invalid "+name,
				fmt.Sprintf("%q is not a positive duration; use a value such as \"30s\" or \"2m\".", v.ValueString()))
			return
		}
		*dst = d
	}
}

// intSetting sets *dst from a number attribute that is set.
func intSetting(v types.Int64, name string, dst *int, unknown *[]string) {
	switch {
	case v.IsUnknown():
		*unknown = append(*unknown, name)
	case !v.IsNull():
		*dst = int(v.ValueInt64())
	}
}

func (p *RegistryProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewArtifactResource,
		NewStorageResource,
	}
}

func (p *RegistryProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewArtifactDataSource,
		NewArtifactsDataSource,
		NewModelRatingDataSource,
		NewArtifactCostDataSource,
		NewModelLineageDataSource,
		NewLicenseCheckDataSource,
		NewArtifactAuditDataSource,
	}
}

func (p *RegistryProvider) EphemeralResources(_ context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		NewTokenEphemeralResource,
	}
}

func (p *RegistryProvider) Functions(_ context.Context) []func() function.Function {
	return []func() function.Function{
		NewParseArtifactURLFunction,
	}
}

// clientLogger adapts tflog to client.Logger. The masks are applied to every
// call's context, because the client logs with the context of the resource
// operation, which the provider's Configure never sees.
type clientLogger struct {
	secrets []string
}

func newClientLogger(secrets ...string) clientLogger {
	var nonEmpty []string
	for _, s := range secrets {
		// An empty string would match everywhere and mask every field.
		if s != "" {
			nonEmpty = append(nonEmpty, s)
		}
	}
	return clientLogger{secrets: nonEmpty}
}

func (l clientLogger) Debug(ctx context.Context, msg string, fields map[string]any) {
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, "password", "token", "authorization", "x-authorization", "Authorization", "X-Authorization", "headers", "client_key")
	if len(l.secrets) > 0 {
		ctx = tflog.MaskAllFieldValuesStrings(ctx, l.secrets...)
		ctx = tflog.MaskMessageStrings(ctx, l.secrets...)
	}
	tflog.Debug(ctx, msg, fields)
}

var _ client.Logger = clientLogger{}
