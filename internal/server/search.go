package server

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

func (s *Server) handleList(w http.ResponseWriter, r *http.Request, _ principal) {
	// The offset is the id of the last artifact of the previous page (what
	// the offset header gives), so that paging neither repeats nor skips an
	// artifact while others are created, on any number of servers; a
	// number is still accepted as the index of the first result.
	offset := r.URL.Query().Get("offset")
	skip := 0
	if offset != "" && !store.ValidCursor(offset) {
		n, err := strconv.Atoi(offset)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("offset %q is neither the offset header of a previous page nor a non-negative integer", offset))
			return
		}
		skip, offset = n, ""
	}
	var queries []wire.ArtifactQuery
	if !decodeJSON(w, r, &queries) {
		return
	}
	if len(queries) == 0 {
		writeError(w, http.StatusBadRequest, `the body must be a non-empty array of artifact queries; use [{"name": "*"}] to enumerate`)
		return
	}
	if len(queries) > s.limits.MaxQueries {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("the body has %d artifact queries, more than the limit of %d; send them in several requests", len(queries), s.limits.MaxQueries))
		return
	}
	q := make(store.Query, 0, len(queries))
	for i, aq := range queries {
		if aq.Name == "" {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("query %d has no name", i))
			return
		}
		for _, t := range aq.Types {
			if !artifact.ValidType(t) {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("query %d: type %q is not one of %s", i, t, strings.Join(artifact.Types(), ", ")))
				return
			}
		}
		q = append(q, store.Term{Name: aq.Name, Types: aq.Types})
	}
	ctx, cancel := s.searchContext(r)
	defer cancel()
	// A cursor continues a listing whose first page was checked; every
	// other request is checked, a numeric offset included.
	if s.cfg.MaxResults > 0 && offset == "" {
		n, err := s.store.Count(ctx, q, s.cfg.MaxResults+1)
		if err != nil {
			if !s.scanStopped(ctx, w, r) {
				s.storeError(w, r, err)
			}
			return
		}
		if n > s.cfg.MaxResults {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the query matches more than %d artifacts, the limit; narrow it by name or types", s.cfg.MaxResults))
			return
		}
	}
	if skip > 0 {
		after, ok, err := s.store.Skip(ctx, q, skip)
		if err != nil {
			if !s.scanStopped(ctx, w, r) {
				s.storeError(w, r, err)
			}
			return
		}
		if !ok {
			writeJSON(w, http.StatusOK, []wire.ArtifactMetadata{}) // past the end
			return
		}
		offset = after
	}
	recs, next, err := s.store.Page(ctx, q, offset, s.cfg.PageSize)
	if err != nil {
		if !s.scanStopped(ctx, w, r) {
			s.storeError(w, r, err)
		}
		return
	}
	if next != "" {
		w.Header().Set("offset", next)
	}
	out := make([]wire.ArtifactMetadata, 0, len(recs))
	for _, rec := range recs {
		out = append(out, rec.Metadata)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleByName(w http.ResponseWriter, r *http.Request, _ principal) {
	name := r.PathValue("name")
	if !artifact.ValidName(name) {
		writeError(w, http.StatusBadRequest, "artifact name "+artifact.NameRule)
		return
	}
	if !s.checkName(w, "the artifact name", name) {
		return
	}
	// From the name index on S3: reads only the artifacts of that name.
	ctx, cancel := s.searchContext(r)
	defer cancel()
	recs, _, err := s.store.Page(ctx, store.Query{{Name: name}}, "", 0)
	if err != nil {
		if !s.scanStopped(ctx, w, r) {
			s.storeError(w, r, err)
		}
		return
	}
	out := make([]wire.ArtifactMetadata, 0, len(recs))
	for _, rec := range recs {
		out = append(out, rec.Metadata)
	}
	writeMatches(w, out)
}

func (s *Server) handleByRegex(w http.ResponseWriter, r *http.Request, _ principal) {
	var body struct {
		Regex *string `json:"regex"`
	}
	if !decodeJSON(w, r, &body) {
		return
	}
	if body.Regex == nil || *body.Regex == "" {
		writeError(w, http.StatusBadRequest, "the body needs a non-empty regex")
		return
	}
	re, ok := s.compileRegex(w, *body.Regex)
	if !ok {
		return
	}
	s.search(w, r, func(rec store.Record) bool {
		return re.MatchString(rec.Metadata.Name) || re.MatchString(s.readme(rec.ReadmeText()))
	})
}

// search answers the metadata of the matching artifacts in creation order,
// or 404 for none. It streams every artifact (O(N) by nature) and stops
// between artifacts when the client goes away or the search
// deadline passes; one artifact's match is bounded by the url, name and
// README limits.
func (s *Server) search(w http.ResponseWriter, r *http.Request, match func(store.Record) bool) {
	ctx, cancel := s.searchContext(r)
	defer cancel()
	out := []wire.ArtifactMetadata{}
	err := s.store.Each(ctx, func(rec store.Record) bool {
		if match(rec) {
			out = append(out, rec.Metadata)
		}
		return true
	})
	if err != nil {
		if !s.scanStopped(ctx, w, r) {
			s.storeError(w, r, err)
		}
		return
	}
	if s.scanStopped(ctx, w, r) {
		return
	}
	slices.SortFunc(out, func(a, b wire.ArtifactMetadata) int { return store.CompareCreation(string(a.ID), string(b.ID)) })
	writeMatches(w, out)
}

// writeMatches answers the metadata of the matching artifacts, or 404 for
// none.
func writeMatches(w http.ResponseWriter, out []wire.ArtifactMetadata) {
	if len(out) == 0 {
		writeError(w, http.StatusNotFound, "no artifact matches")
		return
	}
	writeJSON(w, http.StatusOK, out)
}
