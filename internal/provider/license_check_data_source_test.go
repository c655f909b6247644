package provider

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
)

func TestLicenseCheckDataSourceRead(t *testing.T) {
	for _, want := range []bool{true, false} {
		var body string
		state, diags := readDataSource(t, NewLicenseCheckDataSource(), func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			body = string(b)
			answer(t, "POST", "/artifact/model/7/license-check", 200, map[bool]string{true: "true", false: "false"}[want])(w, r)
		}, map[string]tftypes.Value{
			"id":         tftypes.NewValue(tftypes.String, "7"),
			"github_url": tftypes.NewValue(tftypes.String, "https://github.com/google-research/bert"),
		})
		if diags.HasError() {
			t.Fatal(diags)
		}
		var got licenseCheckDataSourceModel
		if diags := state.Get(context.Background(), &got); diags.HasError() {
			t.Fatal(diags)
		}
		if got.Compatible.ValueBool() != want || body != `{"github_url":"https://github.com/google-research/bert"}` {
			t.Errorf("compatible %s after body %s, want %v", got.Compatible, body, want)
		}
	}
}

// The registry's verdicts for two models against a GitHub project, as its
// API gives them; a GitHub project the registry cannot find is its 404, a
// url that is not a GitHub project its 400.
func TestAccLicenseCheckDataSource(t *testing.T) {
	reg := startTrustRegistry(t, trustRegistryOptions{mode: server.RatingOff})
	squadID := reg.seed(t, "model", replaySquadURL)
	poorID := reg.seed(t, "model", replayPoorURL)
	ctx := context.Background()
	squadOK, err := reg.api.LicenseCheck(ctx, squadID, replayGitHub)
	if err != nil {
		t.Fatalf("the server's license check: %v", err)
	}
	poorOK, err := reg.api.LicenseCheck(ctx, poorID, replayGitHub)
	if err != nil {
		t.Fatalf("the server's license check: %v", err)
	}
	t.Logf("the server's verdicts against %s: fine-tuned model %v, poor model %v", replayGitHub, squadOK, poorOK)

	resource.Test(t, trustTestCase(
		resource.TestStep{
			Config: fmt.Sprintf(`
data "registry_license_check" "squad" {
  id         = %q
  github_url = %q
}

data "registry_license_check" "poor" {
  id         = %q
  github_url = %q
}
`, squadID, replayGitHub, poorID, replayGitHub),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.registry_license_check.squad", tfjsonpath.New("compatible"), knownvalue.Bool(squadOK)),
				statecheck.ExpectKnownValue("data.registry_license_check.poor", tfjsonpath.New("compatible"), knownvalue.Bool(poorOK)),
			},
		},
		resource.TestStep{
			Config: fmt.Sprintf(`
data "registry_license_check" "unknown_project" {
  id         = %q
  github_url = "https://github.com/acc-test/no-such-project"
}
`, squadID),
			ExpectError: wordsRE("Model or GitHub project not found", "POST /artifact/model/"+squadID+"/license-check: 404", "no-such-project"),
		},
		resource.TestStep{
			// Not a GitHub project: the registry's 400.
			Config: fmt.Sprintf(`
data "registry_license_check" "not_github" {
  id         = %q
  github_url = "https://gitlab.com/acc-test/project"
}
`, squadID),
			ExpectError: wordsRE("Registry refused the request", "POST /artifact/model/"+squadID+"/license-check: 400 Bad Request",
				"check that github_url is a GitHub repository URL"),
		},
	))
}
