package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

var (
	_ ephemeral.EphemeralResourceWithConfigure = (*TokenEphemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithRenew     = (*TokenEphemeralResource)(nil)
)

// minTokenLife is how long a token that Open hands out lives at least
// (half the registry's token lifetime when that is shorter): a token that
// the provider holds and that expires sooner is replaced first.
const minTokenLife = 5 * time.Minute

// privateExpiry is the private state key of the token's expiry, for Renew.
const privateExpiry = "expires_at"

// NewTokenEphemeralResource returns the ephemeral resource registry_token.
func NewTokenEphemeralResource() ephemeral.EphemeralResource {
	return &TokenEphemeralResource{}
}

// TokenEphemeralResource hands the provider's registry token to other
// providers and scripts. It is ephemeral so that Terraform never writes the
// token to a plan or state file.
type TokenEphemeralResource struct {
	data *ProviderData
}

type tokenEphemeralResourceModel struct {
	Token types.String `tfsdk:"token"`
}

func (r *TokenEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_token"
}

func (r *TokenEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "An access token of the registry, obtained with the provider's credentials " +
			"(`PUT /authenticate` with `username` and `password`, or the provider's ready `token`), " +
			"for other providers, provisioners or scripts that call the registry API. " +
			"As an ephemeral resource (Terraform 1.10 or newer) it is never stored in a plan or state file; " +
			"it can be referenced only where ephemeral values are allowed: provider configurations, other " +
			"ephemeral resources, `locals`, ephemeral variables and outputs of child modules, provisioner " +
			"and connection blocks, and write-only attributes.\n\n" +
			"When the token says when it expires (a JWT's `exp` claim, or the `exp_ns` of this project's registry), " +
			"the token handed out lives at least " + fmt.Sprintf("%g", minTokenLife.Minutes()) + " minutes, or half the " +
			"registry's token lifetime when that is shorter (the provider authenticates again first when the token it " +
			"holds expires sooner), and Terraform is asked to renew the " +
			"resource shortly before the expiry. The registry API cannot extend a token, and Terraform keeps an ephemeral " +
			"value for the whole run, so the renewal warns that the token is about to expire: an operation that outlives " +
			"the token leaves what it was handed to with a refused token.",
		Attributes: map[string]schema.Attribute{
			"token": schema.StringAttribute{
				MarkdownDescription: "The token the provider uses: as `PUT /authenticate` returned it (for example " +
					"`bearer eyJhbGci...`), or the provider's `token` when that is set. Send it as it is in the " +
					"`X-Authorization` header of API requests. " +
					"`null` when the registry does not implement authentication (`/authenticate` answers 501); " +
					"its API is then used without a token.",
				Computed:  true,
				Sensitive: true,
			},
		},
	}
}

func (r *TokenEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	// ProviderData is nil until the provider has been configured (e.g. during
	// validation).
	if req.ProviderData == nil {
		return
	}
	data, ok := req.ProviderData.(*ProviderData)
	if !ok {
		resp.Diagnostics.AddError(
			"Unexpected provider data",
			fmt.Sprintf("Expected *provider.ProviderData, got %T. This is a bug in the provider; please report it.", req.ProviderData),
		)
		return
	}
	r.data = data
}

func (r *TokenEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	if !r.data.configured(&resp.Diagnostics, "Cannot open registry_token") {
		return
	}
	if _, err := r.data.RegistryClient(); errors.Is(err, ErrConfigUnknown) {
		// The provider's settings depend on resources not applied yet. The
		// protocol allows no unknown value in an opened result (OpenTofu
		// rejects one as a provider bug): defer where the CLI allows it,
		// else say what to do.
		if req.ClientCapabilities.DeferralAllowed {
			tflog.Debug(ctx, "registry_token: provider configuration unknown, opening deferred")
			resp.Deferred = &ephemeral.Deferred{Reason: ephemeral.DeferredReasonProviderConfigUnknown}
			return
		}
		resp.Diagnostics.AddError("Cannot open registry_token during this plan",
			fmt.Sprintf("No registry token can be obtained yet: %s. Apply the resources that the provider configuration "+
				"depends on first (for example with -target), or set the provider's endpoint and credentials to values "+
				"known before apply.", err))
		return
	}
	c := r.data.registryClientOr(&resp.Diagnostics, "Cannot open registry_token", "")
	if c == nil {
		return
	}
	if !r.data.hasCredentials() {
		// Without credentials there is nothing to exchange for a token; a
		// null token would fail later, far from the cause.
		resp.Diagnostics.AddError("Cannot open registry_token",
			fmt.Sprintf("The provider has no credentials to obtain a token with: set the provider's \"username\" and \"password\" "+
				"attributes (or the %s and %s environment variables), or a ready \"token\" (or %s).", envUsername, envPassword, envToken))
		return
	}
	token, expiry, err := c.TokenValidFor(ctx, minTokenLife)
	if err != nil {
		resp.Diagnostics.AddError(
			"Cannot obtain a registry token",
			fmt.Sprintf("The registry did not issue a token: %s. Check the provider's endpoint and credentials "+
				"(username and password, or token).", r.data.describeError(err)),
		)
		return
	}
	r.data.warnCredentialsUnused(&resp.Diagnostics)
	model := tokenEphemeralResourceModel{Token: types.StringNull()}
	if token != "" {
		model.Token = types.StringValue(token)
	}
	resp.Diagnostics.Append(resp.Result.Set(ctx, &model)...)
	if !expiry.IsZero() {
		resp.RenewAt = renewAt(expiry, time.Now())
		b, err := json.Marshal(expiry.Format(time.RFC3339Nano))
		if err == nil {
			resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateExpiry, b)...)
		}
	}
}

// renewAt is shortly before expiry: a tenth of the remaining life, at most
// a minute, for the latency of the calls made with the token.
func renewAt(expiry, now time.Time) time.Time {
	return expiry.Add(-min(time.Minute, expiry.Sub(now)/10))
}

// Renew runs when the token is about to expire while Terraform still uses
// it. A registry token cannot be extended, and the protocol keeps the value
// that Open returned, so Renew says when the token expires and what to do.
func (r *TokenEphemeralResource) Renew(ctx context.Context, req ephemeral.RenewRequest, resp *ephemeral.RenewResponse) {
	b, diags := req.Private.GetKey(ctx, privateExpiry)
	resp.Diagnostics.Append(diags...)
	var raw string
	if len(b) == 0 || json.Unmarshal(b, &raw) != nil {
		return
	}
	expiry, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return
	}
	resp.Diagnostics.AddWarning("Registry token about to expire",
		fmt.Sprintf("The registry token that registry_token handed out expires at %s (in %s), while this Terraform run still "+
			"uses it. The registry API cannot extend a token, and Terraform keeps an ephemeral value for the whole run, so "+
			"providers, provisioners or scripts given this token are refused after that time. Split the run into shorter "+
			"ones, or ask the registry's operators for a longer token lifetime (TOKEN_TTL of this project's registry server).",
			expiry.UTC().Format(time.RFC3339), time.Until(expiry).Round(time.Second)))
}
