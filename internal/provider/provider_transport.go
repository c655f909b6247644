package provider

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
)

// configureTransport resolves the TLS, header and proxy settings into tc.
// Values from the configuration were checked by the validators when they
// were known at validation; all are checked here again, because a value
// that was unknown then, or one from an environment variable, was not. So a
// malformed PEM fails the plan, naming the argument or the variable.
func configureTransport(ctx context.Context, config registryProviderModel, tc *client.TransportConfig, unknown *[]string) diag.Diagnostics {
	var diags diag.Diagnostics

	type pemSetting struct {
		value  types.String
		env    string
		name   string
		target *string
		check  func(string) error
	}
	checkCerts := func(s string) error { _, err := client.ParseCertificates(s); return err }
	for _, s := range []pemSetting{
		{config.CACertificate, envCACertificate, "ca_certificate", &tc.CACertificate, checkCerts},
		{config.ClientCertificate, envClientCertificate, "client_certificate", &tc.ClientCertificate, checkCerts},
		{config.ClientKey, envClientKey, "client_key", &tc.ClientKey, client.CheckPrivateKey},
	} {
		*s.target = stringSetting(s.value, s.env, s.name, unknown)
		if *s.target == "" {
			continue
		}
		if err := s.check(*s.target); err != nil {
			diags.AddAttributeError(path.Root(s.name), "Invalid "+s.name,
				fmt.Sprintf("The %s is not valid PEM (%s): %s.", s.name, settingSource(s.value, s.env), err))
		}
	}
	if diags.HasError() {
		return diags
	}
	if !config.ClientCertificate.IsUnknown() && !config.ClientKey.IsUnknown() {
		pair := clientCertificatePair(config, tc.ClientCertificate, tc.ClientKey)
		diags.Append(pair...)
		if !pair.HasError() && tc.ClientCertificate != "" {
			if _, err := client.ParseKeyPair(tc.ClientCertificate, tc.ClientKey); err != nil {
				diags.AddAttributeError(path.Root("client_key"), "Invalid client_key",
					fmt.Sprintf("%s: check that client_key (%s) is the key of client_certificate (%s).", err,
						settingSource(config.ClientKey, envClientKey), settingSource(config.ClientCertificate, envClientCertificate)))
			}
		}
	}

	switch {
	case config.Insecure.IsUnknown():
		*unknown = append(*unknown, "insecure")
	case !config.Insecure.IsNull():
		tc.Insecure = config.Insecure.ValueBool()
	case os.Getenv(envInsecure) != "":
		v, err := strconv.ParseBool(os.Getenv(envInsecure))
		if err != nil {
			diags.AddAttributeError(path.Root("insecure"), "Invalid "+envInsecure,
				fmt.Sprintf("The %s environment variable is %q; set it to true or false.", envInsecure, os.Getenv(envInsecure)))
		}
		tc.Insecure = v
	}
	if tc.Insecure {
		diags.AddAttributeWarning(path.Root("insecure"), "TLS certificate verification is off",
			fmt.Sprintf("The provider does not verify the registry's TLS certificate (%s), so anyone on the network path can "+
				"impersonate the registry and read the credentials and API traffic. Set \"ca_certificate\" (or %s) to the "+
				"registry's CA instead, and remove \"insecure\".", settingSource(config.Insecure, envInsecure), envCACertificate))
	}

	switch {
	case config.Headers.IsUnknown():
		*unknown = append(*unknown, "headers")
	case !config.Headers.IsNull():
		var headers map[string]types.String
		diags.Append(config.Headers.ElementsAs(ctx, &headers, false)...)
		tc.Headers = map[string]string{}
		for name, v := range headers {
			if v.IsUnknown() {
				*unknown = append(*unknown, "headers")
				break
			}
			if err := client.CheckHeader(name, v.ValueString()); err != nil {
				diags.AddAttributeError(path.Root("headers").AtMapKey(name), "Invalid header", err.Error()+".")
			}
			tc.Headers[name] = v.ValueString()
		}
	}

	switch {
	case config.ProxyURL.IsUnknown():
		*unknown = append(*unknown, "proxy_url")
	case !config.ProxyURL.IsNull():
		if _, err := client.ParseProxyURL(config.ProxyURL.ValueString()); err != nil {
			diags.AddAttributeError(path.Root("proxy_url"), "Invalid proxy_url", err.Error()+".")
		}
		tc.ProxyURL = config.ProxyURL.ValueString()
	}
	return diags
}

// settingSource says where a setting came from, for diagnostics.
func settingSource(v attrValue, env string) string {
	if v.IsNull() {
		return "from the " + env + " environment variable"
	}
	return "from the provider configuration"
}

type attrValue interface{ IsNull() bool }
