package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/ingest"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// IngestConfig says what the registry fetches and keeps of an artifact
// (internal/ingest). It is embedded in Config; registry-server turns it
// on (INGEST), a Config built without it stores urls only.
//
// The order of writes makes an ingest safe to interrupt: the record is
// created hidden (IngestPending, 404 on every endpoint), the bundle is
// written under its id (Blobs.Put: never visible half-written), then the
// record is published with the bundle, or with bundle_not_stored saying
// why there is none. A crash in between leaves a hidden record, which the
// next start removes or finishes (requeuePending).
type IngestConfig struct {
	// Ingest turns fetching on (INGEST).
	Ingest bool
	// BundleMaxBytes caps a stored bundle (BUNDLE_MAX_BYTES; default
	// DefaultBundleMaxBytes): a larger artifact is registered without one.
	BundleMaxBytes int64
	// IngestAllowedHosts are the hosts of other urls whose bundles are
	// fetched, at any address (INGEST_ALLOWED_HOSTS).
	IngestAllowedHosts []string
	// IngestTimeout bounds one artifact's ingest, facts and bundle
	// (INGEST_TIMEOUT; default DefaultIngestTimeout).
	IngestTimeout time.Duration
}

// Defaults of IngestConfig.
const (
	DefaultBundleMaxBytes = 4 << 30
	DefaultIngestTimeout  = 10 * time.Minute
)

// startIngest fills the defaults and builds the ingester on the trust
// pipeline's upstream client.
func (s *Server) startIngest() {
	c := &s.cfg.IngestConfig
	if !c.Ingest {
		return
	}
	if c.BundleMaxBytes <= 0 {
		c.BundleMaxBytes = DefaultBundleMaxBytes
	}
	if c.IngestTimeout <= 0 {
		c.IngestTimeout = DefaultIngestTimeout
	}
	s.trust.in = ingest.New(ingest.Config{Upstream: s.trust.up, AllowedHosts: c.IngestAllowedHosts, MaxBytes: c.BundleMaxBytes, HeaderTimeout: s.cfg.UpstreamTimeout})
}

// sourceReader remembers the error of the source stream, so that a failed
// Put tells a source that failed from storage that did.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// ingestRecord fetches rec's facts and bundle and writes the bundle under
// rec's id. rec comes back with HFData and Bundle, or BundleNotStored
// saying why there is none (over BUNDLE_MAX_BYTES, a source that could
// not be fetched, a host not allowed, the time limit). err is a failure
// of the registry's own storage (or ctx ending), after which nothing of
// the bundle is kept.
func (s *Server) ingestRecord(ctx context.Context, rec store.Record) (store.Record, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.IngestTimeout)
	defer cancel()
	rec.Bundle, rec.BundleNotStored = nil, ""
	hfData, body, err := s.trust.in.Fetch(ctx, rec.URL)
	rec.HFData = hfData
	if err != nil {
		rec.BundleNotStored = notStoredReason(err)
		return rec, nil
	}
	defer body.Close()
	src := &sourceReader{r: body}
	b, err := s.cfg.Storage.Blobs.Put(ctx, rec.ID(), src, s.cfg.BundleMaxBytes)
	switch {
	case err == nil:
		rec.Bundle = &b
	case errors.Is(err, store.ErrTooLarge):
		rec.BundleNotStored = fmt.Sprintf("the bundle is larger than BUNDLE_MAX_BYTES (%d bytes), so the registry keeps only its url", s.cfg.BundleMaxBytes)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		rec.BundleNotStored = fmt.Sprintf("fetching the bundle took longer than INGEST_TIMEOUT (%s)", s.cfg.IngestTimeout)
	case src.err != nil && ctx.Err() == nil:
		rec.BundleNotStored = "the bundle could not be fetched: " + src.err.Error()
	default: // the storage failed, or the server is stopping
		return rec, err
	}
	return rec, nil
}

// notStoredReason is bundle_not_stored for a fetch that did not start.
func notStoredReason(err error) string {
	switch {
	case errors.Is(err, store.ErrTooLarge), errors.Is(err, ingest.ErrNotAllowed):
		return err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return "fetching the artifact's facts and bundle ran out of time (INGEST_TIMEOUT)"
	}
	return "the bundle could not be fetched: " + err.Error()
}

