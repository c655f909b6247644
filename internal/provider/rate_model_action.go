package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
)

var _ action.ActionWithConfigure = (*RateModelAction)(nil)

// NewRateModelAction returns the action registry_rate_model.
func NewRateModelAction() action.Action {
	return &RateModelAction{}
}

// RateModelAction has the registry rate a model now and fails below a
// threshold: a gate for a model whose url a configuration changes, run
// from the resource's action_trigger (Terraform 1.14 and newer) or with
// `terraform apply -invoke`.
type RateModelAction struct {
	data *ProviderData
}

type rateModelActionModel struct {
	ID          types.String  `tfsdk:"id"`
	MinNetScore types.Float64 `tfsdk:"min_net_score"`
}

func (a *RateModelAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_rate_model"
}

func (a *RateModelAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Has the registry rate a model (`GET /artifact/model/{id}/rate`, which computes the rating " +
			"when the registry has none, e.g. after the model's url changed) and reports its `net_score`; with " +
			"`min_net_score`, fails when the score is below it. Run it from a `registry_artifact`'s `lifecycle` " +
			"`action_trigger` (`after_create`, `after_update`) so that an apply that registers a model or points it at a " +
			"new url fails when the model does not meet the bar, or on demand with " +
			"`terraform apply -invoke=action.registry_rate_model.<name>`. Terraform 1.14 or newer. The action changes " +
			"nothing: the model stays registered, and the failed apply says which model to fix or remove.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The model's id, e.g. `registry_artifact.bert.id`.",
				Required:            true,
				Validators:          []validator.String{artifactID()},
			},
			"min_net_score": schema.Float64Attribute{
				MarkdownDescription: "The lowest acceptable `net_score` (0 to 1), e.g. `0.5`. Without it, the action " +
					"only reports the rating.",
				Optional:   true,
				Validators: []validator.Float64{float64validator.Between(0, 1)},
			},
		},
	}
}

func (a *RateModelAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (a *RateModelAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var config rateModelActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c := a.data.registryClientOr(&resp.Diagnostics, "Cannot invoke registry_rate_model", "")
	if c == nil {
		return
	}
	id := config.ID.ValueString()
	subject := fmt.Sprintf("the model with id %q", id)
	resp.SendProgress(action.InvokeProgressEvent{Message: "Rating " + subject + " (GET /artifact/model/" + id + "/rate)"})
	r, err := c.ModelRating(ctx, id)
	switch {
	case client.IsUnrouted(err):
		resp.Diagnostics.AddError("Cannot invoke registry_rate_model",
			fmt.Sprintf("Rating %s failed: %s.", subject, a.data.describeError(err)))
		return
	case err != nil:
		resp.Diagnostics.Append(trustReadDiagnostic(a.data, modelRatingCall, subject, err))
		return
	}
	resp.SendProgress(action.InvokeProgressEvent{Message: fmt.Sprintf("Model %s (%s): net_score %.3f", id, r.Name, r.NetScore)})
	if !config.MinNetScore.IsNull() && r.NetScore < config.MinNetScore.ValueFloat64() {
		resp.Diagnostics.AddAttributeError(path.Root("min_net_score"), "Model rated below min_net_score",
			fmt.Sprintf("The model %s (%s) has net_score %.3f, below min_net_score %g (license %.2f, bus_factor %.2f, ramp_up_time %.2f, "+
				"code_quality %.2f, dataset_quality %.2f). It is still registered: point it at a better url, remove it, or lower "+
				"min_net_score.", id, r.Name, r.NetScore, config.MinNetScore.ValueFloat64(), r.License, r.BusFactor, r.RampUpTime,
				r.CodeQuality, r.DatasetQuality))
	}
}
