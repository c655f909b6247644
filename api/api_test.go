package api

import (
	"context"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// The effective document is a valid OpenAPI document with each difference
// of the overlay in it.
func TestEffectiveIsValidOpenAPI(t *testing.T) {
	b, err := Effective()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatalf("the effective document does not load: %v", err)
	}
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		t.Fatalf("the effective document is not valid OpenAPI: %v", err)
	}
	if doc.Info.Version != "3.4.7" {
		t.Errorf("info.version = %q, want the published 3.4.7", doc.Info.Version)
	}
	schemas := doc.Components.Schemas
	if m := schemas["HealthMetricValue"].Value; len(m.OneOf) != 0 || len(m.AnyOf) != 4 {
		t.Errorf("HealthMetricValue: oneOf %d, anyOf %d; want anyOf of the four types", len(m.OneOf), len(m.AnyOf))
	}
	if got := schemas["ArtifactLineageNode"].Value.Required; len(got) != 1 || got[0] != "artifact_id" {
		t.Errorf("ArtifactLineageNode requires %v, want [artifact_id]", got)
	}
	put := doc.Paths.Find("/artifacts/{artifact_type}/{id}").Put
	for _, status := range []int{409, 413} {
		if put.Responses.Status(status) == nil {
			t.Errorf("PUT /artifacts/{artifact_type}/{id} does not declare %d", status)
		}
	}
	if doc.Paths.Find("/artifacts/PackageConfusionAudit").Post.Responses.Status(501) == nil {
		t.Error("PackageConfusionAudit does not declare 501")
	}
	if doc.Paths.Find("/health/components").Get.Responses.Status(400) == nil {
		t.Error("GET /health/components does not declare 400")
	}
}

// Every action of the overlay says why, in one line.
func TestOverlayActionsGiveOneLineReasons(t *testing.T) {
	var o struct {
		Actions []struct {
			Target      string `yaml:"target"`
			Description string `yaml:"description"`
		} `yaml:"actions"`
	}
	if err := yaml.Unmarshal(Overlay, &o); err != nil {
		t.Fatal(err)
	}
	if len(o.Actions) == 0 {
		t.Fatal("the overlay has no actions")
	}
	for _, a := range o.Actions {
		if d := strings.TrimSpace(a.Description); d == "" || strings.Contains(d, "\n") {
			t.Errorf("action on %s: description %q, want a one-line reason", a.Target, a.Description)
		}
	}
}

// An action that no longer matches the document fails, instead of silently
// dropping a difference.
func TestApplyIsStrict(t *testing.T) {
	ovl := []byte(`overlay: 1.0.0
info: {title: t, version: "1"}
actions:
  - target: $.components.schemas.NoSuchSchema
    description: matches nothing
    update: {type: string}
`)
	if _, err := Apply(Published, ovl); err == nil || !strings.Contains(err.Error(), "NoSuchSchema") {
		t.Fatalf("Apply with an action matching nothing: err = %v, want an error naming its target", err)
	}
}
