// Package server is the registry's HTTP API (OpenAPI 3.4.7 of the
// Trustworthy Model Registry) over a store.Store.
//
// Rules that the spec leaves open, as this server implements them:
//   - 409 Conflict: POST /artifact/{artifact_type} fails when an artifact of
//     the same type already has exactly the same url (white space around it
//     ignored); PUT fails the same way when the new url is another
//     artifact's of that type. Names may repeat.
//   - Pagination of POST /artifacts: pages of Config.PageSize; the offset
//     query parameter is the index of the first result; the offset response
//     header is the offset of the next page and is sent only when more
//     results follow (absent on the last page).
//   - download_url is <scheme>://<host of the request>/download/<id>;
//     GET there (authenticated) records a DOWNLOAD audit entry and redirects
//     to the source url, since this server stores no bundles.
//   - Rating, cost, lineage and license-check: see trust.go and RATING.md;
//     the package confusion audit answers 501 with a JSON error.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"golang.org/x/crypto/bcrypt"
)

// MaxBodyBytes is the largest request body accepted; larger ones get 413.
const MaxBodyBytes = 1 << 20

// Config is what a Server needs.
type Config struct {
	Storage *store.Opened
	// Users are the accounts that can authenticate (see LoadUsers).
	Users []UserSpec
	// TokenSecret signs tokens; nil means a random secret per process.
	TokenSecret []byte
	// TokenTTL is how long a token lives (default 10h).
	TokenTTL time.Duration
	// PageSize of POST /artifacts (default 100).
	PageSize int
	// MaxResults is the hard cap on the results of one POST /artifacts
	// query; past it the answer is 413. 0 means no cap.
	MaxResults int
	// Limits bound urls, names, searches (see Limits); zero: DefaultLimits.
	Limits Limits
	// Throttle limits password guessing and, optionally, each token's rate.
	Throttle Throttle
	// Environment is reported in logs and health (e.g. production).
	Environment string
	Version     string
	Logger      *slog.Logger
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// TrustConfig: upstreams and rating mode (trust.go).
	TrustConfig
}

// Server answers the registry API.
type Server struct {
	cfg       Config
	store     store.Store
	users     map[string]user
	dummyHash []byte
	tokens    tokenSigner
	metrics   *requestMetrics
	limits    Limits
	throttle  *throttler
	log       *slog.Logger
	started   time.Time
	handler   http.Handler
	trust     *trust
}

// New checks cfg and builds the server. Hashing the users' passwords takes
// a moment (bcrypt).
func New(cfg Config) (*Server, error) {
	if cfg.Storage == nil || cfg.Storage.Store == nil {
		return nil, errors.New("server: no storage")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 10 * time.Hour
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 100
	}
	if len(cfg.TokenSecret) == 0 {
		cfg.TokenSecret = RandomSecret()
	}
	if len(cfg.Users) == 0 {
		users, err := LoadUsers("", "")
		if err != nil {
			return nil, err
		}
		cfg.Users = users
	}
	tokens := tokenSigner{secret: cfg.TokenSecret, ttl: cfg.TokenTTL}
	users, err := hashUsers(cfg.Users, tokens)
	if err != nil {
		return nil, err
	}
	dummy, _ := bcrypt.GenerateFromPassword([]byte("no such user"), bcrypt.DefaultCost)
	s := &Server{
		cfg:       cfg,
		store:     visibleStore{cfg.Storage.Store},
		users:     users,
		dummyHash: dummy,
		tokens:    tokens,
		metrics:   newRequestMetrics(),
		limits:    cfg.Limits.withDefaults(),
		throttle:  newThrottler(cfg.Throttle),
		log:       cfg.Logger,
		started:   cfg.Now(),
	}
	if err := s.startTrust(); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.handleHealth)
	mux.HandleFunc("GET /health/components", s.handleHealthComponents)
	mux.HandleFunc("PUT /authenticate", s.handleAuthenticate)
	mux.HandleFunc("GET /tracks", s.handleTracks)

	mux.Handle("POST /artifacts", s.authed(s.handleList))
	mux.Handle("DELETE /reset", s.authed(s.handleReset))
	mux.Handle("GET /artifacts/{artifact_type}/{id}", s.authed(s.handleGet))
	mux.Handle("PUT /artifacts/{artifact_type}/{id}", s.authed(s.handleUpdate))
	mux.Handle("DELETE /artifacts/{artifact_type}/{id}", s.authed(s.handleDelete))
	mux.Handle("POST /artifact/{artifact_type}", s.authed(s.handleCreate))
	mux.Handle("GET /artifact/byName/{name}", s.authed(s.handleByName))
	mux.Handle("POST /artifact/byRegEx", s.authed(s.handleByRegex))
	mux.Handle("GET /artifact/{artifact_type}/{id}/audit", s.authed(s.handleAudit))
	mux.Handle("GET /download/{id}", s.authed(s.handleDownload))

	mux.Handle("GET /artifact/model/{id}/rate", s.authed(s.handleRate))
	mux.Handle("GET /artifact/{artifact_type}/{id}/cost", s.authed(s.handleCost))
	mux.Handle("GET /artifact/model/{id}/lineage", s.authed(s.handleLineage))
	mux.Handle("POST /artifact/model/{id}/license-check", s.authed(s.handleLicenseCheck))
	// Later issue: answered honestly as not implemented.
	mux.Handle("POST /artifacts/PackageConfusionAudit", s.authed(s.notImplemented("package confusion audit")))

	return s.observe(mux)
}

