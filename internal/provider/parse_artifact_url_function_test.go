package provider

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
)

func runParseArtifactURL(t *testing.T, url string) function.RunResponse {
	t.Helper()
	f := NewParseArtifactURLFunction()
	resp := function.RunResponse{
		Result: function.NewResultData(types.ObjectUnknown(parseArtifactURLResultTypes)),
	}
	f.Run(context.Background(), function.RunRequest{
		Arguments: function.NewArgumentsData([]attr.Value{types.StringValue(url)}),
	}, &resp)
	return resp
}

func parsedObject(t *testing.T, source, typ, owner, name string) attr.Value {
	t.Helper()
	str := func(s string) attr.Value {
		if s == "" {
			return types.StringNull()
		}
		return types.StringValue(s)
	}
	return types.ObjectValueMust(parseArtifactURLResultTypes, map[string]attr.Value{
		"source": str(source), "type": str(typ), "owner": str(owner), "name": str(name),
	})
}

func TestParseArtifactURLFunction_Run(t *testing.T) {
	cases := []struct {
		url                      string
		source, typ, owner, name string
	}{
		{"https://huggingface.co/google-bert/bert-base-uncased", "huggingface", "model", "google-bert", "bert-base-uncased"},
		{"https://huggingface.co/openai/whisper-tiny/tree/main", "huggingface", "model", "openai", "whisper-tiny"},
		{"https://huggingface.co/gpt2", "huggingface", "model", "", "gpt2"},
		{"https://huggingface.co/datasets/bookcorpus/bookcorpus", "huggingface", "dataset", "bookcorpus", "bookcorpus"},
		{"https://github.com/google-research/bert.git", "github", "code", "google-research", "bert"},
		{"https://github.com/openai/whisper/blob/main/README.md", "github", "code", "openai", "whisper"},
		{"https://example.com/models/resnet50.tar.gz", "other", "", "", "resnet50.tar.gz"},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			resp := runParseArtifactURL(t, c.url)
			if resp.Error != nil {
				t.Fatalf("unexpected error: %s", resp.Error)
			}
			want := function.NewResultData(parsedObject(t, c.source, c.typ, c.owner, c.name))
			if !resp.Result.Equal(want) {
				t.Errorf("got %s, want %s", resp.Result.Value(), want.Value())
			}
		})
	}
}

// The function must give exactly the name the registry (server and client)
// derive, or a configuration that predicts a name would disagree with state.
func TestParseArtifactURLFunction_NameMatchesRegistry(t *testing.T) {
	for _, url := range []string{
		"https://huggingface.co/google-bert/bert-base-uncased",
		"https://huggingface.co/datasets/squad",
		"https://github.com/google-research/bert/tree/master/src",
		"http://example.com",
	} {
		want, err := artifact.DeriveName(url)
		if err != nil {
			t.Fatalf("DeriveName(%q): %v", url, err)
		}
		resp := runParseArtifactURL(t, url)
		if resp.Error != nil {
			t.Fatalf("%s: unexpected error: %s", url, resp.Error)
		}
		obj, ok := resp.Result.Value().(types.Object)
		if !ok {
			t.Fatalf("%s: result is %T, want types.Object", url, resp.Result.Value())
		}
		name, ok := obj.Attributes()["name"].(types.String)
		if !ok || name.ValueString() != want {
			t.Errorf("%s: name = %v, want %q", url, obj.Attributes()["name"], want)
		}
	}
}

func TestParseArtifactURLFunction_RunErrors(t *testing.T) {
	for _, url := range []string{
		"ftp://example.com/model.bin",
		"not a url",
		"https://github.com/onlyowner",
		"https://huggingface.co/datasets",
	} {
		t.Run(url, func(t *testing.T) {
			resp := runParseArtifactURL(t, url)
			if resp.Error == nil {
				t.Fatalf("want an error, got %s", resp.Result.Value())
			}
			if resp.Error.FunctionArgument == nil || *resp.Error.FunctionArgument != 0 {
				t.Errorf("error should point at argument 0: %+v", resp.Error)
			}
			if !strings.Contains(resp.Error.Text, `"`+url+`"`) {
				t.Errorf("error should quote the URL %q: %s", url, resp.Error.Text)
			}
			if !resp.Result.Value().IsUnknown() {
				t.Errorf("no result expected on error, got %s", resp.Result.Value())
			}
		})
	}
}

