package rating

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"path"
	"regexp"
	"strings"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/upstream"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// StripFrontMatter removes a card's leading YAML block.
func StripFrontMatter(card string) string {
	if !strings.HasPrefix(card, "---") {
		return card
	}
	rest := card[3:]
	if i := strings.Index(rest, "\n---"); i >= 0 {
		return strings.TrimPrefix(rest[i+4:], "\n")
	}
	return card
}

var (
	headingPattern   = regexp.MustCompile(`(?m)^#{1,6}\s+\S`)
	fencePattern     = regexp.MustCompile("(?s)```[^\n]*\n(.*?)```")
	runnablePattern  = regexp.MustCompile(`from_pretrained|pipeline\(|\bimport\s|\bpython\s|pip install`)
	resultHeading    = regexp.MustCompile(`(?mi)^#{1,6}.*(evaluation|results|benchmark|performance)`)
	tableRow         = regexp.MustCompile(`(?m)^\s*\|.*\|\s*$`)
	metricWords      = regexp.MustCompile(`(?i)\b(accuracy|f1|bleu|rouge|wer|perplexity|exact match|glue|squad)\b`)
	weightExtensions = []string{".safetensors", ".bin", ".pt", ".pth", ".h5", ".msgpack", ".onnx", ".gguf", ".ckpt", ".ot"}
)

// rampUp: 0.4·min(1, words/500) + 0.3·[a fenced code block] + 0.3·min(1, headings/5).
func (f *facts) rampUp(ctx context.Context) (float64, error) {
	card, err := f.card(ctx)
	if err != nil {
		return 0, err
	}
	body := StripFrontMatter(card)
	words := float64(len(strings.Fields(body)))
	headings := float64(len(headingPattern.FindAllString(body, -1)))
	return 0.4*math.Min(1, words/500) + 0.3*boolScore(fencePattern.MatchString(body)) + 0.3*math.Min(1, headings/5), nil
}

// busFactor: (1 − top contributor's share of contributions) · min(1, contributors/5);
// 0 without a linked GitHub repository.
func (f *facts) busFactor(ctx context.Context) (float64, error) {
	cs, err := f.contributors(ctx)
	if err != nil || len(cs) == 0 {
		return 0, err
	}
	var total, top int64
	for _, c := range cs {
		total += c.Contributions
		top = max(top, c.Contributions)
	}
	if total == 0 {
		return 0, nil
	}
	return (1 - float64(top)/float64(total)) * math.Min(1, float64(len(cs))/5), nil
}

// performanceClaims: 1 with structured results (model-index), 0.75 with a
// results heading and a table in the card, 0.5 when the card names a
// metric, else 0.
func (f *facts) performanceClaims(ctx context.Context) (float64, error) {
	info, err := f.modelInfo(ctx)
	if err != nil {
		return 0, err
	}
	if len(info.CardData.ModelIndex) > 0 {
		return 1, nil
	}
	card, err := f.card(ctx)
	if err != nil {
		return 0, err
	}
	body := StripFrontMatter(card)
	switch {
	case resultHeading.MatchString(body) && tableRow.MatchString(body):
		return 0.75, nil
	case metricWords.MatchString(body):
		return 0.5, nil
	}
	return 0, nil
}

// ModelLicense is the card's license, else the Hub's license:<id> tag.
func ModelLicense(info upstream.HFRepoInfo) string {
	if len(info.CardData.License) > 0 {
		return info.CardData.License[0]
	}
	for _, t := range info.Tags {
		if id, ok := strings.CutPrefix(t, "license:"); ok {
			return id
		}
	}
	return ""
}

// license: the score of the license's class (see license.go).
func (f *facts) license(ctx context.Context) (float64, error) {
	info, err := f.modelInfo(ctx)
	if err != nil {
		return 0, err
	}
	return licenseScore(ClassOf(ModelLicense(info))), nil
}

