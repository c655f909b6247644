package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// pathArtifact checks the artifact_type and id path values (400 otherwise).
func pathArtifact(w http.ResponseWriter, r *http.Request) (typ, id string, ok bool) {
	typ, id = r.PathValue("artifact_type"), r.PathValue("id")
	if typ != "" && !artifact.ValidType(typ) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("artifact_type %q is not one of %s", typ, strings.Join(artifact.Types(), ", ")))
		return "", "", false
	}
	if !artifact.ValidID(id) {
		writeError(w, http.StatusBadRequest, "artifact id must match "+artifact.IDPattern.String())
		return "", "", false
	}
	return typ, id, true
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

func (s *Server) toArtifact(r *http.Request, rec store.Record) wire.Artifact {
	data := wire.ArtifactData{URL: rec.URL, DownloadURL: baseURL(r) + "/download/" + rec.ID()}
	if b := rec.Bundle; b != nil {
		data.Bundle = &wire.ArtifactBundle{Sha256: b.SHA256, SizeBytes: b.Size, StoredAt: b.StoredAt.UTC()}
	} else {
		data.BundleNotStored = rec.BundleNotStored
	}
	return wire.Artifact{Metadata: rec.Metadata, Data: data}
}

// auditEntry is the entry of an action of p on md, now.
func (s *Server) auditEntry(p principal, md wire.ArtifactMetadata, action string) wire.ArtifactAuditEntry {
	return wire.ArtifactAuditEntry{User: wire.User{Name: p.Name, IsAdmin: p.IsAdmin}, Date: store.AuditDate(s.cfg.Now()), Artifact: md, Action: action}
}

// audit records an action that writes nothing else (DOWNLOAD); writes
// pass their entry to the store, which keeps both together.
func (s *Server) audit(r *http.Request, p principal, md wire.ArtifactMetadata, action string) {
	e := s.auditEntry(p, md, action)
	if err := s.store.AppendAudit(r.Context(), string(md.ID), e); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("writing audit entry failed", "artifact_id", md.ID, "action", action, "error", err.Error())
	}
}

// notImplemented answers 501 for a feature of a later issue, after the
// path checks that the real endpoint will make.
func (s *Server) notImplemented(what string) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, _ principal) {
		if r.PathValue("id") != "" {
			if _, _, ok := pathArtifact(w, r); !ok {
				return
			}
		}
		writeError(w, http.StatusNotImplemented, what+" is not implemented by this registry yet")
	}
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request, p principal) {
	typ := r.PathValue("artifact_type")
	if !artifact.ValidType(typ) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("artifact_type %q is not one of %s", typ, strings.Join(artifact.Types(), ", ")))
		return
	}
	var body struct {
		URL *string `json:"url"`
	}
	if !decodeJSON(w, r, &body) {
		return
	}
	if body.URL == nil || strings.TrimSpace(*body.URL) == "" {
		writeError(w, http.StatusBadRequest, "artifact data needs a url")
		return
	}
	url := strings.TrimSpace(*body.URL)
	if !s.checkURL(w, "url", url) {
		return
	}
	name, err := artifact.DeriveName(url)
	if err != nil {
		writeError(w, http.StatusBadRequest, "url: "+err.Error())
		return
	}
	if !s.checkName(w, "the name derived from the url", name) {
		return
	}
	rec := store.Record{
		Metadata:  wire.ArtifactMetadata{Name: name, Type: typ},
		URL:       url,
		CreatedAt: s.cfg.Now().UTC(),
		CreatedBy: p.Name,
	}
	rated := false
	if typ == artifact.TypeModel && s.cfg.RatingMode == RatingAsync {
		s.createDeferred(w, r, p, rec)
		return
	}
	if typ == artifact.TypeModel && s.cfg.RatingMode == RatingSync {
		if !s.rateBeforeCreate(w, r, p, &rec) {
			return
		}
		rated = true
	}
	if s.trust.in != nil {
		s.createIngested(w, r, p, rec, rated)
		return
	}
	rec, err = s.store.Create(r.Context(), rec, s.auditEntry(p, rec.Metadata, store.ActionCreate))
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	if rated {
		s.audit(r, p, rec.Metadata, store.ActionRate)
	}
	writeJSON(w, http.StatusCreated, s.toArtifact(r, rec))
}

