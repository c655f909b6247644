package provider

import (
	"fmt"
	"net/http"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
)

// trustCall describes one trust endpoint for the diagnostics of the data
// sources that read it.
type trustCall struct {
	// typeName is the data source, e.g. "registry_model_rating".
	typeName string
	// endpoint is the spec's route, e.g. "GET /artifact/model/{id}/rate".
	endpoint string
	// baseline: the spec marks the endpoint BASELINE (every conforming
	// registry has it) rather than NON-BASELINE (optional).
	baseline bool
	// what is computed, for messages: "rating", "cost", ...
	what string
	// badRequest explains the endpoint's 400 in the spec's words.
	badRequest string
	// notFound explains the endpoint's 404 in the spec's words.
	notFound string
	// notFoundSummary replaces the 404's summary when a 404 may mean
	// something else than the artifact (license check: the GitHub project).
	notFoundSummary string
}

// trustReadDiagnostic explains a failed trust read of subject (e.g. `the
// model with id "42"`), per status the spec lists for the endpoint. The registry's own
// message and the failed call are always in the text: for a 500 the
// provider says which call failed and reports no value instead of a guess.
func trustReadDiagnostic(data *ProviderData, tc trustCall, subject string, err error) diag.Diagnostic {
	switch status := client.StatusCode(err); {
	case client.IsUnrouted(err):
		tier := "a NON-BASELINE endpoint of the registry API (OpenAPI 3.4.7), which a conforming registry need not offer"
		if tc.baseline {
			tier = "a BASELINE endpoint of the registry API (OpenAPI 3.4.7), which every conforming registry should offer"
		}
		return diag.NewErrorDiagnostic("Registry does not offer this endpoint",
			fmt.Sprintf("%s needs %s, %s. The registry at %s does not route it: %s. "+
				"This says nothing about %s; use a registry that implements the endpoint, or remove the %s data source.",
				tc.typeName, tc.endpoint, tier, data.registry.Endpoint, client.UnroutedDetail(err), subject, tc.typeName))
	case client.IsNotFound(err):
		summary := "Artifact not found or not rated yet"
		if tc.notFoundSummary != "" {
			summary = tc.notFoundSummary
		}
		return diag.NewErrorDiagnostic(summary,
			fmt.Sprintf("Reading the %s of %s failed: %s. %s A registry that rates artifacts asynchronously (it answered "+
				"the create with 202) answers 404 for an artifact until its rating exists, and drops the artifact when the "+
				"rating fails: if it was created moments ago, apply again later.",
				tc.what, subject, err, tc.notFound))
	case status == http.StatusBadRequest:
		return diag.NewErrorDiagnostic("Registry refused the request",
			fmt.Sprintf("Reading the %s of %s failed: %s. %s", tc.what, subject, err, tc.badRequest))
	case status == http.StatusInternalServerError:
		return diag.NewErrorDiagnostic("Registry could not compute the "+tc.what,
			fmt.Sprintf("The registry failed while computing the %s of %s: %s. The failure is on the registry's side; "+
				"the provider reports no value rather than a guessed one. Try again later, or give this message to the "+
				"registry's operators.", tc.what, subject, err))
	case status == http.StatusBadGateway:
		return diag.NewErrorDiagnostic("Registry could not reach its upstream source",
			fmt.Sprintf("Reading the %s of %s failed: %s. The registry computes it from the artifact's upstream "+
				"metadata (Hugging Face, GitHub) and could not reach that source. Try again later, or ask the registry's "+
				"operators whether it can reach Hugging Face and GitHub.", tc.what, subject, err))
	default:
		return diag.NewErrorDiagnostic("Cannot read "+tc.typeName,
			fmt.Sprintf("Reading the %s of %s failed: %s.", tc.what, subject, data.describeError(err)))
	}
}
