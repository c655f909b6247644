package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// Default time limits of the timeouts block: long enough for a registry
// that rates artifacts asynchronously (202) to finish the rating.
const (
	defaultArtifactCreateTimeout = 10 * time.Minute
	defaultArtifactUpdateTimeout = 10 * time.Minute
)

var (
	_ resource.ResourceWithConfigure   = (*ArtifactResource)(nil)
	_ resource.ResourceWithImportState = (*ArtifactResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*ArtifactResource)(nil)
)

// NewArtifactResource returns the resource registry_artifact.
func NewArtifactResource() resource.Resource {
	return &ArtifactResource{}
}

// ArtifactResource is an artifact (model, dataset or code) in the registry.
type ArtifactResource struct {
	data *ProviderData
}

type artifactResourceModel struct {
	ID              types.String   `tfsdk:"id"`
	Type            types.String   `tfsdk:"type"`
	URL             types.String   `tfsdk:"url"`
	Name            types.String   `tfsdk:"name"`
	DownloadURL     types.String   `tfsdk:"download_url"`
	SHA256          types.String   `tfsdk:"sha256"`
	SizeBytes       types.Int64    `tfsdk:"size_bytes"`
	BundleNotStored types.String   `tfsdk:"bundle_not_stored"`
	ExpectedSHA256  types.String   `tfsdk:"expected_sha256"`
	AdoptExisting   types.Bool     `tfsdk:"adopt_existing"`
	Timeouts        timeouts.Value `tfsdk:"timeouts"`
}

func (r *ArtifactResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_artifact"
}

