// Package serverconfig is registry-server's configuration: every
// environment variable it reads, with its default and meaning, in one
// struct (Env) parsed by github.com/caarlos0/env. Both entry points, the
// process and AWS Lambda, start from it; `registry-server -help` lists it
// and the README's table is generated from it (Markdown).
package serverconfig

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
)

// Env holds every variable. Tags: env names it; envDefault is its default
// (what parsing an unset variable gives); default describes a default
// that the server computes instead; doc is its meaning; want the accepted
// values when the type does not say them; min, gt and max bound numbers
// and durations (checked when the variable is set). In default and doc,
// {text} is code: `text` in Markdown.
type Env struct {
	Addr string `env:"ADDR" default:"{127.0.0.1:8000}" doc:"listen address (host:port)"`
	Port string `env:"PORT" doc:"port on 127.0.0.1, when {ADDR} is not set"`

	UseS3           bool   `env:"USE_S3" envDefault:"0" doc:"{1}: S3 storage (per artifact {artifacts/<id>/metadata.json}, and its bundle under {artifacts/<id>/files/})"`
	S3BucketName    string `env:"S3_BUCKET_NAME" doc:"required with {USE_S3=1}; created at start when missing and permitted"`
	AWSRegion       string `env:"AWS_REGION" default:"SDK chain" doc:"S3 region; the endpoint and credentials come from the SDK's variables ({AWS_ENDPOINT_URL_S3}, {AWS_ACCESS_KEY_ID}, ...): with an endpoint set, path-style addressing and checksums \"when required\" (S3-compatible servers)"`
	UseSQLite       bool   `env:"USE_SQLITE" envDefault:"0" doc:"{1}: SQLite storage (pure Go, no cgo)"`
	SQLiteURL       string `env:"SQLALCHEMY_DATABASE_URL" envDefault:"sqlite:///registry.db" doc:"{sqlite:///relative/path.db} or {sqlite:////absolute/path.db}"`
	StorageFallback bool   `env:"STORAGE_FALLBACK" envDefault:"1" doc:"{0}: a backend that cannot start fails the start instead of falling back"`

	BundleDir        string   `env:"BUNDLE_DIR" default:"{<database file>.bundles}" doc:"SQLite storage: the folder of the stored bundles, one sub-folder per artifact (created when missing)"`
	BundlePresignTTL Duration `env:"BUNDLE_PRESIGN_TTL" envDefault:"5m" gt:"0" doc:"S3 storage: how long the presigned url that a download ({GET} of {download_url}) redirects to stays valid"`

	Environment string   `env:"ENVIRONMENT" envDefault:"development" doc:"added to every log record and to {/health/components}"`
	LogLevel    LogLevel `env:"LOG_LEVEL" envDefault:"INFO" want:"DEBUG, INFO, WARN (or WARNING) or ERROR (or CRITICAL)" doc:"{DEBUG}, {INFO}, {WARNING} or {ERROR} (JSON logs on stderr)"`

	AdminPassword string   `env:"REGISTRY_ADMIN_PASSWORD" default:"the spec's example password" doc:"password of {ece30861defaultadminuser}"`
	UsersFile     string   `env:"REGISTRY_USERS_FILE" doc:"more users, see Users below"`
	TokenSecret   string   `env:"TOKEN_SECRET" default:"random per process" doc:"HMAC key of the tokens; without it, tokens die with the process (clients get 403 and authenticate again); required in AWS Lambda"`
	TokenTTL      Duration `env:"TOKEN_TTL" envDefault:"10h" gt:"0" doc:"token lifetime: a Go duration ({30m}) or seconds"`

	PageSize        int      `env:"PAGE_SIZE" envDefault:"100" min:"1" doc:"page size of {POST /artifacts}"`
	MaxQueryResults int      `env:"MAX_QUERY_RESULTS" envDefault:"10000" min:"0" doc:"a {POST /artifacts} query matching more artifacts answers 413; {0} = no cap"`
	MaxURLBytes     int      `env:"MAX_URL_BYTES" envDefault:"2048" min:"1" doc:"longest artifact url accepted by create and update (400 past it)"`
	MaxNameBytes    int      `env:"MAX_NAME_BYTES" envDefault:"512" min:"1" doc:"longest artifact name: derived from a new url, or asked for by {byName}, or a user name at {/authenticate} (400 past it)"`
	MaxReadmeBytes  int      `env:"MAX_README_BYTES" envDefault:"16384" min:"1" doc:"{byRegEx} searches the first this-many bytes of an artifact's stored README text"`
	MaxRegexBytes   int      `env:"MAX_REGEX_BYTES" envDefault:"1024" min:"1" doc:"longest {byRegEx} pattern (400 past it)"`
	MaxQueries      int      `env:"MAX_QUERIES" envDefault:"100" min:"1" doc:"most artifact queries in one {POST /artifacts} body (400 naming the limit past it, before any storage work)"`
	SearchTimeout   Duration `env:"SEARCH_TIMEOUT" envDefault:"5s" gt:"0" doc:"deadline of one search ({byName}, {byRegEx}, {POST /artifacts}): past it 503 and the scan stops"`

	AuthThrottle              bool     `env:"AUTH_THROTTLE" envDefault:"1" doc:"{0}: no limit on failed {/authenticate} attempts (the bcrypt bound stays)"`
	AuthMaxFailuresPerUser    int      `env:"AUTH_MAX_FAILURES_PER_USER" envDefault:"5" min:"1" doc:"failed attempts one client address may make for one user name in a burst before 429"`
	AuthMaxFailuresPerAddress int      `env:"AUTH_MAX_FAILURES_PER_ADDRESS" envDefault:"20" min:"1" doc:"failed attempts one client address may make in a burst, whatever the names"`
	AuthFailureRefill         Duration `env:"AUTH_FAILURE_REFILL" envDefault:"10s" gt:"0" doc:"one more failed attempt is allowed again after each such interval (per address and name, and per address)"`
	AuthBcryptConcurrency     int      `env:"AUTH_BCRYPT_CONCURRENCY" default:"half the CPUs, at least 1" min:"1" doc:"password checks running at once; more wait their turn"`
	TokenRateLimit            float64  `env:"TOKEN_RATE_LIMIT" envDefault:"0" min:"0" doc:"requests per second each token may send on average (429 past it); {0}: no limit"`
	TokenRateBurst            int      `env:"TOKEN_RATE_BURST" default:"the rate, rounded up" min:"1" doc:"requests a token may send at once above {TOKEN_RATE_LIMIT}"`

	ShutdownIdleGrace Duration `env:"SHUTDOWN_IDLE_GRACE" envDefault:"3s" min:"0" doc:"on SIGTERM, how long open keep-alive connections stay usable (see below); {0}: none"`

	HFEndpoint        string            `env:"HF_ENDPOINT" envDefault:"https://huggingface.co" doc:"Hugging Face base of the trust pipeline (model info, cards, config.json, datasets)"`
	GitHubAPIURL      string            `env:"GITHUB_API_URL" envDefault:"https://api.github.com" doc:"GitHub REST base (repository, contributors, license, pull requests, reviews)"`
	GitHubToken       string            `env:"GITHUB_TOKEN" doc:"sent as a bearer token to GitHub when set (never logged)"`
	RatingMode        server.RatingMode `env:"RATING_MODE" envDefault:"off" want:"off, sync or async" doc:"{off}: rate a model on its first {/rate}; {sync}: rate before storing, 424 below the minimum; {async}: store hidden, 202, rate in the background (see RATING.md)"`
	RatingMinNetScore float64           `env:"RATING_MIN_NET_SCORE" envDefault:"0.5" gt:"0" max:"1" doc:"models with a lower {net_score} are disqualified in {sync} and {async} modes"`
	RatingWorkers     int               `env:"RATING_WORKERS" envDefault:"2" min:"1" doc:"concurrent background ratings ({async})"`
	RatingQueue       int               `env:"RATING_QUEUE" envDefault:"256" min:"1" doc:"models waiting for a background rating ({async}); past it a create answers 503 with {Retry-After: 5} and stores nothing"`
	UpstreamTimeout   Duration          `env:"UPSTREAM_TIMEOUT" envDefault:"10s" gt:"0" doc:"timeout of one Hugging Face or GitHub call"`

	Ingest             bool     `env:"INGEST" envDefault:"1" doc:"{1}: a create or a url change fetches the artifact's facts (README, card metadata: {data.hf_data}) and its bundle and stores them (see Ingest below); {0}: urls only"`
	BundleMaxBytes     int64    `env:"BUNDLE_MAX_BYTES" envDefault:"4294967296" min:"1" doc:"largest bundle stored (4 GiB); a larger artifact is registered without one, {bundle_not_stored} saying so"`
	IngestAllowedHosts []string `env:"INGEST_ALLOWED_HOSTS" want:"host names or IP addresses, comma-separated" doc:"hosts other than Hugging Face and GitHub whose urls are fetched as bundles, at any address (naming a loopback or private host allows it); others are registered without a bundle"`
	IngestTimeout      Duration `env:"INGEST_TIMEOUT" envDefault:"10m" gt:"0" doc:"time limit of one artifact's ingest (facts and bundle); past it the artifact is registered without a bundle"`

	TLSCertFile     string `env:"TLS_CERT_FILE" doc:"serve HTTPS with this PEM certificate (chain) instead of plain HTTP; needs {TLS_KEY_FILE}"`
	TLSKeyFile      string `env:"TLS_KEY_FILE" doc:"the PEM key of {TLS_CERT_FILE}; both or neither"`
	TLSClientCAFile string `env:"TLS_CLIENT_CA_FILE" doc:"with the two above: require a client certificate issued by a CA in this PEM file (mutual TLS)"`

	LambdaRuntimeAPI   string `env:"AWS_LAMBDA_RUNTIME_API" doc:"set by AWS Lambda: serve API Gateway events instead of listening"`
	LambdaFunctionName string `env:"AWS_LAMBDA_FUNCTION_NAME" doc:"set by AWS Lambda: logged at start"`
}

