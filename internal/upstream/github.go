package upstream

import (
	"context"
	"strconv"
)

// GitHubLicense is the license object of a repository or license answer.
type GitHubLicense struct {
	Key    string `json:"key"`
	Name   string `json:"name"`
	SPDXID string `json:"spdx_id"`
}

// GitHubRepo is the part of GET /repos/{owner}/{repo} the registry reads.
type GitHubRepo struct {
	FullName        string         `json:"full_name"`
	Description     string         `json:"description"`
	HTMLURL         string         `json:"html_url"`
	Size            int64          `json:"size"` // KiB
	StargazersCount int64          `json:"stargazers_count"`
	ForksCount      int64          `json:"forks_count"`
	Archived        bool           `json:"archived"`
	License         *GitHubLicense `json:"license"`
}

// GitHubContributor is one entry of /contributors.
type GitHubContributor struct {
	Login         string `json:"login"`
	Contributions int64  `json:"contributions"`
}

// GitHubPull is one entry of /pulls.
type GitHubPull struct {
	Number   int     `json:"number"`
	State    string  `json:"state"`
	MergedAt *string `json:"merged_at"`
}

// GitHubReview is one entry of /pulls/{number}/reviews.
type GitHubReview struct {
	State string `json:"state"`
}

func repoPath(owner, repo string) string {
	return "/repos/" + escapeRepo(owner+"/"+repo)
}

// GitHubRepository reads GET /repos/{owner}/{repo}.
func (c *Client) GitHubRepository(ctx context.Context, owner, repo string) (GitHubRepo, error) {
	var r GitHubRepo
	err := c.getJSON(ctx, githubName, c.cfg.GitHubAPIURL, repoPath(owner, repo), &r)
	return r, err
}

// GitHubContributors reads the first page of GET /repos/{owner}/{repo}/contributors.
func (c *Client) GitHubContributors(ctx context.Context, owner, repo string) ([]GitHubContributor, error) {
	var out []GitHubContributor
	err := c.getJSON(ctx, githubName, c.cfg.GitHubAPIURL, repoPath(owner, repo)+"/contributors?per_page=100", &out)
	return out, err
}

// GitHubRepoLicense reads GET /repos/{owner}/{repo}/license; ErrNotFound
// means no license file (or no repository).
func (c *Client) GitHubRepoLicense(ctx context.Context, owner, repo string) (GitHubLicense, error) {
	var out struct {
		License GitHubLicense `json:"license"`
	}
	err := c.getJSON(ctx, githubName, c.cfg.GitHubAPIURL, repoPath(owner, repo)+"/license", &out)
	return out.License, err
}

// GitHubClosedPulls reads GET /repos/{owner}/{repo}/pulls?state=closed&per_page=100.
func (c *Client) GitHubClosedPulls(ctx context.Context, owner, repo string) ([]GitHubPull, error) {
	var out []GitHubPull
	err := c.getJSON(ctx, githubName, c.cfg.GitHubAPIURL, repoPath(owner, repo)+"/pulls?state=closed&per_page=100", &out)
	return out, err
}

// GitHubReviews reads GET /repos/{owner}/{repo}/pulls/{number}/reviews.
func (c *Client) GitHubReviews(ctx context.Context, owner, repo string, number int) ([]GitHubReview, error) {
	var out []GitHubReview
	err := c.getJSON(ctx, githubName, c.cfg.GitHubAPIURL, repoPath(owner, repo)+"/pulls/"+strconv.Itoa(number)+"/reviews", &out)
	return out, err
}