func (r *ArtifactResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "An artifact of the registry: a model, a dataset or code, registered from its source URL " +
			"(`POST /artifact/{type}`). The registry derives the artifact's `name` from the URL and assigns its `id`.\n\n" +
			"A registry that rates artifacts asynchronously answers 202; the provider then waits, up to the `create` " +
			"timeout, until the artifact exists. A registry that refuses the artifact with 424 (its rating disqualified it, " +
			"or the registry could not rate it) registers nothing: an error that quotes the registry's reason. " +
			"Registering a URL that the registry already holds for this type is an error that gives the " +
			"`terraform import` command for the existing artifact, unless `adopt_existing` is set.\n\n" +
			"A create that fails without an answer (connection dropped, timeout, 5xx) is never sent again blindly: " +
			"the provider looks the artifact up by its url (the artifacts with the name the registry derives from it). " +
			"Found, it is the one this create made and goes into state; proven absent, the create is sent again, " +
			"within `max_retries` and the `create` timeout.\n\n" +
			"**Delete.** The resource is removed from state only when the registry confirms that the artifact is gone: " +
			"`DELETE /artifacts/{type}/{id}` succeeds and a `GET` of the artifact then answers 404. A `DELETE` answered " +
			"with the registry's JSON 404 (\"does not exist\") for an artifact the refresh has just read is not taken at " +
			"its word: the artifact counts as gone once the provider's `delete_confirm_reads` GETs in a row, spread over " +
			"`delete_confirm_window` (3 over 1 s by default), answer 404. A registry whose store flaps (404 for a moment, " +
			"then the artifact again) gets the `DELETE` again; when its answers keep disagreeing, destroy fails with an " +
			"error that says so and the artifact stays in state. " +
			"`DELETE` is NON-BASELINE in the API spec, so a conforming registry may not offer it: when it " +
			"answers 405, 501 or a 404 that is not its JSON error (a web framework's page for an unknown route) and the " +
			"artifact is still there, destroy fails, the artifact stays in state, and the error says so. Then either " +
			"remove it on the registry's side, or stop managing it with `terraform state rm`.\n\n" +
			"**Content.** A registry that stores the artifact's bundle reports its digest and size (`sha256`, " +
			"`size_bytes`), or why it stores none (`bundle_not_stored`). Each refresh reads them again, so a bundle " +
			"changed in the registry shows in the plan as a change made outside Terraform. `expected_sha256` pins the " +
			"content: a create whose stored bundle differs fails and leaves nothing behind, and a later change of the " +
			"stored bundle plans the artifact's replacement.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The artifact's id, assigned by the registry.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"type": schema.StringAttribute{
				MarkdownDescription: "The artifact's type: " + artifactTypesMarkdown("or") + ". Changing it replaces the artifact.",
				Required:            true,
				Validators:          []validator.String{artifactType()},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"url": schema.StringAttribute{
				MarkdownDescription: "The artifact's source URL, an absolute http(s) URL such as " +
					"`https://huggingface.co/google-bert/bert-base-uncased`. Changing it updates the artifact in place " +
					"(`PUT`), keeping its id and name.",
				Required:   true,
				Validators: []validator.String{httpURL("https://huggingface.co/google-bert/bert-base-uncased")},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "The artifact's name, derived by the registry from the URL at creation " +
					"(e.g. `bert-base-uncased`). It does not change when the URL is updated.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"download_url": schema.StringAttribute{
				MarkdownDescription: "The link from which the registry serves the stored artifact bundle; `null` " +
					"when the registry does not offer one.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{useStateUnlessURLChanges{}},
			},
			"sha256": schema.StringAttribute{
				MarkdownDescription: "Lowercase hex SHA-256 of the bundle the registry stores for the artifact and serves " +
					"from `download_url`, as the registry reports it. `null` when the registry stores no bundle " +
					"(`bundle_not_stored` says why) or does not report one. Each refresh reads it again: a bundle " +
					"changed in the registry shows in the plan as a change made outside Terraform, and with " +
					"`expected_sha256` as a replacement. Unknown in a plan that changes `url` (the registry ingests the " +
					"new source).",
				Computed:      true,
				PlanModifiers: []planmodifier.String{useStateUnlessURLChanges{}},
			},
			"size_bytes": schema.Int64Attribute{
				MarkdownDescription: "Size in bytes of the bundle the registry stores for the artifact; `null` when " +
					"`sha256` is.",
				Computed:      true,
				PlanModifiers: []planmodifier.Int64{useStateUnlessURLChanges{}},
			},
			"bundle_not_stored": schema.StringAttribute{
				MarkdownDescription: "Why the registry stores no bundle for the artifact, in its words (for example, " +
					"the bundle is larger than its size cap, or the source could not be fetched); `download_url` then " +
					"redirects to the source. `null` when a bundle is stored, or when the registry does not say.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{useStateUnlessURLChanges{}},
			},
			"expected_sha256": schema.StringAttribute{
				MarkdownDescription: "Pins the artifact's content: the lowercase hex SHA-256 (64 characters) that the " +
					"bundle the registry stores must have, e.g. the `sha256` of an artifact already vetted. A create " +
					"whose stored bundle has another digest, or none, fails with both digests (or the registry's reason " +
					"for storing none) after deleting the artifact it registered, so that nothing is left in the " +
					"registry or in the state. When a refresh finds that the stored bundle no longer has this digest " +
					"(changed in the registry's storage, say), the plan replaces the artifact: it is deleted, registered " +
					"again from `url`, and the new bundle is checked. A `url` change checks the new bundle after the " +
					"update: a mismatch fails the apply, and the next plan replaces the artifact. Changing only this " +
					"attribute sends nothing to the registry. Needs a registry that reports its stored bundles.",
				Optional:   true,
				Validators: []validator.String{sha256Hex()},
			},
			"adopt_existing": schema.BoolAttribute{
				MarkdownDescription: "When the registry already holds an artifact of this `type` with this `url` (it " +
					"answers 409 to the create), take that artifact into state instead of failing, with a warning that " +
					"names its id. Use it to seed a configuration from a registry that already has the artifacts, or to " +
					"recover when a registry stored an artifact but could not answer (it crashed right after the create): " +
					"the next apply then converges without a manual `terraform import`. Off by default (`false`), because " +
					"two configurations (or two resources) must not silently manage, and one day delete, the same " +
					"artifact; the default error gives the `terraform import` command instead.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": artifactTimeoutsBlock(ctx),
		},
	}
}

