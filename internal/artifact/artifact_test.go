package artifact

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		url  string
		want Parsed
	}{
		{"https://huggingface.co/google-bert/bert-base-uncased", Parsed{SourceHuggingFace, TypeModel, "google-bert", "bert-base-uncased"}},
		{"https://huggingface.co/openai/whisper-tiny/tree/main", Parsed{SourceHuggingFace, TypeModel, "openai", "whisper-tiny"}},
		{"https://huggingface.co/gpt2", Parsed{SourceHuggingFace, TypeModel, "", "gpt2"}},
		{"https://huggingface.co/datasets/bookcorpus/bookcorpus", Parsed{SourceHuggingFace, TypeDataset, "bookcorpus", "bookcorpus"}},
		{"https://huggingface.co/datasets/squad", Parsed{SourceHuggingFace, TypeDataset, "", "squad"}},
		{"https://www.huggingface.co/google/gemma-2-2b/", Parsed{SourceHuggingFace, TypeModel, "google", "gemma-2-2b"}},
		{"https://github.com/openai/whisper", Parsed{SourceGitHub, TypeCode, "openai", "whisper"}},
		{"https://github.com/google-research/bert.git", Parsed{SourceGitHub, TypeCode, "google-research", "bert"}},
		{"https://github.com/google-research/bert/tree/master/src", Parsed{SourceGitHub, TypeCode, "google-research", "bert"}},
		{"https://example.com/models/resnet50.tar.gz", Parsed{SourceOther, "", "", "resnet50.tar.gz"}},
		{"http://example.com", Parsed{SourceOther, "", "", "example.com"}},
	}
	for _, c := range cases {
		got, err := Parse(c.url)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.url, err)
			continue
		}
		if got != c.want {
			t.Errorf("Parse(%q) = %+v, want %+v", c.url, got, c.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, raw := range []string{"", "ftp://example.com/x", "not a url", "/relative/path", "https://github.com/onlyowner", "https://huggingface.co/", "https://huggingface.co/datasets"} {
		if _, err := Parse(raw); err == nil {
			t.Errorf("Parse(%q): want an error", raw)
		}
	}
	if _, err := Parse("ftp://x/y"); !errors.Is(err, ErrNotHTTP) {
		t.Errorf("Parse(ftp): want ErrNotHTTP, got %v", err)
	}
}

func TestParseErrorsHidePasswords(t *testing.T) {
	for _, raw := range []string{"https://user:s3cret@github.com/onlyowner", "ftp://user:s3cret@example.com/x"} {
		_, err := Parse(raw)
		if err == nil {
			t.Fatalf("Parse(%q): want an error", raw)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Parse(%q) error %q shows the password", raw, err)
		}
	}
}

func TestTypesAndIDs(t *testing.T) {
	for _, typ := range Types() {
		if !ValidType(typ) {
			t.Errorf("ValidType(%q) = false", typ)
		}
	}
	for _, typ := range []string{"", "Model", "weights", "model "} {
		if ValidType(typ) {
			t.Errorf("ValidType(%q) = true", typ)
		}
	}
	for _, id := range []string{"3847247294", "model-42-1234567890", strings.Repeat("a", MaxIDLength)} {
		if !ValidID(id) {
			t.Errorf("ValidID(%q) = false", id)
		}
	}
	for _, id := range []string{"", "../x", "a/b", "a b", "a.b", strings.Repeat("a", MaxIDLength+1)} {
		if ValidID(id) {
			t.Errorf("ValidID(%q) = true", id)
		}
	}
}

// The near-identical urls of one source (host case, trailing slash, empty
// query or fragment) have one form; other differences stay.
func TestNormalizeURL(t *testing.T) {
	want := "https://huggingface.co/org/model"
	for _, u := range []string{
		want, " " + want + "\t", "https://HuggingFace.CO/org/model", "HTTPS://huggingface.co/org/model",
		want + "/", want + "//", want + "?", want + "#", want + "/?#",
	} {
		if got := NormalizeURL(u); got != want {
			t.Errorf("NormalizeURL(%q) = %q, want %q", u, got, want)
		}
		if !SameURL(u, want) {
			t.Errorf("SameURL(%q, %q) = false", u, want)
		}
	}
	for _, other := range []string{
		"https://huggingface.co/org/Model", "https://huggingface.co/org/model?rev=1", "https://huggingface.co/org/model#readme",
		"http://huggingface.co/org/model", "https://huggingface.co/org/model/tree/main",
	} {
		if SameURL(other, want) {
			t.Errorf("SameURL(%q, %q) = true, want another source", other, want)
		}
	}
	if got := NormalizeURL(" not a url "); got != "not a url" {
		t.Errorf("NormalizeURL of a non-url: %q, want it trimmed only", got)
	}
}

// A url whose derived name has control characters or is not UTF-8 is
// refused: such a name could never be looked up by name.
func TestDeriveNameRefusesUnsearchableNames(t *testing.T) {
	for _, u := range []string{
		"https://huggingface.co/org/a%00b", "https://github.com/org/x%0D%0Ay", "https://example.com/x%01",
		"https://huggingface.co/datasets/org/%FF", "https://example.com/tab%09name",
	} {
		if name, err := DeriveName(u); err == nil {
			t.Errorf("DeriveName(%q) = %q, want an error", u, name)
		}
	}
	if name, err := DeriveName("https://huggingface.co/org/caf%C3%A9"); err != nil || name != "café" {
		t.Errorf("DeriveName of a UTF-8 name: %q %v", name, err)
	}
}
