package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/s3bucket"
)

// ErrConfigUnknown is returned (wrapped) by RegistryClient and S3Client while
// the provider configuration holds values that are known only after apply.
var ErrConfigUnknown = errors.New("the provider configuration is not known yet")

// registrySettings are the resolved registry settings (attributes, else
// environment variables, else defaults).
type registrySettings struct {
	Endpoint string
	Username string
	Password string
	Token    string
	IsAdmin  bool
	Timeout  time.Duration
	Retries  int
	// RetryWaitMin and RetryWaitMax bound the waits between retries.
	RetryWaitMin, RetryWaitMax time.Duration
	UserAgent                  string
	// DeleteConfirmReads reads in a row, spread over DeleteConfirmWindow,
	// must find no artifact before a DELETE answered 404 is believed.
	DeleteConfirmReads  int
	DeleteConfirmWindow time.Duration
	// Transport holds the TLS, header and proxy settings.
	Transport client.TransportConfig
}

// ProviderData is what the provider hands to its resources, data sources and
// ephemeral resources. The clients are built on first use, so that settings
// a configuration does not use (the registry's for a storage-only
// configuration, the s3 block for an artifacts-only one) are never required.
// One registry client serves every resource of the provider process, so
// that the registry authenticates once and all share the token.
type ProviderData struct {
	registry registrySettings
	// unknown names the registry settings that are unknown at plan time.
	unknown []string

	clientOnce sync.Once
	client     *client.Client
	clientErr  error

	s3Config  s3bucket.ClientConfig
	s3Unknown bool

	s3Mu     sync.Mutex
	s3Client *s3.Client

	// credentialsWarned: the warning of warnCredentialsUnused was given.
	credentialsWarned atomic.Bool
}

// RegistryClient returns the provider's registry client. The error says
// which setting is missing and how to set it, or wraps ErrConfigUnknown when
// settings are not known yet (during plan).
func (d *ProviderData) RegistryClient() (*client.Client, error) {
	if len(d.unknown) > 0 {
		// Not cached: a later Configure (at apply) brings a new ProviderData.
		return nil, fmt.Errorf("%w: %s will be known only after apply, so the registry cannot be reached during this plan",
			ErrConfigUnknown, quoteList(d.unknown))
	}
	d.clientOnce.Do(func() {
		d.client, d.clientErr = d.newRegistryClient()
	})
	return d.client, d.clientErr
}

// registryClientOr is how every resource, data source and ephemeral
// resource gets the registry client: the client, or nil after an error
// diagnostic under summary (e.g. "Cannot read registry_artifact") that says
// why there is none. unknownHint, when set, follows the error while the
// provider configuration is not known yet, with the caller's way out. d may
// be nil (the framework configured no provider).
func (d *ProviderData) registryClientOr(diags *diag.Diagnostics, summary, unknownHint string) *client.Client {
	if !d.configured(diags, summary) {
		return nil
	}
	c, err := d.RegistryClient()
	if err != nil {
		detail := capitalize(err.Error()) + "."
		if unknownHint != "" && errors.Is(err, ErrConfigUnknown) {
			detail += " " + unknownHint
		}
		diags.AddError(summary, detail)
		return nil
	}
	return c
}

// dataSourceUnknownHint is the way out for a data source while the provider
// configuration is unknown: data sources are read during plan and cannot
// keep a prior state, but depends_on defers the read to apply.
const dataSourceUnknownHint = "Add depends_on with the resource that provides these values to this data source, " +
	"so that Terraform reads it during apply, once the provider configuration is known."

// s3ClientOr is registryClientOr for the S3 client of the s3 block.
func (d *ProviderData) s3ClientOr(ctx context.Context, diags *diag.Diagnostics, summary string) *s3.Client {
	if !d.configured(diags, summary) {
		return nil
	}
	c, err := d.S3Client(ctx)
	if err != nil {
		diags.AddError(summary, capitalize(err.Error())+".")
		return nil
	}
	return c
}

// configured reports whether d is set, or adds an error under summary.
func (d *ProviderData) configured(diags *diag.Diagnostics, summary string) bool {
	if d == nil {
		diags.AddError(summary, "The provider has not been configured. This is a bug in the provider; please report it.")
		return false
	}
	return true
}

