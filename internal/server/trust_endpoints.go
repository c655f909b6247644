package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/rating"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/upstream"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// Lineage sources and relationships (ArtifactLineageNode.source,
// ArtifactLineageEdge.relationship).
const (
	sourceRegistry  = "registry"
	sourceConfig    = "config_json"
	sourceModelCard = "model_card"

	relBaseModel       = "base_model"
	relFineTuneDataset = "fine_tuning_dataset"
	relTrainingDataset = "training_dataset"
	relCode            = "code_repository"
)

// link is one upstream reference of a model to another artifact.
type link struct {
	typ          string // model, dataset or code
	ref          string // HF repo id, or owner/repo on GitHub
	source       string
	relationship string
}

// errMetadata: the model's upstream metadata is missing or malformed.
var errMetadata = errors.New("metadata missing or malformed")

// modelLinks reads a model's lineage references from its Hugging Face
// info (card metadata), config.json and card text.
func (s *Server) modelLinks(ctx context.Context, rec store.Record) ([]link, error) {
	repo, ok := hfRepoID(rec.URL, artifact.TypeModel)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not a Hugging Face model url", errMetadata, rec.URL)
	}
	up := s.trust.up
	info, err := up.HFModel(ctx, repo)
	if errors.Is(err, upstream.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", errMetadata, err.Error())
	}
	if err != nil {
		return nil, err
	}
	config, err := up.HFModelFile(ctx, repo, "config.json")
	switch {
	case errors.Is(err, upstream.ErrNotFound):
		config = nil
	case err != nil:
		return nil, err
	case !jsonObject(config):
		return nil, fmt.Errorf("%w: config.json of %s is not a JSON object", errMetadata, repo)
	}
	card, err := up.HFModelFile(ctx, repo, "README.md")
	if err != nil && !errors.Is(err, upstream.ErrNotFound) {
		return nil, err
	}
	var out []link
	fromConfig := rating.ConfigParent(config)
	for _, b := range rating.BaseModels(info, config) {
		src := sourceModelCard
		if strings.EqualFold(b, fromConfig) {
			src = sourceConfig
		}
		out = append(out, link{typ: artifact.TypeModel, ref: b, source: src, relationship: relBaseModel})
	}
	rel := relTrainingDataset
	if len(out) > 0 {
		rel = relFineTuneDataset
	}
	for _, d := range rating.CardDatasets(info) {
		out = append(out, link{typ: artifact.TypeDataset, ref: d, source: sourceModelCard, relationship: rel})
	}
	if owner, name, ok := rating.CodeLink(string(card)); ok {
		out = append(out, link{typ: artifact.TypeCode, ref: owner + "/" + name, source: sourceModelCard, relationship: relCode})
	}
	return out, nil
}

func jsonObject(b []byte) bool {
	var v map[string]any
	return json.Unmarshal(b, &v) == nil
}

// linkedRecords are the registry's artifacts that l names.
func linkedRecords(all []store.Record, l link) []store.Record {
	if l.typ != artifact.TypeCode {
		return matchRefs(all, l.typ, []string{l.ref})
	}
	var out []store.Record
	for _, rec := range all {
		if rec.Metadata.Type != artifact.TypeCode {
			continue
		}
		if p, err := artifact.Parse(rec.URL); err == nil && p.Source == artifact.SourceGitHub && strings.EqualFold(p.Owner+"/"+p.Name, l.ref) {
			out = append(out, rec)
		}
	}
	return out
}

// maxGraphNodes bounds the lineage and cost graphs (and so the upstream
// calls one request makes).
const maxGraphNodes = 50