// principal is the authenticated caller.
type principal struct {
	Name    string
	IsAdmin bool
	token   string
}

type authedHandler func(w http.ResponseWriter, r *http.Request, p principal)

// authed answers 403 unless the request carries a valid token.
func (s *Server) authed(h authedHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, msg, ok := s.principalFrom(r)
		if !ok {
			writeError(w, http.StatusForbidden, msg)
			return
		}
		if !s.throttle.allowToken(w, p.token, s.cfg.Now()) {
			return
		}
		h(w, r, p)
	})
}

// statusRecorder remembers the status for logs and metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// observe limits bodies, recovers from panics, logs each request and counts
// it per route and per artifact type.
func (s *Server) observe(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		if r.ContentLength > MaxBodyBytes {
			writeError(rec, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", MaxBodyBytes))
		} else {
			r.Body = http.MaxBytesReader(rec, r.Body, MaxBodyBytes)
			func() {
				defer func() {
					if v := recover(); v != nil {
						if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
							panic(v)
						}
						s.log.Error("handler panicked", "method", r.Method, "route", r.Pattern, "panic", fmt.Sprint(v))
						if rec.status == 0 {
							writeError(rec, http.StatusInternalServerError, "internal error")
						}
					}
				}()
				if _, pattern := mux.Handler(r); pattern == "" {
					noRoute(rec, r, mux)
					return
				}
				mux.ServeHTTP(rec, r)
			}()
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		keys := []string{"requests", "route:" + route}
		if t := r.PathValue("artifact_type"); artifact.ValidType(t) {
			keys = append(keys, "artifact_type:"+t)
		} else if strings.HasPrefix(route, "GET /artifact/model/") || strings.HasPrefix(route, "POST /artifact/model/") {
			keys = append(keys, "artifact_type:model")
		}
		if rec.status == 0 {
			rec.status = http.StatusOK // net/http's answer when nothing was written
		}
		// 501 is the honest answer of the endpoints of a later issue, not a fault.
		if rec.status >= 500 && rec.status != http.StatusNotImplemented {
			keys = append(keys, "errors_5xx")
		}
		s.metrics.add(s.cfg.Now(), keys...)
		s.log.Info("request", "method", r.Method, "route", route, "status", rec.status,
			"duration_ms", float64(time.Since(start).Microseconds())/1000)
	})
}

// statusProbe records what a handler answers and discards the body.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(code int)        { p.status = code }

// noRoute answers a request that matches no route: the mux's own 404 or
// 405 (with its Allow header), but with a JSON error body like every other
// error of this API.
func noRoute(w http.ResponseWriter, r *http.Request, mux *http.ServeMux) {
	probe := &statusProbe{header: http.Header{}}
	mux.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		allow := probe.header.Get("Allow")
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow))
		return
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("no endpoint %s %s in this API", r.Method, r.URL.Path))
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type errorBody struct {
	Error string `json:"error"`
}

