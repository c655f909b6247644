package provider

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

var _ datasource.DataSourceWithConfigure = (*ModelRatingDataSource)(nil)

// NewModelRatingDataSource returns the data source registry_model_rating.
func NewModelRatingDataSource() datasource.DataSource {
	return &ModelRatingDataSource{trustDataSource{call: modelRatingCall}}
}

// ModelRatingDataSource reads a model's rating (GET
// /artifact/model/{id}/rate).
type ModelRatingDataSource struct{ trustDataSource }

// modelRatingDataSourceModel has the id and, under the same names, every
// field of wire.ModelRating: the schema is derived from that type
// (ratingAttributes) and the state set from it (setFromRating).
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

func (d *ModelRatingDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := ratingAttributes(reflect.TypeFor[wire.ModelRating](), "")
	attrs["id"] = trustIDAttribute("The model's artifact id")
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads the registry's rating of a model (`GET /artifact/model/{id}/rate`): every metric " +
			"of the spec's `ModelRating`, each a score in [0, 1] with the time in seconds it took to compute. " +
			"Use it to gate a configuration on a model's trustworthiness, with a `postcondition` (fails the apply) or a " +
			"`check` block (only warns).\n\n" +
			"The registry answers 404 for a model it does not hold, and also for a model whose rating it deferred " +
			"(it answered the create with 202) until that rating exists; 500 when it could not compute at least one " +
			"metric. The provider reports these as errors, never as made-up scores.",
		Attributes: attrs,
	}
}

// ratingAttributes are the computed attributes of the struct type t, a
// ModelRating or its size_score: one per field, under its JSON name, with
// the API description's words (wire.RatingDescriptions; prefix is the
// parent's name and a dot).
func ratingAttributes(t reflect.Type, prefix string) map[string]schema.Attribute {
	attrs := map[string]schema.Attribute{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		desc := wire.RatingDescriptions[prefix+name]
		switch f.Type.Kind() {
		case reflect.String:
			attrs[name] = schema.StringAttribute{MarkdownDescription: desc, Computed: true}
		case reflect.Float64:
			if !strings.HasSuffix(name, "_latency") {
				desc = strings.TrimSuffix(desc, ".") + ", in [0, 1]."
			}
			attrs[name] = schema.Float64Attribute{MarkdownDescription: desc, Computed: true}
		case reflect.Struct:
			attrs[name] = schema.SingleNestedAttribute{
				MarkdownDescription: strings.TrimSuffix(desc, ".") + ", each in [0, 1].",
				Computed:            true,
				Attributes:          ratingAttributes(f.Type, name+"."),
			}
		default:
			panic(fmt.Sprintf("ModelRating field %s: no attribute for a %s", name, f.Type))
		}
	}
	return attrs
}

func (d *ModelRatingDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	readTrust(ctx, &d.trustDataSource, req, resp, func(ctx context.Context, c *client.Client, m *modelRatingDataSourceModel) (string, error) {
		id := m.ID.ValueString()
		r, err := c.ModelRating(ctx, id)
		if err != nil {
			return fmt.Sprintf("the model with id %q", id), err
		}
		setFromRating(reflect.ValueOf(m).Elem(), reflect.ValueOf(*r))
		return "", nil
	})
}

// setFromRating sets each attribute of the model dst (a
// modelRatingDataSourceModel or a sizeScoreModel) from the field of the
// rating src with that JSON name; attributes without one (id) are left as
// they are.
func setFromRating(dst, src reflect.Value) {
	fields := map[string]reflect.Value{}
	for f := range src.Type().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		fields[name] = src.FieldByIndex(f.Index)
	}
	for f := range dst.Type().Fields() {
		v, ok := fields[f.Tag.Get("tfsdk")]
		if !ok {
			continue
		}
		switch out := dst.FieldByIndex(f.Index); out.Interface().(type) {
		case types.String:
			out.Set(reflect.ValueOf(types.StringValue(v.String())))
		case types.Float64:
			out.Set(reflect.ValueOf(types.Float64Value(v.Float())))
		default: // a pointer to the nested object's model
			nested := reflect.New(out.Type().Elem())
			setFromRating(nested.Elem(), v)
			out.Set(nested)
		}
	}
}