// graph walks a model's links through the artifacts the registry holds,
// breadth first, expanding models (datasets and code have no links).
func (s *Server) graph(ctx context.Context, root store.Record) (wire.ArtifactLineageGraph, []store.Record, error) {
	all, err := store.All(ctx, s.store)
	if err != nil {
		return wire.ArtifactLineageGraph{}, nil, err
	}
	g := wire.ArtifactLineageGraph{Nodes: []wire.ArtifactLineageNode{}, Edges: []wire.ArtifactLineageEdge{}}
	seen := map[wire.ID]bool{root.Metadata.ID: true}
	order := []store.Record{root}
	g.Nodes = append(g.Nodes, wire.ArtifactLineageNode{ArtifactID: root.Metadata.ID, Name: root.Metadata.Name, Source: sourceRegistry, Metadata: map[string]any{"repository_url": root.URL}})
	for i := 0; i < len(order); i++ {
		cur := order[i]
		if cur.Metadata.Type != artifact.TypeModel {
			continue
		}
		links, err := s.modelLinks(ctx, cur)
		if err != nil {
			if i > 0 && errors.Is(err, errMetadata) {
				continue // a parent without metadata stays a leaf
			}
			return wire.ArtifactLineageGraph{}, nil, err
		}
		for _, l := range links {
			for _, dep := range linkedRecords(all, l) {
				if dep.Metadata.ID == cur.Metadata.ID {
					continue
				}
				g.Edges = append(g.Edges, wire.ArtifactLineageEdge{FromNodeArtifactID: dep.Metadata.ID, ToNodeArtifactID: cur.Metadata.ID, Relationship: l.relationship})
				if seen[dep.Metadata.ID] || len(order) >= maxGraphNodes {
					continue
				}
				seen[dep.Metadata.ID] = true
				order = append(order, dep)
				g.Nodes = append(g.Nodes, wire.ArtifactLineageNode{ArtifactID: dep.Metadata.ID, Name: dep.Metadata.Name, Source: l.source, Metadata: map[string]any{"repository_url": dep.URL}})
			}
		}
	}
	return g, order, nil
}

// upstreamFailure answers an upstream fault that the operation's spec has
// no status for: 502, naming the upstream.
func (s *Server) upstreamFailure(w http.ResponseWriter, r *http.Request, what string, err error) {
	switch {
	case errors.Is(err, context.Canceled):
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict):
		s.storeError(w, r, err)
	case errors.Is(err, upstream.ErrUnavailable), errors.Is(err, upstream.ErrNotFound):
		writeError(w, http.StatusBadGateway, what+": "+err.Error())
	default:
		s.storeError(w, r, err)
	}
}