// artifactTimeoutsBlock is the timeouts block with descriptions: the
// library's block has none of its own.
func artifactTimeoutsBlock(ctx context.Context) schema.Block {
	b := timeouts.Block(ctx, timeouts.Opts{
		Create: true,
		Update: true,
		CreateDescription: fmt.Sprintf("How long creating the artifact may take, retries included, and for a registry "+
			"that rates artifacts later (`202 Accepted`) the wait until the artifact exists. Default `%gm`.",
			defaultArtifactCreateTimeout.Minutes()),
		UpdateDescription: fmt.Sprintf("How long updating the artifact's `url` may take, retries included. Default `%gm`.",
			defaultArtifactUpdateTimeout.Minutes()),
	})
	block, ok := b.(schema.SingleNestedBlock)
	if !ok {
		// A library version with another block type: its attributes keep
		// their descriptions, the block goes without.
		return b
	}
	block.MarkdownDescription = "Time limits of the operations that talk to the registry, as durations such as " +
		"`30s`, `10m` or `1h`. Reading and deleting use the provider's `request_timeout` per request."
	return block
}

func (r *ArtifactResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *ArtifactResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan artifactResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	createTimeout, diags := plan.Timeouts.Create(ctx, defaultArtifactCreateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	c := r.data.registryClientOr(&resp.Diagnostics, "Cannot create registry_artifact", "")
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, createTimeout)
	defer cancel()

	typ, url := plan.Type.ValueString(), plan.URL.ValueString()
	defer r.data.warnCredentialsUnused(&resp.Diagnostics)
	res, err := c.CreateArtifact(ctx, typ, url)
	// An artifact adopted with adopt_existing was not created here, so a
	// failed pin leaves it alone.
	adoptedExisting := false
	if client.StatusCode(err) == http.StatusConflict && plan.AdoptExisting.ValueBool() {
		res, err = r.adopt(ctx, c, typ, url, err, &resp.Diagnostics)
		adoptedExisting = err == nil
	}
	if err != nil {
		resp.Diagnostics.Append(r.createErrorDiagnostic(ctx, c, typ, url, err))
		return
	}
	art := res.Artifact
	if res.Adopted {
		tflog.Info(ctx, "the create request failed ambiguously; adopted the artifact the registry had created", map[string]any{"type": typ, "url": url})
	}
	if res.Accepted {
		// 202: the registry stored the artifact but rates it later, and
		// drops it if the rating fails. Only an artifact that can be read
		// back exists.
		id := ""
		if art != nil {
			id = string(art.Metadata.ID)
		}
		tflog.Info(ctx, "the registry deferred the artifact's rating (202); waiting for it to exist", map[string]any{"type": typ, "url": url, "id": id})
		art, err = waitForArtifact(ctx, c, typ, url, id, time.Second)
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			resp.Diagnostics.AddError("Artifact not registered",
				fmt.Sprintf("The registry accepted the %s at %q for a deferred rating (202), but it did not appear within the create timeout (%s). "+
					"The registry drops an artifact whose rating fails. Raise timeouts.create if the registry's rating takes longer, "+
					"then apply again; if the artifact appears meanwhile, the next apply reports it as existing and gives the import command.",
					typ, url, createTimeout))
			return
		case err != nil:
			resp.Diagnostics.AddError("Cannot create registry_artifact",
				fmt.Sprintf("The registry accepted the %s at %q for a deferred rating (202), but checking whether it exists failed: %s.",
					typ, url, r.data.describeError(err)))
			return
		}
	}
	if art == nil {
		resp.Diagnostics.AddError("Unexpected registry answer",
			fmt.Sprintf("The registry answered the creation of the %s at %q without the artifact. This is a bug in the registry or the provider; please report it.", typ, url))
		return
	}

	plan.setComputed(art)
	if why := plan.pinMismatch(); why != "" {
		r.rejectCreated(ctx, c, &plan, !adoptedExisting, why, resp)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(setArtifactIdentity(ctx, resp.Identity, typ, string(art.Metadata.ID))...)
}