// CardDatasets are the datasets the card names (cardData.datasets, else
// the Hub's dataset:<id> tags).
func CardDatasets(info upstream.HFRepoInfo) []string {
	if len(info.CardData.Datasets) > 0 {
		return info.CardData.Datasets
	}
	var out []string
	for _, t := range info.Tags {
		if id, ok := strings.CutPrefix(t, "dataset:"); ok {
			out = append(out, id)
		}
	}
	return out
}

// datasetAndCode: 0.5·[the card names a dataset] + 0.5·[the card links a GitHub repository that exists].
func (f *facts) datasetAndCode(ctx context.Context) (float64, error) {
	info, err := f.modelInfo(ctx)
	if err != nil {
		return 0, err
	}
	gh, err := f.github(ctx)
	if err != nil {
		return 0, err
	}
	return 0.5*boolScore(len(CardDatasets(info)) > 0) + 0.5*boolScore(gh != nil), nil
}

// maxDatasets bounds the upstream calls of dataset_quality.
const maxDatasets = 5

// datasetQuality: the mean over the (first five) named datasets of
// 0.3·[known license] + 0.2·[task categories] + 0.3·min(1, card words/300)
// + 0.2·min(1, log10(downloads+1)/5); a named dataset that does not exist
// counts 0; no named dataset gives 0.
func (f *facts) datasetQuality(ctx context.Context) (float64, error) {
	info, err := f.modelInfo(ctx)
	if err != nil {
		return 0, err
	}
	names := CardDatasets(info)
	if len(names) > maxDatasets {
		names = names[:maxDatasets]
	}
	if len(names) == 0 {
		return 0, nil
	}
	var sum float64
	for _, n := range names {
		d, err := f.up.HFDataset(ctx, n)
		if errors.Is(err, upstream.ErrNotFound) {
			continue
		}
		if err != nil {
			return 0, err
		}
		readme, err := f.up.HFDatasetReadme(ctx, n)
		if err != nil && !errors.Is(err, upstream.ErrNotFound) {
			return 0, err
		}
		lic := ""
		if len(d.CardData.License) > 0 {
			lic = d.CardData.License[0]
		}
		known := lic != "" && lic != "unknown" && lic != "other"
		words := float64(len(strings.Fields(StripFrontMatter(string(readme)))))
		sum += 0.3*boolScore(known) + 0.2*boolScore(len(d.CardData.TaskCategories) > 0) +
			0.3*math.Min(1, words/300) + 0.2*logScore(d.Downloads, 5)
	}
	return sum / float64(len(names)), nil
}

// codeQuality: 0.3·[license] + 0.2·[description] + 0.2·[not archived] +
// 0.3·min(1, log10(stars+1)/4) of the linked GitHub repository; 0 without one.
func (f *facts) codeQuality(ctx context.Context) (float64, error) {
	gh, err := f.github(ctx)
	if err != nil || gh == nil {
		return 0, err
	}
	licensed := gh.License != nil && gh.License.SPDXID != "" && gh.License.SPDXID != "NOASSERTION"
	return 0.3*boolScore(licensed) + 0.2*boolScore(strings.TrimSpace(gh.Description) != "") +
		0.2*boolScore(!gh.Archived) + 0.3*logScore(gh.StargazersCount, 4), nil
}

// reproducibility: 1 when the card has a fenced code block that runs the
// model (from_pretrained, pipeline(, import, pip install), 0.5 for any
// other fenced code block, else 0.
func (f *facts) reproducibility(ctx context.Context) (float64, error) {
	card, err := f.card(ctx)
	if err != nil {
		return 0, err
	}
	blocks := fencePattern.FindAllStringSubmatch(StripFrontMatter(card), -1)
	if len(blocks) == 0 {
		return 0, nil
	}
	for _, b := range blocks {
		if runnablePattern.MatchString(b[1]) {
			return 1, nil
		}
	}
	return 0.5, nil
}

// maxReviewedPulls bounds the review calls of reviewedness.
const maxReviewedPulls = 20

