package upstream

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

// The streams below are the bundle endpoints that internal/ingest reads
// through its own client (hc: its host policy, time limit and redirect
// rules; a stream is no 4 MiB answer), from the same configured bases and
// with the same GitHub headers as the calls above:
//
//   - Hugging Face "download files from the Hub"
//     (https://huggingface.co/docs/hub/en/models-downloading): GET
//     /{repo_id}/resolve/main/{file} for models and
//     /datasets/{repo_id}/resolve/main/{file} for datasets; large files
//     redirect to a CDN host.
//   - GitHub "download a repository archive (tar)"
//     (https://docs.github.com/en/rest/repos/contents#download-a-repository-archive-tar):
//     GET /repos/{owner}/{repo}/tarball, which redirects to codeload.
//   - GitHub "get a repository README"
//     (https://docs.github.com/en/rest/repos/contents#get-a-repository-readme):
//     GET /repos/{owner}/{repo}/readme, content base64-encoded.

// OpenHFFile opens a file of a Hugging Face model (dataset false) or
// dataset repository at main. The caller closes the body.
func (c *Client) OpenHFFile(ctx context.Context, hc *http.Client, dataset bool, repoID, file string) (*http.Response, error) {
	prefix := "/"
	if dataset {
		prefix = "/datasets/"
	}
	return c.open(ctx, hc, hubName, c.cfg.HFEndpoint, prefix+escapeRepo(repoID)+"/resolve/main/"+escapeRepo(file))
}

// OpenGitHubTarball opens the archive of a repository's default branch.
func (c *Client) OpenGitHubTarball(ctx context.Context, hc *http.Client, owner, repo string) (*http.Response, error) {
	return c.open(ctx, hc, githubName, c.cfg.GitHubAPIURL, repoPath(owner, repo)+"/tarball")
}

// GitHubReadme reads the README of a repository's default branch
// (ErrNotFound: none).
func (c *Client) GitHubReadme(ctx context.Context, owner, repo string) ([]byte, error) {
	var out struct {
		Content  string `json:"content"`
		Encoding string `json:"encoding"`
	}
	path := repoPath(owner, repo) + "/readme"
	if err := c.getJSON(ctx, githubName, c.cfg.GitHubAPIURL, path, &out); err != nil {
		return nil, err
	}
	if out.Encoding != "base64" {
		return []byte(out.Content), nil
	}
	// GitHub wraps the base64 text in lines.
	b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(out.Content, "\n", ""))
	if err != nil {
		return nil, &Error{Upstream: githubName, URL: c.cfg.GitHubAPIURL + path, Status: http.StatusOK, Reason: "the README content is not valid base64", kind: ErrUnavailable}
	}
	return b, nil
}

// Hosts are the host names of the configured bases (HF_ENDPOINT,
// GITHUB_API_URL): an operator chose them, so internal/ingest connects to
// them whatever their addresses (the replay runs on loopback).
func (c *Client) Hosts() []string {
	var out []string
	for _, b := range []string{c.cfg.HFEndpoint, c.cfg.GitHubAPIURL} {
		if u, err := url.Parse(b); err == nil {
			out = append(out, strings.ToLower(u.Hostname()))
		}
	}
	return out
}
