package provider

import (
	"context"
	"errors"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
)

// trustDataSource is what the five trust data sources (registry_model_rating,
// registry_artifact_cost, registry_model_lineage, registry_license_check and
// registry_artifact_audit) share: the provider's data, the endpoint they
// read, their Metadata and Configure, and one read path (readTrust). Each
// keeps its own schema, model and mapping.
type trustDataSource struct {
	data *ProviderData
	call trustCall
}

func (d *trustDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + strings.TrimPrefix(d.call.typeName, "registry")
}

func (d *trustDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// readTrust is the Read of a trust data source: it reads the configuration
// into an M, lets fetch call the registry and set the M's computed
// attributes, and saves the M as the state. A failed call is explained per
// the endpoint's statuses (trustReadDiagnostic); fetch names what it read
// (e.g. `the model with id "42"`) for that.
func readTrust[M any](ctx context.Context, d *trustDataSource, req datasource.ReadRequest, resp *datasource.ReadResponse,
	fetch func(ctx context.Context, c *client.Client, m *M) (subject string, err error)) {
	var m M
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c := d.data.registryClientOr(&resp.Diagnostics, "Cannot read "+d.call.typeName, dataSourceUnknownHint)
	if c == nil {
		return
	}
	if subject, err := fetch(ctx, c, &m); err != nil {
		var unexpected *unexpectedAnswerError
		if errors.As(err, &unexpected) {
			resp.Diagnostics.AddError("Unexpected registry answer", unexpected.Error())
		} else {
			resp.Diagnostics.Append(trustReadDiagnostic(d.data, d.call, subject, err))
		}
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// trustTypeAttribute is the configuration's artifact type.
func trustTypeAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: "The artifact's type: " + artifactTypesMarkdown("or") + ".",
		Required:            true,
		Validators:          []validator.String{artifactType()},
	}
}

// trustIDAttribute is the configuration's artifact id; whose says whose
// ("The model's artifact id").
func trustIDAttribute(whose string) schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: whose + ", e.g. `registry_artifact.bert.id`.",
		Required:            true,
		Validators:          []validator.String{artifactID()},
	}
}

// What the 400 and 404 of an endpoint that reads an artifact by type and id
// mean (trustCall.badRequest and notFound).
const (
	typeIDBadRequest = "The registry considers the artifact type or id malformed or invalid; check both (use registry_artifact.<name>.type and .id)."
	typeIDNotFound   = "The registry has no artifact of this type with this id."
)

// unexpectedAnswerError is an answer of the registry that breaks the spec
// in a way the data source cannot read around; its text says so in full.
type unexpectedAnswerError struct{ msg string }

func (e *unexpectedAnswerError) Error() string { return e.msg }
