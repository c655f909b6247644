package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
)

var _ function.Function = (*ParseArtifactURLFunction)(nil)

// NewParseArtifactURLFunction returns the provider function
// provider::registry::parse_artifact_url.
func NewParseArtifactURLFunction() function.Function {
	return &ParseArtifactURLFunction{}
}

// ParseArtifactURLFunction tells what the registry makes of a source URL,
// so that configurations can compute an artifact's name before creating it
// (for example to look it up with the registry_artifact data source).
type ParseArtifactURLFunction struct{}

// parseArtifactURLResult is the function's return object.
type parseArtifactURLResult struct {
	Source types.String `tfsdk:"source"`
	Type   types.String `tfsdk:"type"`
	Owner  types.String `tfsdk:"owner"`
	Name   types.String `tfsdk:"name"`
}

var parseArtifactURLResultTypes = map[string]attr.Type{
	"source": types.StringType,
	"type":   types.StringType,
	"owner":  types.StringType,
	"name":   types.StringType,
}

func (f *ParseArtifactURLFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "parse_artifact_url"
}

func (f *ParseArtifactURLFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Parse a source URL into the artifact the registry derives from it",
		MarkdownDescription: "Parses the source URL of an artifact the way the registry does and returns an object with " +
			"the attributes `source`, `type`, `owner` and `name`:\n\n" +
			"- `source`: `huggingface`, `github`, or `other` for any other http(s) URL.\n" +
			"- `type`: the artifact type the URL points at: `model` (a Hugging Face model), `dataset` " +
			"(`huggingface.co/datasets/...`) or `code` (a GitHub repository or a Hugging Face space); " +
			"`null` when the source is `other`, whose URL does not tell the type.\n" +
			"- `owner`: the user or organisation; `null` when the URL has none (a canonical Hugging Face " +
			"model such as `https://huggingface.co/gpt2`, or a source of type `other`).\n" +
			"- `name`: the artifact name exactly as the registry derives it from the URL, i.e. the `name` " +
			"that `registry_artifact` will have after creation.\n\n" +
			"Route suffixes such as `/tree/main` or `/blob/...` and a trailing `.git` are ignored. " +
			"A value that is not an absolute http(s) URL, a Hugging Face URL without a repository, or a " +
			"GitHub URL without `<owner>/<repo>` is an error that quotes the URL.",
		Parameters: []function.Parameter{
			function.StringParameter{
				Name:                "url",
				MarkdownDescription: "Source URL of the artifact, e.g. `https://huggingface.co/google-bert/bert-base-uncased`, `https://huggingface.co/datasets/bookcorpus/bookcorpus` or `https://github.com/google-research/bert`.",
			},
		},
		Return: function.ObjectReturn{AttributeTypes: parseArtifactURLResultTypes},
	}
}

func (f *ParseArtifactURLFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var raw string
	resp.Error = function.ConcatFuncErrors(resp.Error, req.Arguments.Get(ctx, &raw))
	if resp.Error != nil {
		return
	}

	parsed, err := artifact.Parse(raw)
	if err != nil {
		// err quotes the URL and says what is wrong with it. No final period:
		// Terraform appends one.
		resp.Error = function.NewArgumentFuncError(0, fmt.Sprintf(
			"Cannot read the artifact URL: %s; expected a URL such as "+
				"https://huggingface.co/<owner>/<model>, https://huggingface.co/datasets/<owner>/<dataset> "+
				"or https://github.com/<owner>/<repo>", err))
		return
	}

	result := parseArtifactURLResult{
		Source: types.StringValue(parsed.Source),
		Type:   urlPartValue(parsed.Type),
		Owner:  urlPartValue(parsed.Owner),
		Name:   types.StringValue(parsed.Name),
	}
	resp.Error = function.ConcatFuncErrors(resp.Error, resp.Result.Set(ctx, &result))
}

// urlPartValue maps "the URL does not say" to null rather than "", so that
// configurations can tell it apart with `!= null` or coalesce().
func urlPartValue(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