// adopt looks up the artifact of typ at url that the registry already holds
// (it answered the create with conflict) and adopts it, with a warning that
// names it. When it cannot be found, conflict is returned for the usual
// error.
func (r *ArtifactResource) adopt(ctx context.Context, c *client.Client, typ, url string, conflict error, diags *diag.Diagnostics) (*client.CreateResult, error) {
	existing, err := c.FindArtifactByURL(ctx, typ, url)
	if err != nil || existing == nil {
		return nil, conflict
	}
	diags.AddWarning("Adopted an existing artifact",
		fmt.Sprintf("The registry already held a %s with the url %q (id %q, name %q). Because adopt_existing is true, this "+
			"resource now manages that artifact instead of creating one: destroying the resource deletes it.",
			typ, url, existing.Metadata.ID, existing.Metadata.Name))
	tflog.Info(ctx, "adopted an existing artifact (adopt_existing)", map[string]any{"type": typ, "url": url, "id": existing.Metadata.ID})
	return &client.CreateResult{Artifact: existing}, nil
}

// createErrorDiagnostic explains a failed create: the artifact exists (409,
// with the import command), its rating disqualified it (424), or another
// failure.
func (r *ArtifactResource) createErrorDiagnostic(ctx context.Context, c *client.Client, typ, url string, err error) diag.Diagnostic {
	switch client.StatusCode(err) {
	case http.StatusConflict:
		existing, findErr := c.FindArtifactByURL(ctx, typ, url)
		switch {
		case client.IsUnrouted(findErr):
			// Neither GET /artifact/byName nor POST /artifacts: the
			// registry_artifacts data source cannot find it either.
			return diag.NewErrorDiagnostic("Artifact already exists",
				fmt.Sprintf("The registry already holds a %s with the url %q (%s), but its id cannot be found through its API: %s. "+
					"Get the id from the registry's operators (or its own interface or storage), then import it: "+
					"terraform import registry_artifact.<name> %s/<id>. Or delete the artifact on the registry's side and apply again.",
					typ, url, err, r.data.describeError(findErr), typ))
		case findErr != nil || existing == nil:
			why := "it was not found by its url"
			if findErr != nil {
				why = "looking it up failed: " + r.data.describeError(findErr)
			}
			return diag.NewErrorDiagnostic("Artifact already exists",
				fmt.Sprintf("The registry already holds a %s with the url %q (%s), but its id could not be determined (%s). "+
					"Find its id with the registry_artifacts data source, then import it: terraform import registry_artifact.<name> %s/<id>; "+
					"or set adopt_existing = true on the resource to take the artifact over on the next apply.",
					typ, url, err, why, typ))
		}
		importID := existing.Metadata.Type + "/" + string(existing.Metadata.ID)
		if existing.Metadata.Type == "" {
			importID = typ + "/" + string(existing.Metadata.ID)
		}
		return diag.NewErrorDiagnostic("Artifact already exists",
			fmt.Sprintf("The registry already holds a %s with the url %q: id %q, name %q. An earlier apply that was "+
				"interrupted before it could record the artifact (Terraform killed, say) leaves one like this. "+
				"To manage it with Terraform, import it instead of creating it:\n\n"+
				"  terraform import registry_artifact.<name> %s\n\n"+
				"or declare an import block:\n\n"+
				"  import {\n    to = registry_artifact.<name>\n    id = %q\n  }\n\n"+
				"where <name> is this resource's name in the configuration; or set adopt_existing = true on the resource, "+
				"and the next apply takes over the artifact the registry already holds.",
				typ, url, existing.Metadata.ID, existing.Metadata.Name, importID, importID))
	case http.StatusFailedDependency:
		// The spec's 424 is a disqualifying rating, but registries also
		// send it when they could not rate (an upstream unreachable): the
		// registry's reason decides, so it is quoted, not interpreted.
		reason := "the registry gave no reason"
		var apiErr *client.APIError
		if errors.As(err, &apiErr) && apiErr.Message != "" {
			reason = fmt.Sprintf("the registry's reason: %q", apiErr.Message)
		}
		return diag.NewErrorDiagnostic("Artifact not registered (424 Failed Dependency)",
			fmt.Sprintf("The registry answered the registration of the %s at %q with 424 Failed Dependency and registered "+
				"nothing (%s). The API spec defines this answer as \"not registered due to the disqualified rating\"; "+
				"registries also send it when they could not rate the artifact, for example when its source could not be "+
				"reached. If the reason is the rating, use another source URL or ask the registry's operators about its "+
				"rating policy; if the registry could not rate the artifact, apply again later.",
				typ, url, reason))
	default:
		if client.NotSent(err) {
			return diag.NewErrorDiagnostic("Cannot create registry_artifact",
				fmt.Sprintf("The %s at %q was not registered: the request was never sent, because %s.", typ, url, r.data.describeError(err)))
		}
		return diag.NewErrorDiagnostic("Cannot create registry_artifact",
			fmt.Sprintf("Registering the %s at %q failed: %s.", typ, url, r.data.describeError(err)))
	}
}

