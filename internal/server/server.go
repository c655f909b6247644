// Package server is the registry's HTTP API (OpenAPI 3.4.7 of the
// Trustworthy Model Registry) over a store.Store.
//
// Rules that the spec leaves open, as this server implements them:
//   - 409 Conflict: POST /artifact/{artifact_type} fails when an artifact of
//     the same type already has the same url (compared in the normal form
//     of artifact.NormalizeURL); PUT fails the same way when the new url is
//     another artifact's of that type. Names may repeat.
//   - Pagination of POST /artifacts: pages of Config.PageSize; the offset
//     query parameter is the index of the first result; the offset response
//     header is the offset of the next page and is sent only when more
//     results follow (absent on the last page).
//   - download_url is <scheme>://<host of the request>/download/<id>;
//     GET there (authenticated) records a DOWNLOAD audit entry and serves
//     the bundle the registry stored at ingest (http.ServeContent: Range,
//     Repr-Digest, ETag), or redirects to a short-lived presigned url of it
//     on S3, or, for an artifact without a stored bundle, to its source url
//     (see bundles.go).
//   - Rating, cost, lineage and license-check: see trust.go (the rating
//     pipeline), trust_endpoints.go (their handlers) and RATING.md;
//     the package confusion audit answers 501 with a JSON error.
//
// Ingest (with IngestConfig.Ingest, as registry-server runs): a create
// fetches the artifact's facts and bundle before it answers (in async mode
// a model's behind the 202), and a failed fetch still registers the
// artifact, saying why in bundle_not_stored; see ingest.go.
//
// Files: routes.go is the route table; middleware.go the token check,
// request log and JSON 404/405; respond.go the JSON answers and errors;
// the handlers by area in artifacts.go, bundles.go, search.go,
// authenticate.go, health.go and trust_endpoints.go; the rating pipeline
// in trust.go.
package server

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sync/singleflight"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
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
	// PresignTTL is how long a presigned download url stays valid
	// (default 5m).
	PresignTTL time.Duration
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
	// IngestConfig: what a create fetches and keeps (ingest.go).
	IngestConfig
}

// Server answers the registry API.
type Server struct {
	cfg       Config
	store     store.Store
	rehash    singleflight.Group // re-hashes of bundles changed out of band, by key
	users     map[string]user
	dummyHash []byte
	tokens    tokenSigner
	verified  *verifiedTokens
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
	if cfg.Storage.Blobs == nil { // an Opened made by hand (tests): the store's own
		opened := *cfg.Storage
		opened.Blobs = opened.Store.Blobs()
		cfg.Storage = &opened
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
	if cfg.PresignTTL <= 0 {
		cfg.PresignTTL = 5 * time.Minute
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
		verified:  &verifiedTokens{m: map[string]tokenClaims{}},
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