func (d *ProviderData) newRegistryClient() (*client.Client, error) {
	s := d.registry
	if s.Endpoint == "" {
		return nil, fmt.Errorf("the registry endpoint is not set: set the provider's \"endpoint\" attribute or the %s environment variable to the registry's base URL (e.g. https://registry.example.com)", envEndpoint)
	}
	// Half a username/password pair would fail later with a less helpful
	// message; ValidateConfig has caught it already unless a value was
	// unknown then.
	if _, err := credentialPairError(s.Username, s.Password, s.Token); err != nil {
		return nil, err
	}
	retries := s.Retries
	if retries == 0 {
		// The client reads 0 as "its default"; max_retries = 0 means none.
		retries = -1
	}
	c, err := client.New(client.Config{
		Endpoint:       s.Endpoint,
		Username:       s.Username,
		Password:       s.Password,
		IsAdmin:        s.IsAdmin,
		Token:          s.Token,
		RequestTimeout: s.Timeout,
		MaxRetries:     retries,
		RetryWaitMin:   s.RetryWaitMin,
		RetryWaitMax:   s.RetryWaitMax,
		UserAgent:      s.UserAgent,
		Transport:      s.Transport,
		Logger:         newClientLogger(append([]string{s.Password, s.Token, s.Transport.ClientKey}, slices.Collect(maps.Values(s.Transport.Headers))...)...),
	})
	if err != nil {
		if _, endpointErr := client.ParseEndpoint(s.Endpoint); endpointErr == nil {
			// Configure checked the TLS, header and proxy settings already;
			// this is a last resort.
			return nil, fmt.Errorf("invalid registry connection settings: %w", err)
		}
		return nil, fmt.Errorf("invalid registry endpoint (the provider's \"endpoint\" attribute or %s): %w", envEndpoint, err)
	}
	return c, nil
}

// describeError is err's text, with what to do when the registry refused
// the provider's authentication: it answers 401 to a wrong username or
// password, and 403 to a request without a token or with a token it does
// not accept (the client has then already authenticated again once, when it
// has a username and password).
func (d *ProviderData) describeError(err error) string {
	s := d.registry
	if te := client.AsTLSError(err); te != nil {
		return d.describeTLSError(err, te)
	}
	switch client.StatusCode(err) {
	case http.StatusUnauthorized:
		return fmt.Sprintf("%s. Check the provider's username and password (the \"username\" and \"password\" attributes, or %s and %s)",
			err, envUsername, envPassword)
	case http.StatusForbidden:
		var apiErr *client.APIError
		if errors.As(err, &apiErr) && apiErr.Message == "Forbidden" {
			// {"message": "Forbidden"} is what AWS API Gateway answers
			// before the registry sees the request, e.g. without the API key
			// of a usage plan.
			if len(s.Transport.Headers) == 0 {
				return fmt.Sprintf("%s. A bare \"Forbidden\" is how an API gateway in front of the registry (such as AWS API Gateway "+
					"with a usage plan) refuses a request without its API key: set it in the provider's \"headers\", e.g. "+
					"headers = { \"x-api-key\" = var.registry_api_key }", err)
			}
			return fmt.Sprintf("%s. A bare \"Forbidden\" is how an API gateway in front of the registry refuses a request: check the "+
				"names and values in the provider's \"headers\" (e.g. the x-api-key of the usage plan)", err)
		}
		switch {
		case !d.hasCredentials():
			return fmt.Sprintf("%s. The registry requires authentication, and the provider has no credentials: set the provider's "+
				"\"username\" and \"password\" attributes (or the %s and %s environment variables), or a ready \"token\" (or %s)",
				err, envUsername, envPassword, envToken)
		case s.Username == "":
			return fmt.Sprintf("%s. The registry refused the provider's token (the \"token\" attribute or %s), which may have expired: "+
				"set a new one, or set \"username\" and \"password\" (or %s and %s) so that the provider can authenticate itself",
				err, envToken, envUsername, envPassword)
		default:
			return fmt.Sprintf("%s. The registry refused the request with a fresh token of user %q: check that this user may do this "+
				"(the provider's \"is_admin\" setting, the user's permissions in the registry)", err, s.Username)
		}
	}
	if detail := client.UnroutedDetail(err); detail != "" {
		return capitalize(detail) + "; this registry does not offer this part of the API"
	}
	return err.Error()
}