func (s *Server) handleLineage(w http.ResponseWriter, r *http.Request, _ principal) {
	_, id, ok := pathArtifact(w, r)
	if !ok {
		return
	}
	rec, ok := s.lookup(w, r, artifact.TypeModel, id)
	if !ok {
		return
	}
	g, _, err := s.graph(r.Context(), rec)
	if errors.Is(err, errMetadata) {
		writeError(w, http.StatusBadRequest, "the lineage graph of "+id+" cannot be computed: "+err.Error())
		return
	}
	if err != nil {
		s.upstreamFailure(w, r, "the lineage graph of "+id+" cannot be computed", err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

// standaloneBytes is an artifact's download size: the size of the bundle
// the registry stores, or, when it stores none, what upstream reports: the
// sum of its Hugging Face files, or its GitHub repository's size (in KiB).
func (s *Server) standaloneBytes(ctx context.Context, rec store.Record) (int64, error) {
	if rec.Bundle != nil {
		return rec.Bundle.Size, nil
	}
	up := s.trust.up
	p, err := artifact.Parse(rec.URL)
	if err != nil {
		return 0, err
	}
	repo := p.Name
	if p.Owner != "" {
		repo = p.Owner + "/" + p.Name
	}
	var info upstream.HFRepoInfo
	switch {
	case p.Source == artifact.SourceGitHub:
		gh, err := up.GitHubRepository(ctx, p.Owner, p.Name)
		if err != nil {
			return 0, err
		}
		return gh.Size * 1024, nil
	case p.Source == artifact.SourceHuggingFace && p.Type == artifact.TypeModel:
		info, err = up.HFModel(ctx, repo)
	case p.Source == artifact.SourceHuggingFace && p.Type == artifact.TypeDataset:
		info, err = up.HFDataset(ctx, repo)
	default:
		return 0, fmt.Errorf("the size of %s cannot be read: only Hugging Face models and datasets and GitHub repositories have a known size", rec.URL)
	}
	if err != nil {
		return 0, err
	}
	b, ok := info.TotalSize()
	if !ok {
		return 0, fmt.Errorf("the Hugging Face Hub did not report the file sizes of %s", repo)
	}
	return b, nil
}

// megabytes is bytes in MB (10^6 bytes), to the kilobyte.
func megabytes(b int64) float64 { return math.Round(float64(b)/1e3) / 1e3 }

func (s *Server) handleCost(w http.ResponseWriter, r *http.Request, _ principal) {
	typ, id, ok := pathArtifact(w, r)
	if !ok {
		return
	}
	dependency := false
	if v := r.URL.Query().Get("dependency"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("dependency %q is not true or false", v))
			return
		}
		dependency = b
	}
	rec, ok := s.lookup(w, r, typ, id)
	if !ok {
		return
	}
	fail := func(err error) {
		if errors.Is(err, context.Canceled) {
			return
		}
		writeError(w, http.StatusInternalServerError, "the cost of "+id+" cannot be computed: "+err.Error())
	}
	if !dependency {
		b, err := s.standaloneBytes(r.Context(), rec)
		if err != nil {
			fail(err)
			return
		}
		writeJSON(w, http.StatusOK, wire.ArtifactCost{id: {TotalCost: megabytes(b)}})
		return
	}
	g, nodes, err := s.graph(r.Context(), rec)
	if err != nil && !errors.Is(err, errMetadata) {
		fail(err)
		return
	}
	if err != nil { // no metadata: the artifact alone
		nodes, g = []store.Record{rec}, wire.ArtifactLineageGraph{}
	}
	sizes := map[string]int64{}
	for _, n := range nodes {
		b, err := s.standaloneBytes(r.Context(), n)
		if err != nil {
			fail(err)
			return
		}
		sizes[n.ID()] = b
	}
	// deps[x]: the artifacts x depends on directly (edges point dependency -> dependant).
	deps := map[string][]string{}
	for _, e := range g.Edges {
		deps[string(e.ToNodeArtifactID)] = append(deps[string(e.ToNodeArtifactID)], string(e.FromNodeArtifactID))
	}
	out := wire.ArtifactCost{}
	for _, n := range nodes {
		// total_cost: the artifact and everything it depends on, each once.
		closure := map[string]bool{}
		stack := []string{n.ID()}
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if closure[x] {
				continue
			}
			closure[x] = true
			stack = append(stack, deps[x]...)
		}
		var total int64
		for x := range closure {
			total += sizes[x]
		}
		standalone := megabytes(sizes[n.ID()])
		out[n.ID()] = wire.ArtifactCostEntry{StandaloneCost: &standalone, TotalCost: megabytes(total)}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleLicenseCheck(w http.ResponseWriter, r *http.Request, _ principal) {
	_, id, ok := pathArtifact(w, r)
	if !ok {
		return
	}
	var body struct {
		GitHubURL *string `json:"github_url"`
	}
	if !decodeJSON(w, r, &body) {
		return
	}
	if body.GitHubURL == nil || strings.TrimSpace(*body.GitHubURL) == "" {
		writeError(w, http.StatusBadRequest, `the body needs a github_url such as {"github_url": "https://github.com/google-research/bert"}`)
		return
	}
	gh, err := artifact.Parse(*body.GitHubURL)
	if err == nil && gh.Source != artifact.SourceGitHub {
		err = fmt.Errorf("%q is not a github.com repository url", *body.GitHubURL)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "github_url: "+err.Error())
		return
	}
	rec, ok := s.lookup(w, r, artifact.TypeModel, id)
	if !ok {
		return
	}
	repo, ok := hfRepoID(rec.URL, artifact.TypeModel)
	if !ok {
		writeError(w, http.StatusBadRequest, "the license of "+id+" cannot be read: its url "+rec.URL+" is not a Hugging Face model")
		return
	}
	up := s.trust.up
	info, err := up.HFModel(r.Context(), repo)
	if errors.Is(err, upstream.ErrNotFound) {
		writeError(w, http.StatusNotFound, "the model's Hugging Face repository "+repo+" does not exist")
		return
	}
	if err != nil {
		s.upstreamFailure(w, r, "the model's license could not be retrieved", err)
		return
	}
	if _, err := up.GitHubRepository(r.Context(), gh.Owner, gh.Name); errors.Is(err, upstream.ErrNotFound) {
		writeError(w, http.StatusNotFound, "the GitHub project "+gh.Owner+"/"+gh.Name+" does not exist")
		return
	} else if err != nil {
		s.upstreamFailure(w, r, "the GitHub project's license could not be retrieved", err)
		return
	}
	lic, err := up.GitHubRepoLicense(r.Context(), gh.Owner, gh.Name)
	if errors.Is(err, upstream.ErrNotFound) {
		writeJSON(w, http.StatusOK, false) // no license file: all rights reserved
		return
	}
	if err != nil {
		s.upstreamFailure(w, r, "the GitHub project's license could not be retrieved", err)
		return
	}
	writeJSON(w, http.StatusOK, rating.Compatible(rating.ModelLicense(info), lic.SPDXID))
}

// createDeferred is POST /artifact/model in async mode: the model is
// stored hidden and queued; its ingest and rating run in the background
// (rateInBackground), and the answer is 202.
func (s *Server) createDeferred(w http.ResponseWriter, r *http.Request, p principal, rec store.Record) {
	// The place in the queue first: a create never waits for one, and
	// an artifact stored hidden is always queued for its rating.
	if !s.trust.reserveRating() {
		w.Header().Set("Retry-After", strconv.Itoa(ratingQueueRetryAfter))
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("the rating queue is full (%d models waiting for a rating) and nothing was stored; try again in %d s", s.cfg.RatingQueue, ratingQueueRetryAfter))
		return
	}
	rec.IngestPending = true
	created, err := s.trust.raw.Create(r.Context(), rec, s.auditEntry(p, rec.Metadata, store.ActionCreate))
	if err != nil {
		<-s.trust.slots
		s.storeError(w, r, err)
		return
	}
	s.trust.jobs <- ratingJob{id: created.ID(), user: p}
	writeJSON(w, http.StatusAccepted, s.toArtifact(r, created))
}

