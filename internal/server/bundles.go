package server

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
)

// bundleHeader says on GET /download/{id} what the answer is: "stored"
// (the bundle itself), "presigned" (a redirect to the stored bundle in
// S3) or "not-stored" (a redirect to the source url: the registry holds
// no bundle of the artifact, data.bundle_not_stored says why).
const bundleHeader = "Registry-Bundle"

// bundleMissing is data.bundle_not_stored of an artifact whose blob was
// removed from the storage behind the registry's back.
const bundleMissing = "the stored bundle is missing: it was removed from the registry's storage outside the registry"

// currentBundle returns rec describing what download_url serves now. One
// Stat of the blob (nothing for an artifact without a bundle) tells
// whether it is still the one the record describes; when another writer
// of the bucket or folder changed it, it is hashed again and the record
// takes the new digest, size and version (logged), so that the digest a
// GET reports is the digest of what is served. A blob that is gone reads
// as no bundle, saying so.
func (s *Server) currentBundle(ctx context.Context, rec store.Record) (store.Record, error) {
	b := rec.Bundle
	if b == nil {
		return rec, nil
	}
	info, err := s.cfg.Storage.Blobs.Stat(ctx, *b)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.log.Warn("a stored bundle is missing: it was removed outside the registry", "artifact_id", rec.ID(), "key", b.Key)
		rec.Bundle, rec.BundleNotStored = nil, bundleMissing
		return rec, nil
	case err != nil:
		return rec, err
	case info.Size == b.Size && info.Version == b.Version:
		return rec, nil
	}
	// Readers noticing the change at once share one re-hash, which ends
	// even when the first of them goes away.
	v, err, _ := s.rehash.Do(b.Key, func() (any, error) { return s.rehashBundle(context.WithoutCancel(ctx), rec.ID(), *b) })
	if err != nil {
		return rec, err
	}
	fresh, ok := v.(store.Bundle)
	if !ok {
		return rec, fmt.Errorf("re-hashing the bundle of %s gave %T", rec.ID(), v)
	}
	rec.Bundle = &fresh
	return rec, nil
}

// lookupCurrent is lookup with the record's bundle checked by
// currentBundle: for the answers that report or serve the bundle.
func (s *Server) lookupCurrent(w http.ResponseWriter, r *http.Request, typ, id string) (store.Record, bool) {
	rec, ok := s.lookup(w, r, typ, id)
	if !ok {
		return rec, false
	}
	rec, err := s.currentBundle(r.Context(), rec)
	if err != nil {
		s.storeError(w, r, err)
		return rec, false
	}
	return rec, true
}

// rehashBundle reads the blob of old again and records its digest, size
// and version in id's record.
func (s *Server) rehashBundle(ctx context.Context, id string, old store.Bundle) (store.Bundle, error) {
	const attempts = 3
	for range attempts {
		before, err := s.cfg.Storage.Blobs.Stat(ctx, old)
		if err != nil {
			return store.Bundle{}, err
		}
		f, err := s.cfg.Storage.Blobs.Open(ctx, old)
		if err != nil {
			return store.Bundle{}, err
		}
		h := sha256.New()
		n, err := io.Copy(h, f)
		if err = errors.Join(err, f.Close()); err != nil {
			return store.Bundle{}, err
		}
		after, err := s.cfg.Storage.Blobs.Stat(ctx, old)
		if err != nil {
			return store.Bundle{}, err
		}
		if after != before || n != after.Size {
			continue // written again while it was read
		}
		fresh := old
		fresh.SHA256, fresh.Size, fresh.Version = hex.EncodeToString(h.Sum(nil)), n, after.Version
		// ErrNotFound: the artifact moved on to another bundle or is gone;
		// this answer still describes the blob it named.
		if err := s.store.RefreshBundle(ctx, id, fresh); err != nil && !errors.Is(err, store.ErrNotFound) {
			return store.Bundle{}, err
		}
		s.log.Warn("a stored bundle changed outside the registry: its new digest is recorded and reported",
			"artifact_id", id, "key", old.Key, "old_sha256", old.SHA256, "new_sha256", fresh.SHA256,
			"old_size_bytes", old.Size, "new_size_bytes", fresh.Size)
		return fresh, nil
	}
	return store.Bundle{}, fmt.Errorf("the bundle %s of %s changed %d times while it was read", old.Key, id, attempts)
}

// handleDownload serves the stored bundle: from the server with
// Content-Length, Range, Repr-Digest (RFC 9530) and an ETag of its
// digest; or, where the backend presigns (S3, so also the Lambda
// deployment, whose responses are size-limited), a redirect to a
// presigned url valid for Config.PresignTTL. An artifact without a stored
// bundle redirects to its source url.
func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request, p principal) {
	_, id, ok := pathArtifact(w, r)
	if !ok {
		return
	}
	rec, ok := s.lookupCurrent(w, r, "", id)
	if !ok {
		return
	}
	s.audit(r, p, rec.Metadata, store.ActionDownload)
	b := rec.Bundle
	if b == nil {
		w.Header().Set(bundleHeader, "not-stored")
		http.Redirect(w, r, rec.URL, http.StatusFound)
		return
	}
	presigned, err := s.cfg.Storage.Blobs.Presign(r.Context(), *b, s.cfg.PresignTTL)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	if presigned != "" {
		w.Header().Set(bundleHeader, "presigned")
		w.Header().Set("Cache-Control", "no-store") // the url expires
		http.Redirect(w, r, presigned, http.StatusFound)
		return
	}
	f, err := s.cfg.Storage.Blobs.Open(r.Context(), *b)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	defer f.Close()
	sum, err := hex.DecodeString(b.SHA256)
	if err != nil {
		s.storeError(w, r, fmt.Errorf("the stored digest of %s is not hex: %w", id, err))
		return
	}
	h := w.Header()
	h.Set(bundleHeader, "stored")
	h.Set("Content-Type", "application/octet-stream")
	h.Set("ETag", `"`+b.SHA256+`"`)
	h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	// No Last-Modified: a bundle replaced out of band keeps its StoredAt,
	// so only the ETag (its digest) tells versions apart.
	http.ServeContent(w, r, "", time.Time{}, f)
}
