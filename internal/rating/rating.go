// Package rating computes a model's ModelRating (OpenAPI 3.4.7) from its
// upstream facts: the Hugging Face model info, card and config, the GitHub
// repository the card links, the datasets the card names, and the ratings of
// its lineage parents held in the registry. Every metric is a deterministic
// formula over those facts, documented in cmd/registry-server/RATING.md;
// a metric whose facts cannot be read fails the whole rating (never a
// guessed value).
package rating

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/upstream"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// Weights of net_score (they sum to 1); see RATING.md for why.
var Weights = map[string]float64{
	"license":                0.15,
	"ramp_up_time":           0.10,
	"bus_factor":             0.10,
	"performance_claims":     0.10,
	"dataset_and_code_score": 0.10,
	"dataset_quality":        0.10,
	"code_quality":           0.10,
	"reproducibility":        0.10,
	"reviewedness":           0.05,
	"tree_score":             0.05,
	"size_score":             0.05,
}

// Device memory budgets of size_score, in bytes.
var deviceBudgets = struct{ RaspberryPi, JetsonNano, DesktopPC, AWSServer float64 }{1e9, 2e9, 16e9, 64e9}

// MetricError names the metric that could not be computed.
type MetricError struct {
	Metric string
	Err    error
}

func (e *MetricError) Error() string { return "metric " + e.Metric + ": " + e.Err.Error() }
func (e *MetricError) Unwrap() error { return e.Err }

// ParentScores returns the net_score of each lineage parent (base_model
// references of the card and config.json) held in the registry.
type ParentScores func(ctx context.Context, baseModels []string) ([]float64, error)

// Rater rates models.
type Rater struct {
	Upstream *upstream.Client
}

// GitHubLinkPattern finds github.com/<owner>/<repo> links in a card.
var GitHubLinkPattern = regexp.MustCompile(`https?://(?:www\.)?github\.com/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)`)

// CodeLink returns the first GitHub repository a card links.
func CodeLink(readme string) (owner, repo string, ok bool) {
	m := GitHubLinkPattern.FindStringSubmatch(readme)
	if m == nil {
		return "", "", false
	}
	return m[1], strings.TrimSuffix(strings.TrimSuffix(m[2], ".git"), "."), true
}

// facts fetches each upstream fact once, whichever metric asks first.
type facts struct {
	up     *upstream.Client
	repoID string

	infoOnce sync.Once
	info     upstream.HFRepoInfo
	infoErr  error

	readmeOnce sync.Once
	readme     string
	readmeErr  error

	configOnce sync.Once
	config     []byte
	configErr  error

	ghOnce   sync.Once
	gh       *upstream.GitHubRepo
	ghOwner  string
	ghName   string
	ghErr    error
	contribs []upstream.GitHubContributor
	cOnce    sync.Once
	cErr     error
}

func (f *facts) modelInfo(ctx context.Context) (upstream.HFRepoInfo, error) {
	f.infoOnce.Do(func() { f.info, f.infoErr = f.up.HFModel(ctx, f.repoID) })
	return f.info, f.infoErr
}

// card is the README; a model without one has an empty card (a fact).
func (f *facts) card(ctx context.Context) (string, error) {
	f.readmeOnce.Do(func() {
		b, err := f.up.HFModelFile(ctx, f.repoID, "README.md")
		if errors.Is(err, upstream.ErrNotFound) {
			err = nil
		}
		f.readme, f.readmeErr = string(b), err
	})
	return f.readme, f.readmeErr
}

func (f *facts) configJSON(ctx context.Context) ([]byte, error) {
	f.configOnce.Do(func() { f.config, f.configErr = f.up.HFModelFile(ctx, f.repoID, "config.json") })
	return f.config, f.configErr
}

// github returns the repository the card links, or nil when it links none
// or the link leads nowhere (a 404 is a fact: no code to credit).
func (f *facts) github(ctx context.Context) (*upstream.GitHubRepo, error) {
	f.ghOnce.Do(func() {
		readme, err := f.card(ctx)
		if err != nil {
			f.ghErr = err
			return
		}
		owner, name, ok := CodeLink(readme)
		if !ok {
			return
		}
		r, err := f.up.GitHubRepository(ctx, owner, name)
		if errors.Is(err, upstream.ErrNotFound) {
			return
		}
		if err != nil {
			f.ghErr = err
			return
		}
		f.gh, f.ghOwner, f.ghName = &r, owner, name
	})
	return f.gh, f.ghErr
}

