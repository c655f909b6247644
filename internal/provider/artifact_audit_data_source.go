package provider

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

var _ datasource.DataSourceWithConfigure = (*ArtifactAuditDataSource)(nil)

// NewArtifactAuditDataSource returns the data source registry_artifact_audit.
func NewArtifactAuditDataSource() datasource.DataSource {
	return &ArtifactAuditDataSource{trustDataSource{call: artifactAuditCall}}
}

// ArtifactAuditDataSource reads an artifact's audit trail (GET
// /artifact/{type}/{id}/audit).
type ArtifactAuditDataSource struct{ trustDataSource }

type artifactAuditDataSourceModel struct {
	Type    types.String      `tfsdk:"type"`
	ID      types.String      `tfsdk:"id"`
	Entries []auditEntryModel `tfsdk:"entries"`
}

type auditEntryModel struct {
	UserName    types.String `tfsdk:"user_name"`
	UserIsAdmin types.Bool   `tfsdk:"user_is_admin"`
	Date        types.String `tfsdk:"date"`
	Action      types.String `tfsdk:"action"`
}

var artifactAuditCall = trustCall{
	typeName:   "registry_artifact_audit",
	endpoint:   "GET /artifact/{artifact_type}/{id}/audit",
	baseline:   false,
	what:       "audit trail",
	badRequest: typeIDBadRequest,
	notFound:   typeIDNotFound,
}

func (d *ArtifactAuditDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads an artifact's audit trail (`GET /artifact/{artifact_type}/{id}/audit`): who " +
			"created, updated, downloaded, rated or audited it, and when, oldest first. The endpoint is NON-BASELINE " +
			"in the registry API, so a registry may not offer it; the error then says so.",
		Attributes: map[string]schema.Attribute{
			"type": trustTypeAttribute(),
			"id":   trustIDAttribute("The artifact's id"),
			"entries": schema.ListNestedAttribute{
				MarkdownDescription: "The audit entries, newest last (ordered by `date`; entries with the same date keep " +
					"the registry's order).",
				Computed: true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"user_name": schema.StringAttribute{
							MarkdownDescription: "The name of the user who acted.",
							Computed:            true,
						},
						"user_is_admin": schema.BoolAttribute{
							MarkdownDescription: "Whether that user is an administrator.",
							Computed:            true,
						},
						"date": schema.StringAttribute{
							MarkdownDescription: "When, as the registry wrote it: an ISO 8601 date-time in UTC, e.g. `2023-03-23T23:11:15Z`.",
							Computed:            true,
						},
						"action": schema.StringAttribute{
							MarkdownDescription: "What was done: `CREATE`, `UPDATE`, `DOWNLOAD`, `RATE` or `AUDIT`.",
							Computed:            true,
						},
					},
				},
			},
		},
	}
}

func (d *ArtifactAuditDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	readTrust(ctx, &d.trustDataSource, req, resp, func(ctx context.Context, c *client.Client, m *artifactAuditDataSourceModel) (string, error) {
		typ, id := m.Type.ValueString(), m.ID.ValueString()
		subject := fmt.Sprintf("the %s with id %q", typ, id)
		entries, err := c.ArtifactAudit(ctx, typ, id)
		if err != nil {
			return subject, err
		}
		sortAuditEntries(entries)
		m.Entries = make([]auditEntryModel, len(entries))
		for i, e := range entries {
			m.Entries[i] = auditEntryModel{
				UserName:    types.StringValue(e.User.Name),
				UserIsAdmin: types.BoolValue(e.User.IsAdmin),
				Date:        types.StringValue(e.Date),
				Action:      types.StringValue(e.Action),
			}
		}
		return subject, nil
	})
}

// sortAuditEntries orders entries by date, oldest first, whatever order the
// registry answers in; entries of the same date keep the registry's order.
// When a date is not RFC 3339, the registry's order is kept as it is.
func sortAuditEntries(entries []wire.ArtifactAuditEntry) {
	dates := make(map[string]time.Time, len(entries))
	for _, e := range entries {
		t, err := time.Parse(time.RFC3339Nano, e.Date)
		if err != nil {
			return
		}
		dates[e.Date] = t
	}
	slices.SortStableFunc(entries, func(a, b wire.ArtifactAuditEntry) int {
		return dates[a.Date].Compare(dates[b.Date])
	})
}