// dropBlob deletes a blob no record refers to (any more).
func (s *Server) dropBlob(ctx context.Context, b *store.Bundle) {
	if b == nil {
		return
	}
	if err := s.cfg.Storage.Blobs.Delete(ctx, *b); err != nil {
		s.log.Error("deleting a bundle no artifact refers to failed; it stays in storage, invisible", "key", b.Key, "error", err.Error())
	}
}

// createIngested stores rec hidden, ingests it and publishes it (201), or
// removes it again when the registry's storage fails. The work goes on
// when the client goes away: it is finished or undone, never left half.
// rated says that a model was rated before (sync mode): the publish then
// records the RATE entry, and otherwise none (the CREATE entry is written).
func (s *Server) createIngested(w http.ResponseWriter, r *http.Request, p principal, rec store.Record, rated bool) {
	ctx := context.WithoutCancel(r.Context())
	rec.IngestPending = true
	created, err := s.trust.raw.Create(ctx, rec, s.auditEntry(p, rec.Metadata, store.ActionCreate))
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	done, err := s.ingestRecord(ctx, created)
	if err == nil {
		done.IngestPending = false
		var e *wire.ArtifactAuditEntry
		if rated {
			rate := s.auditEntry(p, done.Metadata, store.ActionRate)
			e = &rate
		}
		if err = s.trust.raw.Update(ctx, done, e); err != nil {
			s.dropBlob(ctx, done.Bundle)
		}
		if errors.Is(err, store.ErrNotFound) {
			err = store.ErrResetting // only a reset removes a hidden record meanwhile
		}
	}
	if err != nil {
		s.removeHidden(ctx, created.ID())
		s.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, s.toArtifact(r, done))
}

// removeHidden deletes a hidden record whose ingest failed or was cut
// short; its client got no 201.
func (s *Server) removeHidden(ctx context.Context, id string) {
	if err := s.trust.raw.Delete(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("removing an artifact whose ingest failed; it stays hidden until the next start", "artifact_id", id, "error", err.Error())
	}
}

// reingest is PUT with a new url: the new bundle is written, the record
// published with it, then the old bundle deleted.
func (s *Server) reingest(ctx context.Context, rec store.Record, e *wire.ArtifactAuditEntry) error {
	old := rec.Bundle
	rec, err := s.ingestRecord(ctx, rec)
	if err != nil {
		return err
	}
	if err := s.trust.raw.Update(ctx, rec, e); err != nil {
		s.dropBlob(ctx, rec.Bundle)
		return err
	}
	if old != nil && (rec.Bundle == nil || old.Key != rec.Bundle.Key) {
		s.dropBlob(ctx, old)
	}
	return nil
}

// abandonMargin is how long after INGEST_TIMEOUT a hidden record of a
// synchronous create may still be published by the server running it
// (its rating in sync mode, the publish itself, clocks of other servers).
const abandonMargin = 30 * time.Second

// removeWhenAbandoned removes the hidden record of a synchronous create
// that a crash interrupted (its client got no 201, so its url is freed).
// Another server sharing the storage may be running that create right
// now (S3: several processes or Lambda instances, each starting this), so
// the record is removed only once no ingest can still be running:
// INGEST_TIMEOUT plus abandonMargin after its creation.
func (s *Server) removeWhenAbandoned(rec store.Record) {
	ctx := s.trust.ctx
	if wait := time.Until(rec.CreatedAt.Add(s.cfg.IngestTimeout + abandonMargin)); wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return // still hidden; the next start looks again
		}
	}
	cur, err := s.trust.raw.Get(ctx, rec.ID())
	if err != nil || !cur.IngestPending {
		return // published or removed meanwhile
	}
	s.log.Info("removing an artifact whose create was interrupted (its client got no answer)", "artifact_id", rec.ID())
	s.removeHidden(ctx, rec.ID())
}

// deferredAtStart reports whether a hidden record left by an interrupted
// ingest is finished by this server (an asynchronous create, answered
// 202: a model in async mode) rather than removed (a create whose client
// was never answered 201).
func (s *Server) deferredAtStart(rec store.Record) bool {
	return s.cfg.RatingMode == RatingAsync && rec.Metadata.Type == artifact.TypeModel
}
