package provider

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// Each status the spec lists for a trust endpoint gets its own diagnostic,
// with the failed call and the registry's message; a registry that does not
// route the endpoint is never reported as a missing artifact.
func TestTrustReadDiagnostic(t *testing.T) {
	tests := []struct {
		name        string
		ds          func() (string, map[string]tftypes.Value)
		status      int
		wantSummary string
		want        []string
	}{
		{"rating 404", ratingCase, 404, "Artifact not found or not rated yet",
			[]string{`model with id "42"`, "GET /artifact/model/42/rate: 404 Not Found: registry says no", "202", "apply again later"}},
		{"rating 400", ratingCase, 400, "Registry refused the request", []string{"malformed or invalid", "registry says no"}},
		{"rating 500", ratingCase, 500, "Registry could not compute the rating",
			[]string{"GET /artifact/model/42/rate: 500 Internal Server Error: registry says no", "no value rather than a guessed one"}},
		{"rating 502", ratingCase, 502, "Registry could not reach its upstream source", []string{"Hugging Face, GitHub", "502 Bad Gateway"}},
		{"rating 501", ratingCase, 501, "Registry does not offer this endpoint",
			[]string{"GET /artifact/model/{id}/rate", "BASELINE endpoint", "does not route it", "501 Not Implemented"}},
		{"audit 405", auditCase, 405, "Registry does not offer this endpoint",
			[]string{"GET /artifact/{artifact_type}/{id}/audit", "NON-BASELINE endpoint", "need not offer", "405 Method Not Allowed"}},
		{"lineage 400", lineageCase, 400, "Registry refused the request", []string{"cannot compute the lineage graph", "config.json"}},
		{"license 404", licenseCase, 404, "Model or GitHub project not found", []string{"GitHub project does not exist"}},
		{"cost 403", costCase, 403, "Cannot read registry_artifact_cost", []string{"403 Forbidden", "refused the provider's token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, attrs := tt.ds()
			method := "GET"
			if strings.HasSuffix(path, "/license-check") {
				method = "POST"
			}
			ds := dataSourceFor(path)
			_, diags := readDataSource(t, ds, answer(t, method, path, tt.status, `{"error":"registry says no"}`), attrs)
			if len(diags.Errors()) != 1 {
				t.Fatalf("diagnostics %v, want one error", diags)
			}
			d := diags.Errors()[0]
			if d.Summary() != tt.wantSummary {
				t.Errorf("summary %q, want %q (detail %q)", d.Summary(), tt.wantSummary, d.Detail())
			}
			for _, w := range tt.want {
				if !strings.Contains(d.Detail(), w) {
					t.Errorf("detail %q lacks %q", d.Detail(), w)
				}
			}
		})
	}
}

// dataSourceFor is the trust data source that reads path.
func dataSourceFor(path string) datasource.DataSource {
	switch {
	case strings.HasSuffix(path, "/rate"):
		return NewModelRatingDataSource()
	case strings.HasSuffix(path, "/lineage"):
		return NewModelLineageDataSource()
	case strings.HasSuffix(path, "/license-check"):
		return NewLicenseCheckDataSource()
	case strings.HasSuffix(path, "/audit"):
		return NewArtifactAuditDataSource()
	}
	return NewArtifactCostDataSource()
}

func ratingCase() (string, map[string]tftypes.Value) {
	return "/artifact/model/42/rate", map[string]tftypes.Value{"id": tftypes.NewValue(tftypes.String, "42")}
}

func lineageCase() (string, map[string]tftypes.Value) {
	return "/artifact/model/42/lineage", map[string]tftypes.Value{"id": tftypes.NewValue(tftypes.String, "42")}
}

func licenseCase() (string, map[string]tftypes.Value) {
	return "/artifact/model/42/license-check", map[string]tftypes.Value{
		"id":         tftypes.NewValue(tftypes.String, "42"),
		"github_url": tftypes.NewValue(tftypes.String, "https://github.com/google-research/bert"),
	}
}

func auditCase() (string, map[string]tftypes.Value) {
	return "/artifact/model/42/audit", map[string]tftypes.Value{
		"type": tftypes.NewValue(tftypes.String, "model"),
		"id":   tftypes.NewValue(tftypes.String, "42"),
	}
}

func costCase() (string, map[string]tftypes.Value) {
	return "/artifact/model/42/cost", map[string]tftypes.Value{
		"type": tftypes.NewValue(tftypes.String, "model"),
		"id":   tftypes.NewValue(tftypes.String, "42"),
	}
}

// A 404 that is not the registry's JSON (a web framework's page for an
// unknown route) means the endpoint is missing, not the model.
func TestTrustReadDiagnosticUnroutedHTML404(t *testing.T) {
	path, attrs := lineageCase()
	_, diags := readDataSource(t, NewModelLineageDataSource(), func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, "<html><head><title>Error</title></head><body><pre>Cannot GET "+path+"</pre></body></html>")
	}, attrs)
	if len(diags.Errors()) != 1 {
		t.Fatalf("diagnostics %v, want one error", diags)
	}
	d := diags.Errors()[0]
	if d.Summary() != "Registry does not offer this endpoint" ||
		!strings.Contains(d.Detail(), "the registry does not serve GET "+path+" (it answered 404 Not Found: HTML error page: Error: Cannot GET "+path+")") ||
		strings.Contains(d.Detail(), "not rated yet") {
		t.Fatalf("diagnostic %q: %q", d.Summary(), d.Detail())
	}
}
