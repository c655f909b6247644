// Package artifact is the registry's artifact vocabulary: the artifact
// types, the id rule, and the source URLs that the registry ingests (Hugging
// Face models and datasets, GitHub repositories) with the name it derives
// from a URL. The registry server, its store, the API client and the
// provider share it, so that a type, an id or a name that one accepts the
// others accept too, and the name a user sees in Terraform is exactly the
// one the registry stores.
package artifact

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sources of a parsed URL.
const (
	SourceHuggingFace = "huggingface"
	SourceGitHub      = "github"
	SourceOther       = "other"
)

// Artifact types, as the API names them.
const (
	TypeModel   = "model"
	TypeDataset = "dataset"
	TypeCode    = "code"
)

// Types returns the artifact types in the API's order (its ArtifactType
// enum), a new slice on every call.
func Types() []string { return []string{TypeModel, TypeDataset, TypeCode} }

// ValidType reports whether t is one of the artifact types.
func ValidType(t string) bool {
	return t == TypeModel || t == TypeDataset || t == TypeCode
}

// IDPattern is the API's ArtifactID pattern.
var IDPattern = regexp.MustCompile(`^[a-zA-Z0-9\-]+$`)

// IDRule is IDPattern in words.
const IDRule = "letters, digits and hyphens"

// MaxIDLength bounds the ids the registry accepts beyond the API's pattern,
// which sets no length: an id becomes an object key and a path segment.
const MaxIDLength = 200

// ValidID reports whether the registry accepts id: IDPattern, at most
// MaxIDLength characters. Every id that reaches a storage key or an SQL
// parameter has passed it, so "../x" or "a/b" never become keys or paths.
func ValidID(id string) bool {
	return len(id) <= MaxIDLength && IDPattern.MatchString(id)
}

// Parsed is what a source URL says about the artifact behind it.
type Parsed struct {
	// Source is huggingface, github or other.
	Source string
	// Type is the artifact type the URL points at: model, dataset or code.
	// Empty for a URL of another source, whose type the URL does not tell.
	Type string
	// Owner is the user or organisation; empty when the URL has none.
	Owner string
	// Name is the artifact name the registry derives from the URL.
	Name string
}

// ErrNotHTTP is returned for a URL that is not an absolute http(s) URL.
var ErrNotHTTP = errors.New("not an absolute http(s) URL")

// ValidateHTTP checks that raw is an absolute http or https URL with a host.
func ValidateHTTP(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("%q: %w", raw, ErrNotHTTP)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q: %w", shown(u, raw), ErrNotHTTP)
	}
	return u, nil
}

// Segments of Hugging Face and GitHub URLs that follow the repository path
// (tree/main, blob/..., resolve/...) and are not part of the name.
var trailingRouteSegments = map[string]bool{
	"tree": true, "blob": true, "resolve": true, "raw": true, "commits": true,
	"commit": true, "discussions": true, "files": true, "releases": true,
	"issues": true, "pulls": true, "wiki": true, "archive": true,
}

// Parse reads a Hugging Face model or dataset URL or a GitHub repository URL.
// For any other http(s) URL it returns Source "other" and the last path
// segment (or the host) as the name, which is how the registry names it.
func Parse(raw string) (Parsed, error) {
	u, err := ValidateHTTP(raw)
	if err != nil {
		return Parsed{}, err
	}
	quoted := shown(u, raw)
	host := strings.ToLower(strings.TrimPrefix(u.Hostname(), "www."))
	segs := splitPath(u.Path)

	switch host {
	case "huggingface.co", "hf.co":
		return parseHuggingFace(quoted, segs)
	case "github.com":
		if len(segs) < 2 {
			return Parsed{}, fmt.Errorf("%q: a GitHub URL must name a repository as github.com/<owner>/<repo>", quoted)
		}
		return Parsed{Source: SourceGitHub, Type: TypeCode, Owner: segs[0], Name: strings.TrimSuffix(segs[1], ".git")}, nil
	}

	name := host
	for i := len(segs) - 1; i >= 0; i-- {
		if !trailingRouteSegments[segs[i]] && segs[i] != "main" && segs[i] != "master" {
			name = strings.TrimSuffix(segs[i], ".git")
			break
		}
	}
	return Parsed{Source: SourceOther, Name: name}, nil
}

func parseHuggingFace(quoted string, segs []string) (Parsed, error) {
	typ := TypeModel
	if len(segs) > 0 && (segs[0] == "datasets" || segs[0] == "spaces") {
		if segs[0] == "spaces" {
			typ = TypeCode
		} else {
			typ = TypeDataset
		}
		segs = segs[1:]
	}
	repo := segs
	for i, s := range segs {
		if trailingRouteSegments[s] {
			repo = segs[:i]
			break
		}
	}
	switch len(repo) {
	case 0:
		return Parsed{}, fmt.Errorf("%q: a Hugging Face URL must name a repository as huggingface.co/[datasets/]<owner>/<name>", quoted)
	case 1:
		// Canonical models without an owner, such as huggingface.co/gpt2.
		return Parsed{Source: SourceHuggingFace, Type: typ, Name: repo[0]}, nil
	default:
		return Parsed{Source: SourceHuggingFace, Type: typ, Owner: repo[0], Name: repo[1]}, nil
	}
}

// shown is raw as errors quote it: as typed, but without a password it may
// carry.
func shown(u *url.URL, raw string) string {
	if _, hasPassword := u.User.Password(); hasPassword {
		return u.Redacted()
	}
	return raw
}

// DeriveName is the artifact name the registry gives the artifact at raw.
// A url whose name would not be a ValidName (a path segment such as %00,
// %0D%0A or %FF) is refused, so that every stored name can be looked up.
func DeriveName(raw string) (string, error) {
	p, err := Parse(raw)
	if err != nil {
		return "", err
	}
	if !ValidName(p.Name) {
		return "", fmt.Errorf("%q: the name taken from it, %q, %s", raw, p.Name, NameRule)
	}
	return p.Name, nil
}

// NameRule is ValidName in words.
const NameRule = "must be non-empty UTF-8 text without control characters"

// ValidName accepts the spec's "keyboard" names: any non-empty UTF-8 text
// without control characters.
func ValidName(name string) bool {
	return name != "" && utf8.ValidString(name) && !strings.ContainsFunc(name, unicode.IsControl)
}

// NormalizeURL is the form of a source url that the registry compares: two
// urls with the same form are the same source (the registry's 409 rule,
// and the provider's lookups by url). It trims surrounding white space,
// lowercases the scheme and the host, drops trailing slashes of the path
// and an empty query ("?") or fragment ("#"). The rest (the path's case, a
// non-empty query or fragment) is kept: it may name another source. A url
// that does not parse as absolute is only trimmed.
func NormalizeURL(raw string) string {
	s := strings.TrimSpace(raw)
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return s
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	u.Path, u.RawPath = strings.TrimRight(u.Path, "/"), strings.TrimRight(u.RawPath, "/")
	u.ForceQuery = false // String leaves out an empty fragment itself
	return u.String()
}

// SameURL reports whether a and b are the same source (NormalizeURL).
func SameURL(a, b string) bool { return NormalizeURL(a) == NormalizeURL(b) }

func splitPath(p string) []string {
	var out []string
	for _, s := range strings.Split(path.Clean("/"+p), "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
