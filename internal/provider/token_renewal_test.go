package provider

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
)

// registry_token asks to be renewed shortly before the token it hands out
// expires, and the renewal warns with the expiry; a token the provider
// holds that would expire within minTokenLife is replaced before it is
// handed out. Through the provider's protocol server, as Terraform calls it.
func TestAccTokenEphemeralResource_renewAt(t *testing.T) {
	for _, tc := range []struct {
		name string
		ttl  time.Duration
		// age is how old the registry's first token is when it is issued:
		// the provider holds a token that expires soon.
		age   time.Duration
		auths int64
	}{
		{"token longer than the minimum life", 10 * time.Minute, 0, 1},
		{"token shorter than the minimum life", 2 * time.Minute, 0, 1},
		{"held token about to expire is replaced", 10 * time.Minute, 9*time.Minute + 30*time.Second, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				auths atomic.Int64
				age   atomic.Int64
			)
			age.Store(int64(tc.age))
			reg := startInProcessServer(t, server.Config{
				TokenTTL: tc.ttl,
				Now:      func() time.Time { return time.Now().Add(-time.Duration(age.Load())) },
			}, func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					next.ServeHTTP(w, r)
					if r.URL.Path == "/authenticate" {
						auths.Add(1)
						age.Store(0) // later tokens are issued now
					}
				})
			})
			ctx := context.Background()
			srv := configuredProviderServer(t, map[string]tftypes.Value{
				"endpoint": tftypes.NewValue(tftypes.String, reg.URL),
				"username": tftypes.NewValue(tftypes.String, inProcessUser),
				"password": tftypes.NewValue(tftypes.String, inProcessPassword),
			})
			tokenType := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"token": tftypes.String}}
			config, err := tfprotov6.NewDynamicValue(tokenType, tftypes.NewValue(tokenType, map[string]tftypes.Value{"token": tftypes.NewValue(tftypes.String, nil)}))
			if err != nil {
				t.Fatal(err)
			}
			opened := time.Now()
			open, err := srv.OpenEphemeralResource(ctx, &tfprotov6.OpenEphemeralResourceRequest{TypeName: "registry_token", Config: &config})
			if err != nil || len(open.Diagnostics) > 0 {
				t.Fatalf("Open: %v %v", err, diagnosticsText(open.Diagnostics))
			}
			token := openedToken(t, open)
			_, expiry, ok := client.TokenExpiry(token)
			if !ok {
				t.Fatalf("the registry's token %q carries no expiry", token)
			}
			if life := expiry.Sub(opened); life < tc.ttl-5*time.Second || life > tc.ttl+5*time.Second {
				t.Errorf("the token handed out lives %s, want the registry's %s", life, tc.ttl)
			}
			if n := auths.Load(); n != tc.auths {
				t.Errorf("the provider authenticated %d times, want %d", n, tc.auths)
			}
			want := expiry.Add(-min(time.Minute, tc.ttl/10))
			if d := open.RenewAt.Sub(want); d < -5*time.Second || d > 5*time.Second {
				t.Errorf("RenewAt = %s, want about %s (expiry %s)", open.RenewAt, want, expiry)
			}
			renew, err := srv.RenewEphemeralResource(ctx, &tfprotov6.RenewEphemeralResourceRequest{TypeName: "registry_token", Private: open.Private})
			if err != nil {
				t.Fatal(err)
			}
			text := diagnosticsText(renew.Diagnostics)
			if len(renew.Diagnostics) != 1 || renew.Diagnostics[0].Severity != tfprotov6.DiagnosticSeverityWarning ||
				!strings.Contains(text, "Registry token about to expire") || !strings.Contains(text, expiry.UTC().Format(time.RFC3339)) ||
				!strings.Contains(text, "TOKEN_TTL") || strings.Contains(text, token) {
				t.Errorf("Renew diagnostics: %s; want one warning with the expiry and what to do, without the token", text)
			}
			if !renew.RenewAt.IsZero() {
				t.Errorf("Renew asks for another renewal at %s; a token cannot be extended", renew.RenewAt)
			}
		})
	}
}

// configuredProviderServer is the provider's protocol server, configured
// with attrs (the other provider attributes null).
func configuredProviderServer(t *testing.T, attrs map[string]tftypes.Value) tfprotov6.ProviderServer {
	t.Helper()
	ctx := context.Background()
	srv := testAccProtoV6Server(t)
	schema, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	typ, ok := schema.Provider.ValueType().(tftypes.Object)
	if !ok {
		t.Fatalf("provider schema type %T", schema.Provider.ValueType())
	}
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(at, nil)
	}
	for name, v := range attrs {
		vals[name] = v
	}
	config, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, vals))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.15.0", Config: &config})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("ConfigureProvider: %v %s", err, diagnosticsText(resp.Diagnostics))
	}
	return srv
}

func openedToken(t *testing.T, open *tfprotov6.OpenEphemeralResourceResponse) string {
	t.Helper()
	typ := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"token": tftypes.String}}
	v, err := open.Result.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]tftypes.Value
	var token string
	if err := v.As(&obj); err != nil {
		t.Fatal(err)
	}
	if err := obj["token"].As(&token); err != nil {
		t.Fatal(err)
	}
	return token
}

func diagnosticsText(diags []*tfprotov6.Diagnostic) string {
	var parts []string
	for _, d := range diags {
		parts = append(parts, d.Summary+": "+d.Detail)
	}
	return strings.Join(parts, "; ")
}