// writeError answers status with {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}

// decodeJSON reads exactly one JSON value from the body into v. It answers
// 413 or 400 itself and returns false when the body is unusable.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	err := dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("unexpected data after the JSON value")
		}
	}
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", MaxBodyBytes))
		return false
	}
	if errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "request body is empty: a JSON body is required")
		return false
	}
	writeError(w, http.StatusBadRequest, describeJSONError(err))
	return false
}

// storeError answers a storage error: 404, 409, or 503 for a backend fault
// (logged, since it is not the caller's doing).
func (s *Server) storeError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "artifact does not exist")
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "an artifact of this type with this url already exists")
	case errors.Is(err, context.Canceled):
		// The client went away; nothing to answer.
	default:
		s.log.Error("storage error", "backend", s.store.Backend(), "method", r.Method, "route", r.Pattern, "error", err.Error())
		writeError(w, http.StatusServiceUnavailable, "storage backend "+s.store.Backend()+" failed; try again later")
	}
}

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

// Artifact is the API's Artifact envelope.
type Artifact struct {
	Metadata store.Metadata `json:"metadata"`
	Data     ArtifactData   `json:"data"`
}

// ArtifactData is the API's ArtifactData.
type ArtifactData struct {
	URL         string `json:"url"`
	DownloadURL string `json:"download_url,omitempty"`
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

func (s *Server) toArtifact(r *http.Request, rec store.Record) Artifact {
	return Artifact{
		Metadata: rec.Metadata,
		Data:     ArtifactData{URL: rec.URL, DownloadURL: baseURL(r) + "/download/" + rec.Metadata.ID},
	}
}

// auditEntry is the entry of an action of p on md, now.
func (s *Server) auditEntry(p principal, md store.Metadata, action string) store.AuditEntry {
	return store.AuditEntry{User: store.User{Name: p.Name, IsAdmin: p.IsAdmin}, Date: s.cfg.Now().UTC().Truncate(time.Second), Artifact: md, Action: action}
}

// audit records an action that writes nothing else (DOWNLOAD); writes
// pass their entry to the store, which keeps both together.
func (s *Server) audit(r *http.Request, p principal, md store.Metadata, action string) {
	e := s.auditEntry(p, md, action)
	if err := s.store.AppendAudit(r.Context(), md.ID, e); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("writing audit entry failed", "artifact_id", md.ID, "action", action, "error", err.Error())
	}
}

func (s *Server) handleHealth(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// tracks are the spec's optional tracks this server implements. Access
// control is: users with hashed passwords, signed tokens that expire, 403
// without one, admin-only reset and the per-user audit trail. The other
// tracks (performance, high assurance, other security) are not claimed.
var tracks = []string{"Access control track"}

func (s *Server) handleTracks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string][]string{"plannedTracks": tracks})
}

type authRequest struct {
	User *struct {
		Name    string `json:"name"`
		IsAdmin *bool  `json:"is_admin"`
	} `json:"user"`
	Secret *struct {
		Password *string `json:"password"`
	} `json:"secret"`
}

