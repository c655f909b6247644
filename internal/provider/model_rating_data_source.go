package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ datasource.DataSourceWithConfigure = (*ModelRatingDataSource)(nil)

// NewModelRatingDataSource returns the data source registry_model_rating.
func NewModelRatingDataSource() datasource.DataSource {
	return &ModelRatingDataSource{}
}

// ModelRatingDataSource reads a model's rating (GET
// /artifact/model/{id}/rate).
type ModelRatingDataSource struct {
	data *ProviderData
}

type modelRatingDataSourceModel struct {
	ID                         types.String    `tfsdk:"id"`
	Name                       types.String    `tfsdk:"name"`
	Category                   types.String    `tfsdk:"category"`
	NetScore                   types.Float64   `tfsdk:"net_score"`
	NetScoreLatency            types.Float64   `tfsdk:"net_score_latency"`
	RampUpTime                 types.Float64   `tfsdk:"ramp_up_time"`
	RampUpTimeLatency          types.Float64   `tfsdk:"ramp_up_time_latency"`
	BusFactor                  types.Float64   `tfsdk:"bus_factor"`
	BusFactorLatency           types.Float64   `tfsdk:"bus_factor_latency"`
	PerformanceClaims          types.Float64   `tfsdk:"performance_claims"`
	PerformanceClaimsLatency   types.Float64   `tfsdk:"performance_claims_latency"`
	License                    types.Float64   `tfsdk:"license"`
	LicenseLatency             types.Float64   `tfsdk:"license_latency"`
	DatasetAndCodeScore        types.Float64   `tfsdk:"dataset_and_code_score"`
	DatasetAndCodeScoreLatency types.Float64   `tfsdk:"dataset_and_code_score_latency"`
	DatasetQuality             types.Float64   `tfsdk:"dataset_quality"`
	DatasetQualityLatency      types.Float64   `tfsdk:"dataset_quality_latency"`
	CodeQuality                types.Float64   `tfsdk:"code_quality"`
	CodeQualityLatency         types.Float64   `tfsdk:"code_quality_latency"`
	Reproducibility            types.Float64   `tfsdk:"reproducibility"`
	ReproducibilityLatency     types.Float64   `tfsdk:"reproducibility_latency"`
	Reviewedness               types.Float64   `tfsdk:"reviewedness"`
	ReviewednessLatency        types.Float64   `tfsdk:"reviewedness_latency"`
	TreeScore                  types.Float64   `tfsdk:"tree_score"`
	TreeScoreLatency           types.Float64   `tfsdk:"tree_score_latency"`
	SizeScore                  *sizeScoreModel `tfsdk:"size_score"`
	SizeScoreLatency           types.Float64   `tfsdk:"size_score_latency"`
}

type sizeScoreModel struct {
	RaspberryPi types.Float64 `tfsdk:"raspberry_pi"`
	JetsonNano  types.Float64 `tfsdk:"jetson_nano"`
	DesktopPC   types.Float64 `tfsdk:"desktop_pc"`
	AWSServer   types.Float64 `tfsdk:"aws_server"`
}

var modelRatingCall = trustCall{
	typeName:   "registry_model_rating",
	endpoint:   "GET /artifact/model/{id}/rate",
	baseline:   true,
	what:       "rating",
	badRequest: "The registry considers the model id malformed or invalid; check the id (use registry_artifact.<name>.id).",
	notFound:   "The registry has no model with this id.",
}

func (d *ModelRatingDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_model_rating"
}