// describeTLSError is err's text with what fixes the failed handshake.
func (d *ProviderData) describeTLSError(err error, te *client.TLSError) string {
	switch te.Problem {
	case client.TLSUnknownAuthority, client.TLSOther:
		if d.registry.Transport.CACertificate != "" {
			return fmt.Sprintf("%s. The provider's \"ca_certificate\" (or %s) is set but does not hold the CA that issued this certificate: "+
				"set it to that CA's certificate in PEM", err, envCACertificate)
		}
		return fmt.Sprintf("%s. If the registry uses a private or company CA, set the provider's \"ca_certificate\" (or the %s "+
			"environment variable) to that CA's certificate in PEM, e.g. ca_certificate = file(\"registry-ca.pem\")", err, envCACertificate)
	case client.TLSExpired:
		return fmt.Sprintf("%s. The registry's certificate must be renewed (or the clock of this machine corrected); "+
			"\"ca_certificate\" cannot fix this", err)
	case client.TLSWrongHost:
		return fmt.Sprintf("%s. Set the provider's \"endpoint\" (or %s) to a host name that the certificate names, or have the "+
			"certificate reissued for %q", err, envEndpoint, te.Host)
	case client.TLSClientCertificate:
		if te.ClientCertificateSent {
			return fmt.Sprintf("%s. Check the provider's \"client_certificate\" and \"client_key\" (or %s and %s): the registry "+
				"must trust the CA that issued the certificate", err, envClientCertificate, envClientKey)
		}
		return fmt.Sprintf("%s. Set the provider's \"client_certificate\" and \"client_key\" (or the %s and %s environment "+
			"variables) to the client certificate and key in PEM", err, envClientCertificate, envClientKey)
	}
	return err.Error()
}

// warnCredentialsUnused adds a warning, once per provider process, when
// the provider has a username and password but the registry answered 501
// to PUT /authenticate (it has no authentication), so that a user does not
// believe the credentials protect or identify anything.
func (d *ProviderData) warnCredentialsUnused(diags *diag.Diagnostics) {
	if d == nil || d.client == nil || !d.client.CredentialsUnused() || d.credentialsWarned.Swap(true) {
		return
	}
	diags.AddWarning("Registry credentials unused",
		fmt.Sprintf("The provider has the credentials of user %q, but the registry at %s answered 501 Not Implemented to "+
			"PUT /authenticate: it does not implement authentication, so the provider calls its API without a token and "+
			"the password is not used. Remove the username and password (or %s and %s) if this is expected; otherwise "+
			"check that the endpoint is the registry you mean.", d.registry.Username, d.registry.Endpoint, envUsername, envPassword))
}

// hasCredentials reports whether the provider has a token or a username to
// authenticate with.
func (d *ProviderData) hasCredentials() bool {
	return d.registry.Token != "" || d.registry.Username != ""
}

// S3Client returns the S3 client for the s3 block, built on first use.
func (d *ProviderData) S3Client(ctx context.Context) (*s3.Client, error) {
	if d.s3Unknown {
		return nil, fmt.Errorf("%w: the s3 block depends on values known only after apply", ErrConfigUnknown)
	}
	d.s3Mu.Lock()
	defer d.s3Mu.Unlock()
	// Not a sync.Once: a failure (e.g. an unreadable profile) is not cached
	// for the rest of the process.
	if d.s3Client != nil {
		return d.s3Client, nil
	}
	c, err := s3bucket.NewClient(ctx, d.s3Config)
	if err != nil {
		return nil, fmt.Errorf("configuring the S3 client (provider block s3): %w", err)
	}
	d.s3Client = c
	return c, nil
}

// S3Endpoint names the S3 endpoint for diagnostics: the s3 block's endpoint,
// else the SDK's AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, else
// "the default AWS S3 endpoint". It is never empty.
func (d *ProviderData) S3Endpoint() string {
	if d.s3Config.Endpoint != "" {
		return d.s3Config.Endpoint
	}
	for _, env := range []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"} {
		if v := os.Getenv(env); v != "" {
			return v
		}
	}
	return "the default AWS S3 endpoint"
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// providerDataFrom converts the ProviderData that the framework hands to
// Configure. It returns nil, without a diagnostic, before the provider is
// configured (the framework calls Configure during validation too).
func providerDataFrom(v any, diags *diag.Diagnostics) *ProviderData {
	if v == nil {
		return nil
	}
	data, ok := v.(*ProviderData)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *provider.ProviderData, got %T. This is a bug in the provider; please report it.", v))
		return nil
	}
	return data
}