func (s *Server) handleAuthenticate(w http.ResponseWriter, r *http.Request) {
	var req authRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.User == nil || req.User.Name == "" || req.Secret == nil || req.Secret.Password == nil {
		writeError(w, http.StatusBadRequest, "authentication request needs user.name and secret.password")
		return
	}
	if !s.checkName(w, "user.name", req.User.Name) {
		return
	}
	done, ok := s.throttle.attempt(w, r, req.User.Name, s.cfg.Now())
	if !ok {
		return
	}
	u, known := s.users[req.User.Name]
	hash := s.dummyHash
	if known {
		hash = u.hash
	}
	// Compare even for an unknown user so that timing does not tell names.
	valid, ran := s.throttle.checkPassword(r.Context(), func() bool {
		return bcrypt.CompareHashAndPassword(hash, []byte(*req.Secret.Password)) == nil
	})
	if !ran {
		done(true) // the client went away before its password was checked
		return
	}
	done(known && valid)
	if !known || !valid {
		writeError(w, http.StatusUnauthorized, "the user or password is invalid")
		return
	}
	writeJSON(w, http.StatusOK, "bearer "+s.issueFor(req.User.Name, s.cfg.Now()))
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
		Metadata:  store.Metadata{Name: name, Type: typ},
		URL:       url,
		CreatedAt: s.cfg.Now().UTC(),
		CreatedBy: p.Name,
	}
	if typ == artifact.TypeModel && s.cfg.RatingMode != RatingOff {
		s.createRated(w, r, p, rec)
		return
	}
	rec, err = s.store.Create(r.Context(), rec, s.auditEntry(p, rec.Metadata, store.ActionCreate))
	if err != nil {
		s.storeError(w, r, err)
		return
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
	rec, ok := s.lookup(w, r, typ, id)
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
		Metadata *store.Metadata `json:"metadata"`
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
	if body.Metadata.ID != id {
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
	if url != rec.URL {
		// A new source replaces the previous contents, README included.
		rec.HFData, rec.Rating = nil, nil
	}
	rec.URL = url
	if err := s.store.Update(r.Context(), rec, s.auditEntry(p, rec.Metadata, store.ActionUpdate)); err != nil {
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

func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request, p principal) {
	_, id, ok := pathArtifact(w, r)
	if !ok {
		return
	}
	rec, ok := s.lookup(w, r, "", id)
	if !ok {
		return
	}
	s.audit(r, p, rec.Metadata, store.ActionDownload)
	http.Redirect(w, r, rec.URL, http.StatusFound)
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
		entries = []store.AuditEntry{}
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

type artifactQuery struct {
	Name  *string  `json:"name"`
	Types []string `json:"types"`
}

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
	var queries []artifactQuery
	if !decodeJSON(w, r, &queries) {
		return
	}
	if len(queries) == 0 {
		writeError(w, http.StatusBadRequest, `the body must be a non-empty array of artifact queries; use [{"name": "*"}] to enumerate`)
		return
	}
	q := make(store.Query, 0, len(queries))
	for i, aq := range queries {
		if aq.Name == nil || *aq.Name == "" {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("query %d has no name", i))
			return
		}
		for _, t := range aq.Types {
			if !artifact.ValidType(t) {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("query %d: type %q is not one of %s", i, t, strings.Join(artifact.Types(), ", ")))
				return
			}
		}
		q = append(q, store.Term{Name: *aq.Name, Types: aq.Types})
	}
	ctx, cancel := s.searchContext(r)
	defer cancel()
	if s.cfg.MaxResults > 0 && offset == "" && skip == 0 {
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
	recs, next, err := s.store.Page(ctx, q, offset, skip+s.cfg.PageSize)
	if err != nil {
		if !s.scanStopped(ctx, w, r) {
			s.storeError(w, r, err)
		}
		return
	}
	recs = recs[min(skip, len(recs)):]
	if next != "" {
		w.Header().Set("offset", next)
	}
	out := make([]store.Metadata, 0, len(recs))
	for _, rec := range recs {
		out = append(out, rec.Metadata)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleByName(w http.ResponseWriter, r *http.Request, _ principal) {
	name := r.PathValue("name")
	if !validName(name) {
		writeError(w, http.StatusBadRequest, "artifact name must be non-empty UTF-8 text without control characters")
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
	out := make([]store.Metadata, 0, len(recs))
	for _, rec := range recs {
		out = append(out, rec.Metadata)
	}
	writeMatches(w, out)
}

// validName accepts the spec's "keyboard" names: any non-empty UTF-8 text
// without control characters.
func validName(name string) bool {
	if name == "" || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
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
	out := []store.Metadata{}
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
	slices.SortFunc(out, func(a, b store.Metadata) int { return store.CompareCreation(a.ID, b.ID) })
	writeMatches(w, out)
}

// writeMatches answers the metadata of the matching artifacts, or 404 for
// none.
func writeMatches(w http.ResponseWriter, out []store.Metadata) {
	if len(out) == 0 {
		writeError(w, http.StatusNotFound, "no artifact matches")
		return
	}
	writeJSON(w, http.StatusOK, out)
}
