// Command terraform-provider-noio is the scale benchmark's floor: a
// framework provider whose noio_artifact has registry_artifact's schema
// but does no I/O. Create and Read only set state, so what it costs is what
// every framework provider pays for the plugin process, gRPC and state.
// It is its own module, not part of the product.
package main

import (
	"context"
	"fmt"
	"log"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func main() {
	err := providerserver.Serve(context.Background(), func() provider.Provider { return &noioProvider{} },
		providerserver.ServeOpts{Address: "registry.terraform.io/bench/noio"})
	if err != nil {
		log.Fatal(err)
	}
}

type noioProvider struct{}

func (p *noioProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "noio"
}

func (p *noioProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}

func (p *noioProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (p *noioProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{func() resource.Resource { return &artifact{} }}
}

func (p *noioProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }

type artifact struct{}

type artifactModel struct {
	ID            types.String   `tfsdk:"id"`
	Type          types.String   `tfsdk:"type"`
	URL           types.String   `tfsdk:"url"`
	Name          types.String   `tfsdk:"name"`
	DownloadURL   types.String   `tfsdk:"download_url"`
	AdoptExisting types.Bool     `tfsdk:"adopt_existing"`
	Timeouts      timeouts.Value `tfsdk:"timeouts"`
}

var seq atomic.Int64

func (r *artifact) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_artifact"
}

// Schema is registry_artifact's, attribute for attribute, with validators
// and plan modifiers of the same kinds.
func (r *artifact) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "registry_artifact's schema without I/O.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "A made-up id.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"type": schema.StringAttribute{
				MarkdownDescription: "model, dataset or code.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.OneOf("model", "dataset", "code")},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"url": schema.StringAttribute{
				MarkdownDescription: "The source url.",
				Required:            true,
				Validators:          []validator.String{httpURL{}},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "A made-up name.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"download_url": schema.StringAttribute{
				MarkdownDescription: "A made-up download url.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"adopt_existing": schema.BoolAttribute{
				MarkdownDescription: "Kept in state only.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Update: true}),
		},
	}
}

func (r *artifact) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m artifactModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := fmt.Sprintf("%s-%d-%d", m.Type.ValueString(), seq.Add(1), time.Now().Unix())
	m.ID, m.Name = types.StringValue(id), types.StringValue(id)
	m.DownloadURL = types.StringValue("http://127.0.0.1/download/" + id)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *artifact) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m artifactModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *artifact) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m artifactModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *artifact) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}

// httpURL checks what registry_artifact's url validator checks: an
// absolute http(s) URL with a host.
type httpURL struct{}

func (httpURL) Description(context.Context) string         { return "an absolute http(s) URL" }
func (httpURL) MarkdownDescription(context.Context) string { return "an absolute http(s) URL" }

func (httpURL) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	u, err := url.Parse(req.ConfigValue.ValueString())
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid URL", "not an absolute http(s) URL")
	}
}

func (r *artifact) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resource.ImportStatePassthroughID(ctx, path.Root("id"), req, resp)
}
