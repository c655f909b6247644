package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/ingest"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/rating"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/upstream"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// RatingMode says when models are rated (RATING_MODE).
type RatingMode string

const (
	// RatingOff registers every artifact; a model is rated on its first
	// GET /rate and the rating is stored.
	RatingOff RatingMode = "off"
	// RatingSync rates a model before storing it: 424 when net_score is
	// below RatingMinNetScore or the rating cannot be computed.
	RatingSync RatingMode = "sync"
	// RatingAsync stores the model hidden, answers 202 and rates it in the
	// background; a disqualified or failed rating drops it.
	RatingAsync RatingMode = "async"
)

// ratingQueueRetryAfter is the Retry-After, in seconds, of an asynchronous
// create refused because the rating queue is full: about how long a worker
// takes to rate a model (a few upstream calls).
const ratingQueueRetryAfter = 5

// DefaultRatingMinNetScore is RATING_MIN_NET_SCORE's default.
const DefaultRatingMinNetScore = 0.5

// TrustConfig configures the trust pipeline: where upstream facts come
// from and when models are rated. It is embedded in Config.
type TrustConfig struct {
	// HFEndpoint is the Hugging Face base (HF_ENDPOINT; default
	// https://huggingface.co).
	HFEndpoint string
	// GitHubAPIURL is the GitHub REST base (GITHUB_API_URL; default
	// https://api.github.com).
	GitHubAPIURL string
	// GitHubToken is sent as a bearer token when set (GITHUB_TOKEN).
	GitHubToken string
	// UpstreamTimeout bounds one upstream call (default 10s).
	UpstreamTimeout time.Duration
	// RatingMode is off (default), sync or async.
	RatingMode RatingMode
	// RatingMinNetScore disqualifies models below it in sync and async
	// modes (RATING_MIN_NET_SCORE; 0 means the default 0.5).
	RatingMinNetScore float64
	// RatingWorkers bounds concurrent background ratings (default 2).
	RatingWorkers int
	// RatingQueue bounds the asynchronous ratings waiting for a worker
	// (default 256); past it an asynchronous create answers 503 before
	// storing anything.
	RatingQueue int
}

// UnmarshalText reads RATING_MODE as ParseRatingMode does.
func (m *RatingMode) UnmarshalText(b []byte) error {
	v, err := ParseRatingMode(string(b))
	*m = v
	return err
}

// ParseRatingMode reads RATING_MODE ("" is off).
func ParseRatingMode(v string) (RatingMode, error) {
	switch m := RatingMode(strings.ToLower(strings.TrimSpace(v))); m {
	case "", RatingOff:
		return RatingOff, nil
	case RatingSync, RatingAsync:
		return m, nil
	}
	return "", fmt.Errorf("RATING_MODE %q: want off, sync or async", v)
}

// ratingJob is one background rating.
type ratingJob struct {
	id   string
	user principal
}

// trust is the state of the trust pipeline.
type trust struct {
	up    *upstream.Client
	in    *ingest.Ingester // nil when IngestConfig.Ingest is off
	rater *rating.Rater
	raw   store.Store // sees pending artifacts
	// jobs holds the ratings waiting for a worker; slots counts them plus
	// the creates that reserved a place, so that a reserved place is a
	// send that never blocks.
	jobs     chan ratingJob
	slots    chan struct{}
	inflight singleflight.Group
	cancel   context.CancelFunc
	ctx      context.Context
	wg       sync.WaitGroup
}

// startTrust builds the upstream client and the background workers, and
// requeues the artifacts whose asynchronous rating a restart interrupted.
func (s *Server) startTrust() error {
	c := &s.cfg.TrustConfig
	mode, err := ParseRatingMode(string(c.RatingMode))
	if err != nil {
		return err
	}
	c.RatingMode = mode
	if c.RatingMinNetScore == 0 {
		c.RatingMinNetScore = DefaultRatingMinNetScore
	}
	if c.RatingMinNetScore < 0 || c.RatingMinNetScore > 1 {
		return fmt.Errorf("RATING_MIN_NET_SCORE %v: want a number in [0, 1]", c.RatingMinNetScore)
	}
	if c.RatingWorkers <= 0 {
		c.RatingWorkers = 2
	}
	if c.RatingQueue <= 0 {
		c.RatingQueue = 256
	}
	up, err := upstream.New(upstream.Config{HFEndpoint: c.HFEndpoint, GitHubAPIURL: c.GitHubAPIURL, GitHubToken: c.GitHubToken, Timeout: c.UpstreamTimeout})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &trust{up: up, rater: &rating.Rater{Upstream: up}, raw: s.cfg.Storage.Store, jobs: make(chan ratingJob, c.RatingQueue), slots: make(chan struct{}, c.RatingQueue), ctx: ctx, cancel: cancel}
	s.trust = t
	s.startIngest()
	for range c.RatingWorkers {
		t.wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-t.jobs:
					<-t.slots
					s.rateInBackground(j)
				}
			}
		})
	}
	t.wg.Go(s.requeuePending)
	return nil
}