func (d *ModelRatingDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	score := func(desc string) schema.Attribute {
		return schema.Float64Attribute{MarkdownDescription: desc, Computed: true}
	}
	latency := func(metric string) schema.Attribute {
		return schema.Float64Attribute{
			MarkdownDescription: fmt.Sprintf("Time in seconds the registry took to compute `%s`.", metric),
			Computed:            true,
		}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads the registry's rating of a model (`GET /artifact/model/{id}/rate`): every metric " +
			"of the spec's `ModelRating`, each a score in [0, 1] with the time in seconds it took to compute. " +
			"Use it to gate a configuration on a model's trustworthiness, with a `postcondition` (fails the apply) or a " +
			"`check` block (only warns).\n\n" +
			"The registry answers 404 for a model it does not hold, and also for a model whose rating it deferred " +
			"(it answered the create with 202) until that rating exists; 500 when it could not compute at least one " +
			"metric. The provider reports these as errors, never as made-up scores.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The model's artifact id, e.g. `registry_artifact.bert.id`.",
				Required:            true,
				Validators: []validator.String{
					artifactID(),
				},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Human-friendly label for the evaluated model.",
				Computed:            true,
			},
			"category": schema.StringAttribute{
				MarkdownDescription: "Model category assigned during evaluation.",
				Computed:            true,
			},
			"net_score":                      score("Overall score synthesizing all metrics, in [0, 1]."),
			"net_score_latency":              latency("net_score"),
			"ramp_up_time":                   score("Ease-of-adoption rating for the model, in [0, 1]."),
			"ramp_up_time_latency":           latency("ramp_up_time"),
			"bus_factor":                     score("Team redundancy score for the upstream project, in [0, 1]."),
			"bus_factor_latency":             latency("bus_factor"),
			"performance_claims":             score("Alignment between stated and observed performance, in [0, 1]."),
			"performance_claims_latency":     latency("performance_claims"),
			"license":                        score("Licensing suitability score, in [0, 1]."),
			"license_latency":                latency("license"),
			"dataset_and_code_score":         score("Availability and quality of accompanying datasets and code, in [0, 1]."),
			"dataset_and_code_score_latency": latency("dataset_and_code_score"),
			"dataset_quality":                score("Quality rating for associated datasets, in [0, 1]."),
			"dataset_quality_latency":        latency("dataset_quality"),
			"code_quality":                   score("Quality rating for provided code artifacts, in [0, 1]."),
			"code_quality_latency":           latency("code_quality"),
			"reproducibility":                score("Likelihood that reported results can be reproduced, in [0, 1]."),
			"reproducibility_latency":        latency("reproducibility"),
			"reviewedness":                   score("Measure of peer or community review coverage, in [0, 1]."),
			"reviewedness_latency":           latency("reviewedness"),
			"tree_score":                     score("Supply-chain health score for model dependencies, in [0, 1]."),
			"tree_score_latency":             latency("tree_score"),
			"size_score": schema.SingleNestedAttribute{
				MarkdownDescription: "Size suitability scores for common deployment targets, each in [0, 1].",
				Computed:            true,
				Attributes: map[string]schema.Attribute{
					"raspberry_pi": score("Size score for Raspberry Pi class devices."),
					"jetson_nano":  score("Size score for Jetson Nano deployments."),
					"desktop_pc":   score("Size score for desktop deployments."),
					"aws_server":   score("Size score for cloud server deployments."),
				},
			},
			"size_score_latency": latency("size_score"),
		},
	}
}

func (d *ModelRatingDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *ModelRatingDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config modelRatingDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c := d.data.registryClientOr(&resp.Diagnostics, "Cannot read "+modelRatingCall.typeName, dataSourceUnknownHint)
	if c == nil {
		return
	}
	id := config.ID.ValueString()
	r, err := c.ModelRating(ctx, id)
	if err != nil {
		resp.Diagnostics.Append(trustReadDiagnostic(d.data, modelRatingCall, fmt.Sprintf("the model with id %q", id), err))
		return
	}
	state := modelRatingDataSourceModel{
		ID:                         config.ID,
		Name:                       types.StringValue(r.Name),
		Category:                   types.StringValue(r.Category),
		NetScore:                   types.Float64Value(r.NetScore),
		NetScoreLatency:            types.Float64Value(r.NetScoreLatency),
		RampUpTime:                 types.Float64Value(r.RampUpTime),
		RampUpTimeLatency:          types.Float64Value(r.RampUpTimeLatency),
		BusFactor:                  types.Float64Value(r.BusFactor),
		BusFactorLatency:           types.Float64Value(r.BusFactorLatency),
		PerformanceClaims:          types.Float64Value(r.PerformanceClaims),
		PerformanceClaimsLatency:   types.Float64Value(r.PerformanceClaimsLatency),
		License:                    types.Float64Value(r.License),
		LicenseLatency:             types.Float64Value(r.LicenseLatency),
		DatasetAndCodeScore:        types.Float64Value(r.DatasetAndCodeScore),
		DatasetAndCodeScoreLatency: types.Float64Value(r.DatasetAndCodeScoreLatency),
		DatasetQuality:             types.Float64Value(r.DatasetQuality),
		DatasetQualityLatency:      types.Float64Value(r.DatasetQualityLatency),
		CodeQuality:                types.Float64Value(r.CodeQuality),
		CodeQualityLatency:         types.Float64Value(r.CodeQualityLatency),
		Reproducibility:            types.Float64Value(r.Reproducibility),
		ReproducibilityLatency:     types.Float64Value(r.ReproducibilityLatency),
		Reviewedness:               types.Float64Value(r.Reviewedness),
		ReviewednessLatency:        types.Float64Value(r.ReviewednessLatency),
		TreeScore:                  types.Float64Value(r.TreeScore),
		TreeScoreLatency:           types.Float64Value(r.TreeScoreLatency),

		SizeScore: &sizeScoreModel{
			RaspberryPi: types.Float64Value(r.SizeScore.RaspberryPi),
			JetsonNano:  types.Float64Value(r.SizeScore.JetsonNano),
			DesktopPC:   types.Float64Value(r.SizeScore.DesktopPC),
			AWSServer:   types.Float64Value(r.SizeScore.AWSServer),
		},
		SizeScoreLatency: types.Float64Value(r.SizeScoreLatency),
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}
