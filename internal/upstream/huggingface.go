package upstream

import (
	"context"
	"encoding/json"
)

// HFSibling is one file of a Hugging Face repository (siblings[]); Size is
// present only when the info was asked for with blobs=true.
type HFSibling struct {
	RFilename string `json:"rfilename"`
	Size      *int64 `json:"size,omitempty"`
}

// HFRepoInfo is the part of the Hub's ModelInfo / DatasetInfo that the
// registry reads.
type HFRepoInfo struct {
	ID          string      `json:"id"`
	Author      string      `json:"author"`
	SHA         string      `json:"sha"`
	Downloads   int64       `json:"downloads"`
	Likes       int64       `json:"likes"`
	Tags        []string    `json:"tags"`
	PipelineTag string      `json:"pipeline_tag"`
	CardData    HFCardData  `json:"cardData"`
	Siblings    []HFSibling `json:"siblings"`
}

// HFCardData is the model or dataset card's YAML metadata as the Hub
// returns it. base_model and datasets may be one string or a list.
type HFCardData struct {
	License    StringOrList `json:"license"`
	BaseModel  StringOrList `json:"base_model"`
	Datasets   StringOrList `json:"datasets"`
	ModelIndex []any        `json:"model-index"`
	// TaskCategories is a dataset card field.
	TaskCategories StringOrList `json:"task_categories"`
}

// StringOrList reads a YAML field that the card may give as a string or a
// list of strings.
type StringOrList []string

func (s *StringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		if one != "" {
			*s = StringOrList{one}
		}
		return nil
	}
	// Another shape (e.g. a list of objects) leaves the field absent
	// rather than failing the whole card.
	var many []string
	if json.Unmarshal(b, &many) != nil {
		many = nil
	}
	*s = many
	return nil
}

// TotalSize sums the sizes of the repository's files. ok is false when a
// size is missing (the info was read without blobs=true, or the Hub left it
// out), so that no caller treats an unknown size as zero.
func (i HFRepoInfo) TotalSize() (bytes int64, ok bool) {
	for _, s := range i.Siblings {
		if s.Size == nil {
			return 0, false
		}
		bytes += *s.Size
	}
	return bytes, len(i.Siblings) > 0
}

// HFModel reads GET /api/models/{repo_id}?blobs=true.
func (c *Client) HFModel(ctx context.Context, repoID string) (HFRepoInfo, error) {
	var info HFRepoInfo
	err := c.getJSON(ctx, hubName, c.cfg.HFEndpoint, "/api/models/"+escapeRepo(repoID)+"?blobs=true", &info)
	return info, err
}

// HFDataset reads GET /api/datasets/{repo_id}?blobs=true.
func (c *Client) HFDataset(ctx context.Context, repoID string) (HFRepoInfo, error) {
	var info HFRepoInfo
	err := c.getJSON(ctx, hubName, c.cfg.HFEndpoint, "/api/datasets/"+escapeRepo(repoID)+"?blobs=true", &info)
	return info, err
}

// HFModelFile reads GET /{repo_id}/resolve/main/{file} (README.md or
// config.json).
func (c *Client) HFModelFile(ctx context.Context, repoID, file string) ([]byte, error) {
	return c.get(ctx, hubName, c.cfg.HFEndpoint, "/"+escapeRepo(repoID)+"/resolve/main/"+file)
}

// HFDatasetReadme reads GET /datasets/{repo_id}/resolve/main/README.md.
func (c *Client) HFDatasetReadme(ctx context.Context, repoID string) ([]byte, error) {
	return c.get(ctx, hubName, c.cfg.HFEndpoint, "/datasets/"+escapeRepo(repoID)+"/resolve/main/README.md")
}
