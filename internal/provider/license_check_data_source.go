package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
)

var _ datasource.DataSourceWithConfigure = (*LicenseCheckDataSource)(nil)

// NewLicenseCheckDataSource returns the data source registry_license_check.
func NewLicenseCheckDataSource() datasource.DataSource {
	return &LicenseCheckDataSource{trustDataSource{call: licenseCheckCall}}
}

// LicenseCheckDataSource asks the registry whether a model's license is
// compatible with a GitHub project's (POST
// /artifact/model/{id}/license-check).
type LicenseCheckDataSource struct{ trustDataSource }

type licenseCheckDataSourceModel struct {
	ID         types.String `tfsdk:"id"`
	GitHubURL  types.String `tfsdk:"github_url"`
	Compatible types.Bool   `tfsdk:"compatible"`
}

var licenseCheckCall = trustCall{
	typeName:        "registry_license_check",
	endpoint:        "POST /artifact/model/{id}/license-check",
	baseline:        true,
	what:            "license compatibility",
	badRequest:      "The registry considers the request malformed: check that github_url is a GitHub repository URL such as https://github.com/google-research/bert.",
	notFound:        "The registry has no model with this id, or the GitHub project does not exist; the registry's message above says which.",
	notFoundSummary: "Model or GitHub project not found",
}

func (d *LicenseCheckDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Asks the registry whether a model's license is compatible with a GitHub project's license " +
			"for fine-tuning and inference (`POST /artifact/model/{id}/license-check`). The registry reads the GitHub " +
			"project's license itself: when it cannot reach GitHub (502) the read fails instead of guessing.",
		Attributes: map[string]schema.Attribute{
			"id": trustIDAttribute("The model's artifact id"),
			"github_url": schema.StringAttribute{
				MarkdownDescription: "The GitHub repository to check against, e.g. `https://github.com/google-research/bert`.",
				Required:            true,
				Validators:          []validator.String{httpURL("https://github.com/google-research/bert")},
			},
			"compatible": schema.BoolAttribute{
				MarkdownDescription: "Whether the registry found the model's license compatible with the GitHub " +
					"project's license for fine-tuning and inference.",
				Computed: true,
			},
		},
	}
}

func (d *LicenseCheckDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	readTrust(ctx, &d.trustDataSource, req, resp, func(ctx context.Context, c *client.Client, m *licenseCheckDataSourceModel) (string, error) {
		id, githubURL := m.ID.ValueString(), m.GitHubURL.ValueString()
		ok, err := c.LicenseCheck(ctx, id, githubURL)
		m.Compatible = types.BoolValue(ok)
		return fmt.Sprintf("the model with id %q and the GitHub project %q", id, githubURL), err
	})
}