// waitForArtifact polls the registry with exponential backoff (from initial,
// doubling, at most 15s apart) until the artifact exists or ctx ends. It
// reads the artifact by id when the registry gave one, else looks it up by
// its url (one name lookup and a GET per candidate).
func waitForArtifact(ctx context.Context, c *client.Client, typ, url, id string, initial time.Duration) (*wire.Artifact, error) {
	const maxDelay = 15 * time.Second
	delay := initial
	for {
		var (
			art *wire.Artifact
			err error
		)
		if id != "" {
			art, err = c.GetArtifact(ctx, typ, id)
			if client.IsNotFound(err) {
				art, err = nil, nil
			}
		} else {
			art, err = c.FindArtifactByURL(ctx, typ, url)
		}
		switch {
		case err != nil && ctx.Err() == nil:
			return nil, err
		case art != nil:
			return art, nil
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, fmt.Errorf("still absent after waiting: %w", ctx.Err())
		case <-timer.C:
		}
		delay = min(delay*2, maxDelay)
	}
}

func (r *ArtifactResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state artifactResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	typ, id := state.Type.ValueString(), state.ID.ValueString()
	// Also gives state written before identities existed its identity, and
	// keeps it when the state is kept below without a refresh.
	resp.Diagnostics.Append(setArtifactIdentity(ctx, resp.Identity, typ, id)...)

	if r.data != nil {
		if _, err := r.data.RegistryClient(); errors.Is(err, ErrConfigUnknown) && !state.Name.IsNull() {
			// The plan is being made before the provider's endpoint or
			// credentials are known (they come from a resource not yet
			// applied). Keep the last known state rather than fail the plan;
			// the apply refreshes it with the known configuration. An import
			// (no name yet) has no state to keep and fails below.
			resp.Diagnostics.AddWarning("registry_artifact not refreshed",
				fmt.Sprintf("The artifact %s/%s keeps its last known state in this plan: %s.", typ, id, err))
			return
		}
	}
	c := r.data.registryClientOr(&resp.Diagnostics, "Cannot read registry_artifact", "")
	if c == nil {
		return
	}

	defer r.data.warnCredentialsUnused(&resp.Diagnostics)
	art, err := c.GetArtifact(ctx, typ, id)
	if client.IsNotFound(err) {
		// Deleted outside Terraform: the next plan creates it again. Only
		// the registry's own 404 says so; an unrouted GET is an error.
		tflog.Info(ctx, "artifact not found in the registry; removing it from state", map[string]any{"type": typ, "id": id})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read registry_artifact",
			fmt.Sprintf("Reading the artifact %s/%s failed: %s.", typ, id, r.data.describeError(err)))
		return
	}
	state.fromArtifact(art)
	if state.AdoptExisting.IsNull() {
		// Imported: the argument's default.
		state.AdoptExisting = types.BoolValue(false)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// fromArtifact sets the model from the registry's artifact.
func (m *artifactResourceModel) fromArtifact(art *wire.Artifact) {
	m.setComputed(art)
	if art.Metadata.Type != "" {
		m.Type = types.StringValue(art.Metadata.Type)
	}
	m.URL = types.StringValue(art.Data.URL)
}

// setComputed sets the attributes the registry assigns from its artifact:
// id, name, download_url and the stored bundle's facts.
func (m *artifactResourceModel) setComputed(art *wire.Artifact) {
	m.ID = types.StringValue(string(art.Metadata.ID))
	m.Name = types.StringValue(art.Metadata.Name)
	m.DownloadURL = nullIfEmpty(art.Data.DownloadURL)
	m.SHA256, m.SizeBytes = types.StringNull(), types.Int64Null()
	if b := art.Data.Bundle; b != nil {
		m.SHA256, m.SizeBytes = types.StringValue(b.Sha256), types.Int64Value(b.SizeBytes)
	}
	m.BundleNotStored = nullIfEmpty(art.Data.BundleNotStored)
}

func (r *ArtifactResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state artifactResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	updateTimeout, diags := plan.Timeouts.Update(ctx, defaultArtifactUpdateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	c := r.data.registryClientOr(&resp.Diagnostics, "Cannot update registry_artifact", "")
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, updateTimeout)
	defer cancel()

	// Only url changes the artifact in place (type forces replacement). The
	// API wants the stored name and id with the new url.
	typ, id, url := state.Type.ValueString(), state.ID.ValueString(), plan.URL.ValueString()
	if plan.URL.Equal(state.URL) {
		// Only expected_sha256, adopt_existing or timeouts changed: nothing
		// to send. The plan compared a known pin with the stored digest
		// already; one unknown then is compared now.
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		resp.Diagnostics.Append(setArtifactIdentity(ctx, resp.Identity, typ, id)...)
		if why := plan.pinMismatch(); why != "" {
			resp.Diagnostics.AddAttributeError(path.Root("expected_sha256"), pinMismatchSummary,
				fmt.Sprintf("The %s %s (url %q) does not have the pinned content: %s. Run terraform apply again: the plan "+
					"replaces the artifact.", typ, id, url, why))
		}
		return
	}
	defer r.data.warnCredentialsUnused(&resp.Diagnostics)
	err := c.UpdateArtifact(ctx, wire.Artifact{
		Metadata: wire.ArtifactMetadata{Name: state.Name.ValueString(), ID: wire.ID(id), Type: typ},
		Data:     wire.ArtifactData{URL: url},
	})
	switch {
	case client.StatusCode(err) == http.StatusConflict:
		other := ""
		if existing, findErr := c.FindArtifactByURL(ctx, typ, url); findErr == nil && existing != nil {
			other = fmt.Sprintf(" (id %q, name %q)", existing.Metadata.ID, existing.Metadata.Name)
		}
		resp.Diagnostics.AddError("URL already registered",
			fmt.Sprintf("Cannot change the url of the %s %s to %q: another %s of the registry already has this url%s (%s). "+
				"Use another url, or remove that artifact first.", typ, id, url, typ, other, err))
		return
	case client.IsNotFound(err):
		resp.Diagnostics.AddError("Artifact no longer exists",
			fmt.Sprintf("The %s %s was deleted from the registry outside Terraform (%s). Run terraform apply again: "+
				"the refresh notices the deletion and plans to create the artifact.", typ, id, err))
		return
	case err != nil:
		resp.Diagnostics.AddError("Cannot update registry_artifact",
			fmt.Sprintf("Updating the url of the %s %s to %q failed: %s.", typ, id, url, r.data.describeError(err)))
		return
	}

	// Read back for download_url. A registry that re-rates the artifact
	// asynchronously (202) answers 404 until the rating is done.
	art, err := waitForArtifact(ctx, c, typ, url, id, time.Second)
	if err != nil {
		resp.Diagnostics.AddError("Cannot read registry_artifact after update",
			fmt.Sprintf("The registry accepted the new url %q of the %s %s, but reading it back failed within the update timeout (%s): %s. "+
				"A registry drops an artifact whose deferred rating fails; run terraform plan to see its current state.",
				url, typ, id, updateTimeout, err))
		return
	}
	if !artifact.SameURL(art.Data.URL, url) {
		// The state records what the registry holds, so that the next plan
		// shows the same change again rather than a success.
		state.fromArtifact(art)
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		resp.Diagnostics.AddError("Registry kept another url",
			fmt.Sprintf("The registry answered the update of the %s %s with success, but reading the artifact back shows "+
				"the url %q, not the new url %q: the registry did not keep the new url. Check that the registry supports "+
				"changing an artifact's url (PUT /artifacts/{type}/{id}), or replace the artifact instead "+
				"(terraform apply -replace=<address>).", typ, id, art.Data.URL, url))
		return
	}
	plan.setComputed(art)
	// The name is the one given at creation (planned from state).
	plan.Name = state.Name
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(setArtifactIdentity(ctx, resp.Identity, typ, id)...)
	if why := plan.pinMismatch(); why != "" {
		// The state records the new url and bundle the registry holds, so
		// that the next plan replaces the artifact.
		resp.Diagnostics.AddAttributeError(path.Root("expected_sha256"), pinMismatchSummary,
			fmt.Sprintf("The url of the %s %s was changed to %q, but %s. The registry keeps the new url; the next plan "+
				"replaces the artifact, which fails the same way while the source serves this content. Set expected_sha256 "+
				"to the new digest if the new content is intended, or go back to the previous url.", typ, id, url, why))
	}
}

func (r *ArtifactResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state artifactResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c := r.data.registryClientOr(&resp.Diagnostics, "Cannot delete registry_artifact", "")
	if c == nil {
		return
	}
	typ, id := state.Type.ValueString(), state.ID.ValueString()
	defer r.data.warnCredentialsUnused(&resp.Diagnostics)
	if d := r.deleteArtifact(ctx, c, typ, id); d != nil {
		// An error keeps the artifact in state.
		resp.Diagnostics.Append(d)
	}
}

// ImportState takes "<type>/<id>"; Read fills in the rest.
func (r *ArtifactResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	typ, id, diags := artifactImportTarget(ctx, req)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("type"), typ)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
}