// Close stops the background ratings (an interrupted one stays pending
// and hidden, and is requeued by the next server on the same storage).
func (s *Server) Close() {
	s.trust.cancel()
	s.trust.wg.Wait()
}

func (s *Server) requeuePending() {
	all, err := store.All(s.trust.ctx, s.trust.raw)
	if err != nil {
		if s.trust.ctx.Err() == nil {
			s.log.Error("listing artifacts awaiting a rating failed; they stay hidden until the next start", "error", err.Error())
		}
		return
	}
	for _, rec := range all {
		if !rec.IngestPending {
			continue
		}
		if !s.deferredAtStart(rec) {
			s.trust.wg.Go(func() { s.removeWhenAbandoned(rec) })
			continue
		}
		select {
		case s.trust.slots <- struct{}{}:
			s.trust.jobs <- ratingJob{id: rec.ID(), user: principal{Name: rec.CreatedBy}}
		case <-s.trust.ctx.Done():
			return // stays pending (hidden); the next start requeues it
		}
	}
}

// reserveRating reserves a place in the rating queue without waiting, or
// reports that the queue is full.
func (t *trust) reserveRating() bool {
	select {
	case t.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

// visibleStore hides artifacts whose ingest is not done (IngestPending):
// an asynchronous rating, the spec's "404 until a rating result exists"
// for every endpoint, or a synchronous create writing its bundle.
type visibleStore struct{ store.Store }

func (v visibleStore) Get(ctx context.Context, id string) (store.Record, error) {
	r, err := v.Store.Get(ctx, id)
	if err == nil && r.IngestPending {
		return store.Record{}, store.ErrNotFound
	}
	return r, err
}

// Page leaves the pending artifacts out of the page, which may then be
// shorter than limit; next still says where to go on.
func (v visibleStore) Page(ctx context.Context, q store.Query, after string, limit int) ([]store.Record, string, error) {
	all, next, err := v.Store.Page(ctx, q, after, limit)
	if err != nil {
		return nil, "", err
	}
	out := all[:0]
	for _, r := range all {
		if !r.IngestPending {
			out = append(out, r)
		}
	}
	return out, next, nil
}

func (v visibleStore) Each(ctx context.Context, f func(store.Record) bool) error {
	return v.Store.Each(ctx, func(r store.Record) bool { return r.IngestPending || f(r) })
}

// hfRepoID is the Hugging Face repository of an artifact url.
func hfRepoID(url, wantType string) (string, bool) {
	p, err := artifact.Parse(url)
	if err != nil || p.Source != artifact.SourceHuggingFace || p.Type != wantType {
		return "", false
	}
	if p.Owner == "" {
		return p.Name, true
	}
	return p.Owner + "/" + p.Name, true
}

// errNotRatable: the url does not name a Hugging Face model.
var errNotRatable = errors.New("only Hugging Face model urls (https://huggingface.co/<owner>/<model>) can be rated")

// depthKey bounds the on-demand rating of lineage parents.
type depthKey struct{}

const maxParentDepth = 3

// computeRating rates rec without storing anything.
func (s *Server) computeRating(ctx context.Context, rec store.Record, user principal) (wire.ModelRating, error) {
	repo, ok := hfRepoID(rec.URL, artifact.TypeModel)
	if !ok {
		return wire.ModelRating{}, errNotRatable
	}
	depth, _ := ctx.Value(depthKey{}).(int)
	parents := func(ctx context.Context, refs []string) ([]float64, error) {
		if depth >= maxParentDepth {
			return nil, nil
		}
		all, err := store.All(ctx, s.store)
		if err != nil {
			return nil, err
		}
		var scores []float64
		for _, p := range matchRefs(all, artifact.TypeModel, refs) {
			if p.Metadata.ID == rec.Metadata.ID {
				continue
			}
			r, err := s.ensureRating(context.WithValue(ctx, depthKey{}, depth+1), p, user)
			if err != nil {
				return nil, fmt.Errorf("rating lineage parent %s: %w", p.Metadata.ID, err)
			}
			scores = append(scores, r.NetScore)
		}
		return scores, nil
	}
	return s.trust.rater.Rate(ctx, rec.Metadata.Name, repo, parents)
}

// ensureRating returns the stored rating of rec, or computes, stores and
// audits it (once, however many requests ask at the same time).
func (s *Server) ensureRating(ctx context.Context, rec store.Record, user principal) (wire.ModelRating, error) {
	if r, ok, err := storedRating(rec); ok || err != nil {
		return r, err
	}
	v, err, _ := s.trust.inflight.Do(rec.ID(), func() (any, error) {
		// Shared by every caller waiting on this id, so one caller going
		// away must not cancel it; the upstream timeouts bound it.
		ctx := context.WithoutCancel(ctx)
		// A caller that read the artifact before an earlier flight stored
		// its rating starts a flight of its own: read it afresh, so that the
		// rating is computed (and audited) once.
		cur, err := s.trust.raw.Get(ctx, rec.ID())
		if err != nil {
			return nil, err
		}
		if r, ok, err := storedRating(cur); ok || err != nil {
			return r, err
		}
		r, err := s.computeRating(ctx, cur, user)
		if err != nil {
			return nil, err
		}
		if err := s.storeRating(ctx, cur.ID(), r, user); err != nil {
			return nil, err
		}
		return r, nil
	})
	if err != nil {
		return wire.ModelRating{}, err
	}
	r, ok := v.(wire.ModelRating)
	if !ok {
		return wire.ModelRating{}, fmt.Errorf("rating %s: unexpected result", rec.Metadata.ID)
	}
	return r, nil
}

// storedRating is the rating stored with rec, if it has one.
func storedRating(rec store.Record) (wire.ModelRating, bool, error) {
	var r wire.ModelRating
	if len(rec.Rating) == 0 {
		return r, false, nil
	}
	if err := json.Unmarshal(rec.Rating, &r); err != nil {
		return r, false, fmt.Errorf("the stored rating of %s is not valid JSON", rec.Metadata.ID)
	}
	return r, true, nil
}

// storeRating writes r into the stored artifact (reading it afresh so that
// a concurrent update is not undone) together with its RATE entry.
func (s *Server) storeRating(ctx context.Context, id string, r wire.ModelRating, user principal) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	cur, err := s.trust.raw.Get(ctx, id)
	if err != nil {
		return err
	}
	cur.Rating = b
	e := s.auditEntry(user, cur.Metadata, store.ActionRate)
	return s.trust.raw.Update(ctx, cur, &e)
}

// rateInBackground finishes an asynchronous ingest: the artifact's facts
// and bundle are fetched (with ingest on) and it is rated; it becomes
// visible with them, or is dropped.
func (s *Server) rateInBackground(j ratingJob) {
	ctx := s.trust.ctx
	rec, err := s.trust.raw.Get(ctx, j.id)
	if err != nil || !rec.IngestPending {
		return // deleted or reset meanwhile, or already rated
	}
	if s.trust.in != nil {
		rec, err = s.ingestRecord(ctx, rec)
	}
	var r wire.ModelRating
	if err == nil {
		r, err = s.computeRating(ctx, rec, j.user)
	}
	if ctx.Err() != nil {
		s.dropBlob(context.WithoutCancel(ctx), rec.Bundle)
		return // shutting down: stays pending, requeued at the next start
	}
	if err == nil && r.NetScore >= s.cfg.RatingMinNetScore {
		rec.Rating, _ = json.Marshal(r)
		rec.IngestPending = false
		e := s.auditEntry(j.user, rec.Metadata, store.ActionRate)
		if err = s.trust.raw.Update(ctx, rec, &e); err == nil {
			return
		}
	}
	s.dropBlob(ctx, rec.Bundle)
	reason := "net_score below the minimum"
	if err != nil {
		reason = err.Error()
	}
	s.log.Info("asynchronous rating dropped the artifact", "artifact_id", j.id, "net_score", r.NetScore, "min_net_score", s.cfg.RatingMinNetScore, "reason", reason)
	if err := s.trust.raw.Delete(ctx, j.id); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("dropping a disqualified artifact failed; it stays hidden", "artifact_id", j.id, "error", err.Error())
	}
}

// matchRefs returns the records of typ whose Hugging Face repository is
// one of refs: the same repo id, or the same name when a ref has no owner
// or the record's url has none (bert-base-uncased and
// google-bert/bert-base-uncased are the same model on the Hub).
func matchRefs(all []store.Record, typ string, refs []string) []store.Record {
	var out []store.Record
	for _, rec := range all {
		if rec.Metadata.Type != typ {
			continue
		}
		repo, ok := hfRepoID(rec.URL, typ)
		if !ok {
			continue
		}
		for _, ref := range refs {
			if sameRepo(repo, ref) {
				out = append(out, rec)
				break
			}
		}
	}
	return out
}

func sameRepo(a, b string) bool {
	if strings.EqualFold(a, b) {
		return true
	}
	if !strings.Contains(a, "/") || !strings.Contains(b, "/") {
		return strings.EqualFold(path.Base(a), path.Base(b))
	}
	return false
}