// Duration is a Go duration (10s, 250ms) or a whole number of seconds.
type Duration time.Duration

// UnmarshalText reads either form.
func (d *Duration) UnmarshalText(b []byte) error {
	s := string(b)
	if n, err := strconv.Atoi(s); err == nil {
		*d = Duration(time.Duration(n) * time.Second)
		return nil
	}
	v, err := time.ParseDuration(s)
	*d = Duration(v)
	return err
}

// LogLevel is slog's level, also spelled WARNING and CRITICAL as in the
// operations guide.
type LogLevel slog.Level

// UnmarshalText reads the level case-insensitively.
func (l *LogLevel) UnmarshalText(b []byte) error {
	s := strings.ToUpper(strings.TrimSpace(string(b)))
	switch s {
	case "WARNING":
		s = "WARN"
	case "CRITICAL":
		s = "ERROR"
	}
	return (*slog.Level)(l).UnmarshalText([]byte(s))
}

// Parse reads Env from environ (NAME=value lines, as os.Environ gives).
// A bad value is an error naming its variable, the value and what is
// accepted; every bad value is reported at once.
func Parse(environ []string) (Env, error) {
	vars := env.ToMap(environ)
	var e Env
	var errs []error
	unparsed := map[string]bool{} // field names
	if err := env.ParseWithOptions(&e, env.Options{Environment: vars}); err != nil {
		var agg env.AggregateError
		if !errors.As(err, &agg) {
			return e, err
		}
		for _, err := range agg.Errors {
			var pe env.ParseError
			var f reflect.StructField
			ok := errors.As(err, &pe)
			if ok {
				f, ok = reflect.TypeFor[Env]().FieldByName(pe.Name)
			}
			if !ok {
				errs = append(errs, err)
				continue
			}
			unparsed[f.Name] = true
			errs = append(errs, badValue(f, vars[f.Tag.Get("env")]))
		}
	}
	v := reflect.ValueOf(e)
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Env]()) {
		if raw := vars[f.Tag.Get("env")]; raw != "" && !unparsed[f.Name] && !inBounds(f, v.FieldByIndex(f.Index)) {
			errs = append(errs, badValue(f, raw))
		}
	}
	return e, errors.Join(errs...)
}

