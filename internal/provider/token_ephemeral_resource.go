package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

var _ ephemeral.EphemeralResourceWithConfigure = (*TokenEphemeralResource)(nil)

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
			"and connection blocks, and write-only attributes.",
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
	if r.data == nil {
		resp.Diagnostics.AddError("Cannot open registry_token", "The provider has not been configured. This is a bug in the provider; please report it.")
		return
	}
	c, err := r.data.RegistryClient()
	if errors.Is(err, ErrConfigUnknown) {
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
	if err != nil {
		resp.Diagnostics.AddError("Cannot open registry_token", err.Error())
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
	token, err := c.Token(ctx)
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
}
