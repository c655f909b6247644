package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
)

var _ provider.ProviderWithValidateConfig = (*RegistryProvider)(nil)

// ValidateConfig checks the settings that only make sense in pairs
// (username and password, client_certificate and client_key) when
// Terraform validates the configuration, before the plan, so that half a
// pair fails `terraform validate` and `terraform plan` rather than the
// first apply that calls the registry. A half given by its environment
// variable counts; unknown values are checked by Configure once known.
func (p *RegistryProvider) ValidateConfig(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var config registryProviderModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var unknown []string
	username, password, token := credentialSettings(config, &unknown)
	if len(unknown) == 0 {
		if attr, err := credentialPairError(username, password, token); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root(attr), "Incomplete registry credentials", capitalize(err.Error())+".")
		}
	}
	cert := stringSetting(config.ClientCertificate, envClientCertificate, "client_certificate", &unknown)
	key := stringSetting(config.ClientKey, envClientKey, "client_key", &unknown)
	if !config.ClientCertificate.IsUnknown() && !config.ClientKey.IsUnknown() {
		resp.Diagnostics.Append(clientCertificatePair(config, cert, key)...)
	}
	resp.Diagnostics.Append(retryWaitOrder(config)...)
}

// retryWaitOrder reports a retry_wait_min above retry_wait_max (either
// one's default counts; a value that does not parse has its own error).
func retryWaitOrder(config registryProviderModel) diag.Diagnostics {
	var diags diag.Diagnostics
	if config.RetryWaitMin.IsUnknown() || config.RetryWaitMax.IsUnknown() {
		return diags
	}
	waitMin, waitMax := client.DefaultRetryWaitMin, client.DefaultRetryWaitMax
	var unknown []string
	durationSetting(config.RetryWaitMin, "retry_wait_min", &waitMin, &unknown, &diags)
	durationSetting(config.RetryWaitMax, "retry_wait_max", &waitMax, &unknown, &diags)
	if !diags.HasError() && waitMin > waitMax {
		attr := "retry_wait_min"
		if config.RetryWaitMin.IsNull() {
			attr = "retry_wait_max"
		}
		diags.AddAttributeError(path.Root(attr), "Retry waits out of order",
			fmt.Sprintf("retry_wait_min (%s) is above retry_wait_max (%s): the waits grow from the first to the second, so raise retry_wait_max or lower retry_wait_min.", waitMin, waitMax))
	}
	return diags
}

// credentialSettings resolves username, password and token from the
// configuration and the environment. What the configuration says wins: a
// token from REGISTRY_TOKEN is ignored when the configuration sets a
// username or password.
func credentialSettings(config registryProviderModel, unknown *[]string) (username, password, token string) {
	username = stringSetting(config.Username, envUsername, "username", unknown)
	password = stringSetting(config.Password, envPassword, "password", unknown)
	token = stringSetting(config.Token, envToken, "token", unknown)
	if config.Token.IsNull() && (!config.Username.IsNull() || !config.Password.IsNull()) {
		token = ""
	}
	return username, password, token
}

// credentialPairError reports half a username/password pair without a
// token, and the attribute that is missing. No credentials at all is valid:
// a registry without authentication needs none.
func credentialPairError(username, password, token string) (missing string, err error) {
	if token != "" {
		return "", nil
	}
	switch {
	case username != "" && password == "":
		return "password", fmt.Errorf("the registry password for user %q is not set: set the provider's \"password\" attribute or the %s environment variable (or use a ready \"token\" / %s instead)", username, envPassword, envToken)
	case username == "" && password != "":
		return "username", fmt.Errorf("a registry password is set but no username: set the provider's \"username\" attribute or the %s environment variable (or use a ready \"token\" / %s instead)", envUsername, envToken)
	}
	return "", nil
}

// clientCertificatePair reports a client certificate without its key or a
// key without its certificate (cert and key resolved from the configuration
// and the environment).
func clientCertificatePair(config registryProviderModel, cert, key string) diag.Diagnostics {
	var diags diag.Diagnostics
	switch {
	case cert != "" && key == "":
		diags.AddAttributeError(path.Root("client_key"), "Missing client_key",
			fmt.Sprintf("client_certificate is set (%s) but its private key is not: set the provider's \"client_key\" attribute or the %s environment variable, or remove the certificate.",
				settingSource(config.ClientCertificate, envClientCertificate), envClientKey))
	case cert == "" && key != "":
		diags.AddAttributeError(path.Root("client_certificate"), "Missing client_certificate",
			fmt.Sprintf("client_key is set (%s) but its certificate is not: set the provider's \"client_certificate\" attribute or the %s environment variable, or remove the key.",
				settingSource(config.ClientKey, envClientKey), envClientCertificate))
	}
	return diags
}