var durationType = reflect.TypeFor[Duration]()

func badValue(f reflect.StructField, raw string) error {
	return fmt.Errorf("%s %q: want %s", f.Tag.Get("env"), raw, want(f))
}

// want says what values f accepts.
func want(f reflect.StructField) string {
	if w := f.Tag.Get("want"); w != "" {
		return w
	}
	var what string
	switch {
	case f.Type == durationType:
		what = "duration such as 10s or 250ms, or a number of seconds"
	case f.Type.Kind() == reflect.Bool:
		return "1, true, 0 or false"
	case f.Type.Kind() == reflect.Int, f.Type.Kind() == reflect.Int64:
		what = "integer"
	case f.Type.Kind() == reflect.Float64:
		what = "number"
	default:
		return ""
	}
	switch {
	case f.Tag.Get("gt") == "0":
		what = "positive " + what
	case f.Tag.Get("min") == "0":
		what = "non-negative " + what
	case f.Tag.Get("min") != "":
		what += " of at least " + f.Tag.Get("min")
	}
	if m := f.Tag.Get("max"); m != "" {
		what += " at most " + m
	}
	if strings.ContainsAny(what[:1], "aeiou") {
		return "an " + what
	}
	return "a " + what
}

// inBounds checks the min, gt and max tags of a number or duration.
func inBounds(f reflect.StructField, v reflect.Value) bool {
	var x float64
	switch {
	case f.Type == durationType:
		x = time.Duration(v.Int()).Seconds()
	case v.CanInt():
		x = float64(v.Int())
	case v.CanFloat():
		x = v.Float()
	default:
		return true
	}
	for tag, ok := range map[string]func(b float64) bool{
		"min": func(b float64) bool { return x >= b },
		"gt":  func(b float64) bool { return x > b },
		"max": func(b float64) bool { return x <= b },
	} {
		if s := f.Tag.Get(tag); s != "" {
			if b, err := strconv.ParseFloat(s, 64); err != nil || !ok(b) {
				return false
			}
		}
	}
	return true
}