// lookup reads id and answers 404 when it is missing or of another type.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request, typ, id string) (store.Record, bool) {
	rec, err := s.store.Get(r.Context(), id)
	if err == nil && typ != "" && rec.Metadata.Type != typ {
		err = store.ErrNotFound
	}
	if err != nil {
		s.storeError(w, r, err)
		return store.Record{}, false
	}
	return rec, true
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request, _ principal) {
	typ, id, ok := pathArtifact(w, r)
	if !ok {
		return
	}
	rec, ok := s.lookupCurrent(w, r, typ, id)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.toArtifact(r, rec))
}

func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request, p principal) {
	typ, id, ok := pathArtifact(w, r)
	if !ok {
		return
	}
	var body struct {
		Metadata *wire.ArtifactMetadata `json:"metadata"`
		Data     *struct {
			URL *string `json:"url"`
		} `json:"data"`
	}
	if !decodeJSON(w, r, &body) {
		return
	}
	if body.Metadata == nil || body.Data == nil || body.Data.URL == nil {
		writeError(w, http.StatusBadRequest, "artifact needs metadata {name, id, type} and data {url}")
		return
	}
	if string(body.Metadata.ID) != id {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("metadata.id %q does not match the id %q in the path", body.Metadata.ID, id))
		return
	}
	if body.Metadata.Type != "" && body.Metadata.Type != typ {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("metadata.type %q does not match the type %q in the path", body.Metadata.Type, typ))
		return
	}
	url := strings.TrimSpace(*body.Data.URL)
	if !s.checkURL(w, "data.url", url) {
		return
	}
	if _, err := artifact.ValidateHTTP(url); err != nil {
		writeError(w, http.StatusBadRequest, "data.url: "+err.Error())
		return
	}
	rec, ok := s.lookup(w, r, typ, id)
	if !ok {
		return
	}
	if body.Metadata.Name != rec.Metadata.Name {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("metadata.name %q does not match the stored name %q", body.Metadata.Name, rec.Metadata.Name))
		return
	}
	changed := url != rec.URL
	if changed {
		// A new source replaces the previous contents, README included.
		rec.HFData, rec.Rating = nil, nil
	}
	rec.URL = url
	e := s.auditEntry(p, rec.Metadata, store.ActionUpdate)
	if changed && s.trust.in != nil {
		// Finished or undone even when the client goes away.
		if err := s.reingest(context.WithoutCancel(r.Context()), rec, &e); err != nil {
			s.storeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	if err := s.store.Update(r.Context(), rec, &e); err != nil {
		s.storeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request, _ principal) {
	typ, id, ok := pathArtifact(w, r)
	if !ok {
		return
	}
	if _, ok := s.lookup(w, r, typ, id); !ok {
		return
	}
	if err := s.store.Delete(r.Context(), id); err != nil {
		s.storeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request, _ principal) {
	typ, id, ok := pathArtifact(w, r)
	if !ok {
		return
	}
	if _, ok := s.lookup(w, r, typ, id); !ok {
		return
	}
	entries, err := s.store.Audit(r.Context(), id)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	if entries == nil {
		entries = []wire.ArtifactAuditEntry{}
	}
	writeJSON(w, http.StatusOK, entries)
}

func (s *Server) handleReset(w http.ResponseWriter, r *http.Request, p principal) {
	if !p.IsAdmin {
		writeError(w, http.StatusUnauthorized, "only an admin may reset the registry")
		return
	}
	// Users come from configuration, so the default admin is there again
	// as soon as the artifacts are gone. The reset raises the storage's
	// generation, which revokes every token issued before, the caller's
	// included.
	if err := s.store.Reset(r.Context()); err != nil {
		s.storeError(w, r, err)
		return
	}
	s.log.Info("registry reset", "by", p.Name, "backend", s.store.Backend())
	w.WriteHeader(http.StatusOK)
}