// reviewedness: the share of the (20 most recent) merged pull requests of
// the linked repository with at least one review; 0 without a repository
// or merged pull requests.
func (f *facts) reviewedness(ctx context.Context) (float64, error) {
	gh, err := f.github(ctx)
	if err != nil || gh == nil {
		return 0, err
	}
	pulls, err := f.up.GitHubClosedPulls(ctx, f.ghOwner, f.ghName)
	if err != nil {
		return 0, err
	}
	merged, reviewed := 0, 0
	for _, p := range pulls {
		if p.MergedAt == nil || merged == maxReviewedPulls {
			continue
		}
		merged++
		rs, err := f.up.GitHubReviews(ctx, f.ghOwner, f.ghName, p.Number)
		if err != nil {
			return 0, err
		}
		if len(rs) > 0 {
			reviewed++
		}
	}
	if merged == 0 {
		return 0, nil
	}
	return float64(reviewed) / float64(merged), nil
}

// BaseModels are the model's lineage parents: the card's base_model and
// config.json's _name_or_path when it names another repository.
func BaseModels(info upstream.HFRepoInfo, config []byte) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s == "" || strings.EqualFold(s, info.ID) || seen[strings.ToLower(s)] {
			return
		}
		seen[strings.ToLower(s)] = true
		out = append(out, s)
	}
	for _, b := range info.CardData.BaseModel {
		add(b)
	}
	if ref := ConfigParent(config); ref != "" && !strings.EqualFold(path.Base(ref), path.Base(info.ID)) {
		add(ref)
	}
	return out
}

// ConfigParent is config.json's _name_or_path when it is a repository id
// (not a local path).
func ConfigParent(config []byte) string {
	var c struct {
		NameOrPath string `json:"_name_or_path"`
	}
	if json.Unmarshal(config, &c) != nil || strings.HasPrefix(c.NameOrPath, "/") || strings.HasPrefix(c.NameOrPath, ".") {
		return ""
	}
	return c.NameOrPath
}

// treeScore: the mean net_score of the lineage parents held in the
// registry; 1 when none is (no inherited risk is known).
func (f *facts) treeScore(ctx context.Context, parents ParentScores) (float64, error) {
	info, err := f.modelInfo(ctx)
	if err != nil {
		return 0, err
	}
	config, err := f.configJSON(ctx)
	if err != nil && !errors.Is(err, upstream.ErrNotFound) {
		return 0, err
	}
	refs := BaseModels(info, config)
	if len(refs) == 0 || parents == nil {
		return 1, nil
	}
	scores, err := parents(ctx, refs)
	if err != nil {
		return 0, err
	}
	if len(scores) == 0 {
		return 1, nil
	}
	var sum float64
	for _, s := range scores {
		sum += s
	}
	return sum / float64(len(scores)), nil
}

// WeightBytes is the size of one copy of the weights: the files of the
// first format present in the order of weightExtensions (safetensors
// first), since a repository often holds the same weights in several
// formats. ok is false when sizes are missing.
func WeightBytes(info upstream.HFRepoInfo) (bytes int64, ok bool) {
	for _, ext := range weightExtensions {
		found := false
		for _, s := range info.Siblings {
			if strings.HasSuffix(s.RFilename, ext) {
				if s.Size == nil {
					return 0, false
				}
				bytes += *s.Size
				found = true
			}
		}
		if found {
			return bytes, true
		}
	}
	return info.TotalSize()
}

// sizeScore: per device, max(0, 1 − weight bytes / budget) with budgets of
// 1 GB (Raspberry Pi), 2 GB (Jetson Nano), 16 GB (desktop PC) and 64 GB
// (AWS server).
func (f *facts) sizeScore(ctx context.Context) (wire.SizeScore, error) {
	info, err := f.modelInfo(ctx)
	if err != nil {
		return wire.SizeScore{}, err
	}
	b, ok := WeightBytes(info)
	if !ok {
		return wire.SizeScore{}, missing("the file sizes of " + f.repoID)
	}
	s := func(budget float64) float64 { return clamp(1 - float64(b)/budget) }
	return wire.SizeScore{
		RaspberryPi: s(deviceBudgets.RaspberryPi),
		JetsonNano:  s(deviceBudgets.JetsonNano),
		DesktopPC:   s(deviceBudgets.DesktopPC),
		AWSServer:   s(deviceBudgets.AWSServer),
	}, nil
}