// parseArtifactImportID splits an import ID of the form <type>/<id>.
func parseArtifactImportID(raw string) (typ, id string, err error) {
	typ, id, found := strings.Cut(raw, "/")
	if !found || !artifact.ValidType(typ) || !artifact.IDPattern.MatchString(id) {
		return "", "", fmt.Errorf("the import ID %q is not of the form <type>/<id>: <type> is one of %s and <id> is the artifact's id "+
			"(%s), e.g. model/3847247294", raw, strings.Join(artifact.Types(), ", "), artifact.IDRule)
	}
	return typ, id, nil
}

// useStateUnlessURLChanges keeps a value the registry derives from the
// artifact's source (download_url, the stored bundle's facts) from state
// while the url stays the same; a new url's bundle is ingested anew and
// may be served from a new link.
type useStateUnlessURLChanges struct{}

func (m useStateUnlessURLChanges) Description(_ context.Context) string {
	return "Keeps the prior value unless url changes."
}

func (m useStateUnlessURLChanges) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (m useStateUnlessURLChanges) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if m.keep(ctx, req.State, req.Plan, req.PlanValue.IsUnknown() && !req.ConfigValue.IsUnknown(), &resp.Diagnostics) {
		resp.PlanValue = req.StateValue
	}
}

func (m useStateUnlessURLChanges) PlanModifyInt64(ctx context.Context, req planmodifier.Int64Request, resp *planmodifier.Int64Response) {
	if m.keep(ctx, req.State, req.Plan, req.PlanValue.IsUnknown() && !req.ConfigValue.IsUnknown(), &resp.Diagnostics) {
		resp.PlanValue = req.StateValue
	}
}

// keep reports whether the state's value is planned: the value is still to
// be planned (unknown), the resource exists and stays, and url is
// unchanged.
func (useStateUnlessURLChanges) keep(ctx context.Context, state tfsdk.State, plan tfsdk.Plan, toPlan bool, diags *diag.Diagnostics) bool {
	if state.Raw.IsNull() || plan.Raw.IsNull() || !toPlan {
		return false
	}
	var planURL, stateURL types.String
	diags.Append(plan.GetAttribute(ctx, path.Root("url"), &planURL)...)
	diags.Append(state.GetAttribute(ctx, path.Root("url"), &stateURL)...)
	return !diags.HasError() && planURL.Equal(stateURL)
}

// nullIfEmpty maps the API's absent value ("") to null.
func nullIfEmpty(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// capitalize upper-cases the first letter of an error text used as a
// diagnostic's sentence.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
