package provider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// readDataSource runs ds's Read, without terraform, against a registry that
// handler serves (the provider holds a ready token, so /authenticate is not
// involved). attrs are the configured attributes; the others are null.
func readDataSource(t *testing.T, ds datasource.DataSource, handler http.HandlerFunc, attrs map[string]tftypes.Value) (tfsdk.State, diag.Diagnostics) {
	t.Helper()
	ctx := context.Background()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)

	var sresp datasource.SchemaResponse
	ds.Schema(ctx, datasource.SchemaRequest{}, &sresp)
	if sresp.Diagnostics.HasError() {
		t.Fatalf("schema: %v", sresp.Diagnostics)
	}
	if diags := sresp.Schema.ValidateImplementation(ctx); diags.HasError() {
		t.Fatalf("schema implementation: %v", diags)
	}
	var cresp datasource.ConfigureResponse
	ds.(datasource.DataSourceWithConfigure).Configure(ctx, datasource.ConfigureRequest{
		ProviderData: &ProviderData{registry: registrySettings{Endpoint: srv.URL, Token: "bearer test-token", Timeout: 5 * time.Second}},
	}, &cresp)
	if cresp.Diagnostics.HasError() {
		t.Fatalf("configure: %v", cresp.Diagnostics)
	}

	objType, raw := objectWith(t, sresp.Schema.Type().TerraformType(ctx), attrs)
	config := tfsdk.Config{Schema: sresp.Schema, Raw: raw}
	resp := datasource.ReadResponse{State: tfsdk.State{Schema: sresp.Schema, Raw: tftypes.NewValue(objType, nil)}}
	ds.Read(ctx, datasource.ReadRequest{Config: config}, &resp)
	return resp.State, resp.Diagnostics
}

// objectWith is a value of a schema's object type with attrs set and every
// other attribute null, as Terraform sends a configuration.
func objectWith(t *testing.T, schemaType tftypes.Type, attrs map[string]tftypes.Value) (tftypes.Object, tftypes.Value) {
	t.Helper()
	objType, ok := schemaType.(tftypes.Object)
	if !ok {
		t.Fatal("the schema's type is not an object")
	}
	vals := map[string]tftypes.Value{}
	for name, typ := range objType.AttributeTypes {
		vals[name] = tftypes.NewValue(typ, nil)
		if v, ok := attrs[name]; ok {
			vals[name] = v
		}
	}
	return objType, tftypes.NewValue(objType, vals)
}

// answer serves one method and path with status and a JSON body; any other
// request is a test failure.
func answer(t *testing.T, method, path string, status int, body string) http.HandlerFunc {
	t.Helper()
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method || r.URL.EscapedPath() != path {
			t.Errorf("unexpected request %s %s, want %s %s", r.Method, r.URL.EscapedPath(), method, path)
			http.Error(w, "unexpected", http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}