// rateBeforeCreate is the sync mode's rating of a model before anything is
// stored: 424 (false) when it is disqualified or cannot be computed,
// otherwise the rating is set in rec.
func (s *Server) rateBeforeCreate(w http.ResponseWriter, r *http.Request, p principal, rec *store.Record) bool {
	rt, err := s.computeRating(r.Context(), *rec, p)
	if err != nil {
		writeError(w, http.StatusFailedDependency, "the artifact is not registered: its rating could not be computed: "+err.Error())
		return false
	}
	if rt.NetScore < s.cfg.RatingMinNetScore {
		writeError(w, http.StatusFailedDependency, fmt.Sprintf(
			"the artifact is not registered: net_score %.4f is below the minimum %.4f (RATING_MIN_NET_SCORE); lowest scores: %s",
			rt.NetScore, s.cfg.RatingMinNetScore, lowestScores(rt)))
		return false
	}
	rec.Rating, _ = json.Marshal(rt)
	return true
}

// lowestScores names the three weakest metrics, for the 424 message.
func lowestScores(r wire.ModelRating) string {
	m := map[string]float64{
		"ramp_up_time": r.RampUpTime, "bus_factor": r.BusFactor, "performance_claims": r.PerformanceClaims,
		"license": r.License, "dataset_and_code_score": r.DatasetAndCodeScore, "dataset_quality": r.DatasetQuality,
		"code_quality": r.CodeQuality, "reproducibility": r.Reproducibility, "reviewedness": r.Reviewedness,
		"tree_score": r.TreeScore,
	}
	names := slices.Collect(maps.Keys(m))
	// Lowest first, ties by name, so the message is stable.
	slices.SortFunc(names, func(a, b string) int {
		if c := cmp.Compare(m[a], m[b]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, 0, 3)
	for _, n := range names[:3] {
		parts = append(parts, fmt.Sprintf("%s=%.2f", n, m[n]))
	}
	return strings.Join(parts, ", ")
}

func (s *Server) handleRate(w http.ResponseWriter, r *http.Request, p principal) {
	_, id, ok := pathArtifact(w, r)
	if !ok {
		return
	}
	rec, ok := s.lookup(w, r, artifact.TypeModel, id)
	if !ok {
		return
	}
	rt, err := s.ensureRating(r.Context(), rec, p)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return
		}
		s.log.Warn("rating failed", "artifact_id", id, "error", err.Error())
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("the rating of %s could not be computed: %s", id, err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, rt)
}