// Acceptance tests: the real terraform CLI calls the function; no registry is
// needed, so these run with TF_ACC=1 alone.
func TestAccParseArtifactURLFunction(t *testing.T) {
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   testAccCLIAtLeast(tfversion.Version1_8_0),
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `
output "model" {
  value = provider::registry::parse_artifact_url("https://huggingface.co/google-bert/bert-base-uncased/tree/main")
}

output "dataset" {
  value = provider::registry::parse_artifact_url("https://huggingface.co/datasets/bookcorpus/bookcorpus")
}

output "code" {
  value = provider::registry::parse_artifact_url("https://github.com/google-research/bert.git")
}

output "canonical_model" {
  value = provider::registry::parse_artifact_url("https://huggingface.co/gpt2")
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("model", knownvalue.ObjectExact(map[string]knownvalue.Check{
						"source": knownvalue.StringExact("huggingface"),
						"type":   knownvalue.StringExact("model"),
						"owner":  knownvalue.StringExact("google-bert"),
						"name":   knownvalue.StringExact("bert-base-uncased"),
					})),
					statecheck.ExpectKnownOutputValue("dataset", knownvalue.ObjectExact(map[string]knownvalue.Check{
						"source": knownvalue.StringExact("huggingface"),
						"type":   knownvalue.StringExact("dataset"),
						"owner":  knownvalue.StringExact("bookcorpus"),
						"name":   knownvalue.StringExact("bookcorpus"),
					})),
					statecheck.ExpectKnownOutputValue("code", knownvalue.ObjectExact(map[string]knownvalue.Check{
						"source": knownvalue.StringExact("github"),
						"type":   knownvalue.StringExact("code"),
						"owner":  knownvalue.StringExact("google-research"),
						"name":   knownvalue.StringExact("bert"),
					})),
					statecheck.ExpectKnownOutputValue("canonical_model", knownvalue.ObjectExact(map[string]knownvalue.Check{
						"source": knownvalue.StringExact("huggingface"),
						"type":   knownvalue.StringExact("model"),
						"owner":  knownvalue.Null(),
						"name":   knownvalue.StringExact("gpt2"),
					})),
				},
			},
		},
	})
}

// A value known only at apply time (here from terraform_data) goes through
// the function during apply, and the name is usable in expressions.
func TestAccParseArtifactURLFunction_unknownAtPlan(t *testing.T) {
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   testAccCLIAtLeast(tfversion.Version1_8_0),
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `
resource "terraform_data" "url" {
  input = "https://huggingface.co/datasets/squad"
}

output "name" {
  value = "${provider::registry::parse_artifact_url(terraform_data.url.output).type}/${provider::registry::parse_artifact_url(terraform_data.url.output).name}"
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("name", knownvalue.StringExact("dataset/squad")),
				},
			},
		},
	})
}

func TestAccParseArtifactURLFunction_invalidURL(t *testing.T) {
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   testAccCLIAtLeast(tfversion.Version1_8_0),
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: `
output "bad" {
  value = provider::registry::parse_artifact_url("ftp://example.com/model.bin")
}
`,
				ExpectError: regexp.MustCompile(`(?s)Cannot read the artifact URL:.*"ftp://example.com/model.bin"`),
			},
			{
				Config: `
output "bad" {
  value = provider::registry::parse_artifact_url("https://github.com/onlyowner")
}
`,
				ExpectError: regexp.MustCompile(`(?s)"https://github.com/onlyowner".*github.com/<owner>/<repo>`),
			},
		},
	})
}