func (f *facts) contributors(ctx context.Context) ([]upstream.GitHubContributor, error) {
	f.cOnce.Do(func() {
		gh, err := f.github(ctx)
		if err != nil || gh == nil {
			f.cErr = err
			return
		}
		f.contribs, f.cErr = f.up.GitHubContributors(ctx, f.ghOwner, f.ghName)
	})
	return f.contribs, f.cErr
}

// Rate computes every metric of the model repoID (a Hugging Face repo id),
// in parallel, each with its own latency.
func (r *Rater) Rate(ctx context.Context, name, repoID string, parents ParentScores) (wire.ModelRating, error) {
	f := &facts{up: r.Upstream, repoID: repoID}
	start := time.Now()
	out := wire.ModelRating{Name: name}
	var g errgroup.Group
	metric := func(key string, score *float64, latency *float64, compute func(context.Context) (float64, error)) {
		g.Go(func() error {
			t := time.Now()
			v, err := compute(ctx)
			*latency = seconds(time.Since(t))
			if err != nil {
				return &MetricError{Metric: key, Err: err}
			}
			*score = clamp(v)
			return nil
		})
	}
	metric("ramp_up_time", &out.RampUpTime, &out.RampUpTimeLatency, f.rampUp)
	metric("bus_factor", &out.BusFactor, &out.BusFactorLatency, f.busFactor)
	metric("performance_claims", &out.PerformanceClaims, &out.PerformanceClaimsLatency, f.performanceClaims)
	metric("license", &out.License, &out.LicenseLatency, f.license)
	metric("dataset_and_code_score", &out.DatasetAndCodeScore, &out.DatasetAndCodeScoreLatency, f.datasetAndCode)
	metric("dataset_quality", &out.DatasetQuality, &out.DatasetQualityLatency, f.datasetQuality)
	metric("code_quality", &out.CodeQuality, &out.CodeQualityLatency, f.codeQuality)
	metric("reproducibility", &out.Reproducibility, &out.ReproducibilityLatency, f.reproducibility)
	metric("reviewedness", &out.Reviewedness, &out.ReviewednessLatency, f.reviewedness)
	metric("tree_score", &out.TreeScore, &out.TreeScoreLatency, func(ctx context.Context) (float64, error) {
		return f.treeScore(ctx, parents)
	})
	g.Go(func() error {
		t := time.Now()
		s, err := f.sizeScore(ctx)
		out.SizeScoreLatency = seconds(time.Since(t))
		if err != nil {
			return &MetricError{Metric: "size_score", Err: err}
		}
		out.SizeScore = s
		return nil
	})
	var category string
	g.Go(func() error {
		info, err := f.modelInfo(ctx)
		if err != nil {
			return &MetricError{Metric: "category", Err: err}
		}
		category = info.PipelineTag
		return nil
	})
	if err := g.Wait(); err != nil {
		return wire.ModelRating{}, err
	}
	if category == "" {
		category = "unspecified"
	}
	out.Category = category
	out.NetScore = clamp(Weights["license"]*out.License +
		Weights["ramp_up_time"]*out.RampUpTime +
		Weights["bus_factor"]*out.BusFactor +
		Weights["performance_claims"]*out.PerformanceClaims +
		Weights["dataset_and_code_score"]*out.DatasetAndCodeScore +
		Weights["dataset_quality"]*out.DatasetQuality +
		Weights["code_quality"]*out.CodeQuality +
		Weights["reproducibility"]*out.Reproducibility +
		Weights["reviewedness"]*out.Reviewedness +
		Weights["tree_score"]*out.TreeScore +
		Weights["size_score"]*(out.SizeScore.RaspberryPi+out.SizeScore.JetsonNano+out.SizeScore.DesktopPC+out.SizeScore.AWSServer)/4)
	out.NetScore = round(out.NetScore)
	out.NetScoreLatency = seconds(time.Since(start))
	return out, nil
}

func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1e6) / 1e6 }

// round keeps scores readable and stable across platforms.
func round(v float64) float64 { return math.Round(v*1e4) / 1e4 }

func clamp(v float64) float64 {
	if math.IsNaN(v) || v < 0 {
		return 0
	}
	if v > 1 {
		return 1
	}
	return round(v)
}

func boolScore(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// logScore maps a count to [0, 1]: 0 at 0, 1 at 10^decades.
func logScore(n int64, decades float64) float64 {
	if n <= 0 {
		return 0
	}
	return math.Min(1, math.Log10(float64(n)+1)/decades)
}

// missing says which fact a metric lacked.
func missing(what string) error { return fmt.Errorf("%s is missing upstream", what) }