// ListenAddr is ADDR, or 127.0.0.1 with PORT, or 127.0.0.1:8000.
func (e Env) ListenAddr() string {
	switch {
	case e.Addr != "":
		return e.Addr
	case e.Port != "":
		return net.JoinHostPort("127.0.0.1", e.Port)
	}
	return "127.0.0.1:8000"
}

// Lambda reports whether a Lambda runtime started the process (the
// runtime API address is how the function reaches its events).
func (e Env) Lambda() bool { return e.LambdaRuntimeAPI != "" }

// Storage is the storage backend's choice.
func (e Env) Storage() store.Options {
	return store.Options{
		UseS3: e.UseS3, Bucket: e.S3BucketName, Region: e.AWSRegion,
		UseSQLite: e.UseSQLite, SQLiteURL: e.SQLiteURL, BundleDir: e.BundleDir, Fallback: e.StorageFallback,
	}
}

// Server is the server's configuration without its storage, users and
// logger (which need I/O) and with the server's own defaults where Env
// has none (the bcrypt concurrency, the token burst, the secret).
func (e Env) Server() server.Config {
	cfg := server.Config{
		TokenTTL:    time.Duration(e.TokenTTL),
		PageSize:    e.PageSize,
		MaxResults:  e.MaxQueryResults,
		Environment: e.Environment,
		PresignTTL:  time.Duration(e.BundlePresignTTL),
		Limits: server.Limits{
			MaxURLBytes: e.MaxURLBytes, MaxNameBytes: e.MaxNameBytes, MaxReadmeBytes: e.MaxReadmeBytes,
			MaxRegexBytes: e.MaxRegexBytes, MaxQueries: e.MaxQueries, SearchTimeout: time.Duration(e.SearchTimeout),
		},
		Throttle: server.Throttle{
			Off: !e.AuthThrottle, UserFailures: e.AuthMaxFailuresPerUser, AddressFailures: e.AuthMaxFailuresPerAddress,
			FailureRefill: time.Duration(e.AuthFailureRefill), BcryptConcurrency: e.AuthBcryptConcurrency,
			TokenRate: e.TokenRateLimit, TokenBurst: e.TokenRateBurst,
		},
		TrustConfig: server.TrustConfig{
			HFEndpoint: e.HFEndpoint, GitHubAPIURL: e.GitHubAPIURL, GitHubToken: e.GitHubToken,
			UpstreamTimeout: time.Duration(e.UpstreamTimeout), RatingMode: e.RatingMode,
			RatingMinNetScore: e.RatingMinNetScore, RatingWorkers: e.RatingWorkers, RatingQueue: e.RatingQueue,
		},
		IngestConfig: server.IngestConfig{
			Ingest: e.Ingest, BundleMaxBytes: e.BundleMaxBytes, IngestAllowedHosts: e.IngestAllowedHosts,
			IngestTimeout: time.Duration(e.IngestTimeout),
		},
	}
	if e.TokenSecret != "" {
		cfg.TokenSecret = []byte(e.TokenSecret)
	}
	return cfg
}
