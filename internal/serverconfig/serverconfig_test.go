package serverconfig

import (
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/server"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/upstream"
)

// An empty environment gives the defaults the server and its packages
// use, so that the defaults that -help and the README state are the real
// ones.
func TestDefaultsAreTheServers(t *testing.T) {
	e, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.Server()
	throttle := cfg.Throttle
	throttle.BcryptConcurrency = server.DefaultThrottle.BcryptConcurrency // computed by the server
	if cfg.Limits != server.DefaultLimits || throttle != server.DefaultThrottle {
		t.Errorf("limits %+v throttle %+v, want the server's defaults", cfg.Limits, cfg.Throttle)
	}
	wantTrust := server.TrustConfig{HFEndpoint: upstream.DefaultHFEndpoint, GitHubAPIURL: upstream.DefaultGitHubAPIURL,
		UpstreamTimeout: upstream.DefaultTimeout, RatingMode: server.RatingOff, RatingMinNetScore: server.DefaultRatingMinNetScore, RatingWorkers: 2, RatingQueue: 256}
	if cfg.TrustConfig != wantTrust {
		t.Errorf("trust %+v, want %+v", cfg.TrustConfig, wantTrust)
	}
	if cfg.TokenTTL != 10*time.Hour || cfg.PageSize != 100 || cfg.MaxResults != 10000 || cfg.TokenSecret != nil || cfg.Environment != "development" {
		t.Errorf("server config %+v", cfg)
	}
	if got, want := e.Storage(), (store.Options{SQLiteURL: "sqlite:///registry.db", Fallback: true}); got != want {
		t.Errorf("storage %+v, want %+v", got, want)
	}
	if e.ListenAddr() != "127.0.0.1:8000" || e.ShutdownIdleGrace != Duration(3*time.Second) || slog.Level(e.LogLevel) != slog.LevelInfo || e.Lambda() {
		t.Errorf("addr %s grace %v level %v lambda %v", e.ListenAddr(), e.ShutdownIdleGrace, e.LogLevel, e.Lambda())
	}
}

func TestParse(t *testing.T) {
	e, err := Parse([]string{
		"PORT=9123", "TOKEN_TTL=3600", "PAGE_SIZE=7", "TOKEN_SECRET=s3cret", "MAX_QUERY_RESULTS=0",
		"MAX_URL_BYTES=100", "MAX_NAME_BYTES=50", "MAX_README_BYTES=4096", "MAX_REGEX_BYTES=64", "MAX_QUERIES=20",
		"SEARCH_TIMEOUT=250ms", "AUTH_THROTTLE=0", "AUTH_MAX_FAILURES_PER_USER=3",
		"AUTH_MAX_FAILURES_PER_ADDRESS=9", "AUTH_FAILURE_REFILL=30", "AUTH_BCRYPT_CONCURRENCY=4",
		"TOKEN_RATE_LIMIT=2.5", "TOKEN_RATE_BURST=10", "SHUTDOWN_IDLE_GRACE=0",
		"HF_ENDPOINT=http://127.0.0.1:9", "GITHUB_API_URL=http://127.0.0.1:10", "GITHUB_TOKEN=tok",
		"RATING_MODE=ASYNC", "RATING_MIN_NET_SCORE=0.7", "RATING_WORKERS=3", "RATING_QUEUE=16", "UPSTREAM_TIMEOUT=2s",
		"USE_S3=true", "S3_BUCKET_NAME=b", "AWS_REGION=eu-west-1", "USE_SQLITE=1", "STORAGE_FALLBACK=0",
		"LOG_LEVEL=warning", "ENVIRONMENT=staging", "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001",
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.Server()
	wantL := server.Limits{MaxURLBytes: 100, MaxNameBytes: 50, MaxReadmeBytes: 4096, MaxRegexBytes: 64, MaxQueries: 20, SearchTimeout: 250 * time.Millisecond}
	wantT := server.Throttle{Off: true, UserFailures: 3, AddressFailures: 9, FailureRefill: 30 * time.Second, BcryptConcurrency: 4, TokenRate: 2.5, TokenBurst: 10}
	wantTrust := server.TrustConfig{HFEndpoint: "http://127.0.0.1:9", GitHubAPIURL: "http://127.0.0.1:10", GitHubToken: "tok",
		RatingMode: server.RatingAsync, RatingMinNetScore: 0.7, RatingWorkers: 3, RatingQueue: 16, UpstreamTimeout: 2 * time.Second}
	if cfg.Limits != wantL || cfg.Throttle != wantT || cfg.TrustConfig != wantTrust {
		t.Errorf("from the environment: %+v %+v %+v", cfg.Limits, cfg.Throttle, cfg.TrustConfig)
	}
	if cfg.TokenTTL != time.Hour || cfg.PageSize != 7 || cfg.MaxResults != 0 || string(cfg.TokenSecret) != "s3cret" || cfg.Environment != "staging" {
		t.Errorf("server config %+v", cfg)
	}
	if got, want := e.Storage(), (store.Options{UseS3: true, Bucket: "b", Region: "eu-west-1", UseSQLite: true, SQLiteURL: "sqlite:///registry.db"}); got != want {
		t.Errorf("storage %+v, want %+v", got, want)
	}
	if e.ListenAddr() != "127.0.0.1:9123" || e.ShutdownIdleGrace != 0 || slog.Level(e.LogLevel) != slog.LevelWarn || !e.Lambda() {
		t.Errorf("addr %s grace %v level %v lambda %v", e.ListenAddr(), e.ShutdownIdleGrace, e.LogLevel, e.Lambda())
	}
	if e, _ := Parse([]string{"ADDR=127.0.0.1:1234", "PORT=9", "LOG_LEVEL=CRITICAL"}); e.ListenAddr() != "127.0.0.1:1234" || slog.Level(e.LogLevel) != slog.LevelError {
		t.Errorf("ADDR over PORT, CRITICAL: %s %v", e.ListenAddr(), e.LogLevel)
	}
}

// A bad value is an error naming the variable, the value and what is
// accepted; several bad values are all reported.
func TestBadValues(t *testing.T) {
	for name, c := range map[string]struct{ value, want string }{
		"TOKEN_TTL":               {"soon", "a positive duration such as 10s or 250ms, or a number of seconds"},
		"AUTH_FAILURE_REFILL":     {"-1s", "a positive duration"},
		"SHUTDOWN_IDLE_GRACE":     {"later", "a non-negative duration"},
		"PAGE_SIZE":               {"0", "an integer of at least 1"},
		"MAX_QUERY_RESULTS":       {"-1", "a non-negative integer"},
		"MAX_URL_BYTES":           {"0", "an integer of at least 1"},
		"AUTH_BCRYPT_CONCURRENCY": {"x", "an integer of at least 1"},
		"TOKEN_RATE_LIMIT":        {"fast", "a non-negative number"},
		"RATING_MIN_NET_SCORE":    {"1.5", "a positive number at most 1"},
		"RATING_WORKERS":          {"0", "an integer of at least 1"},
		"RATING_QUEUE":            {"0", "an integer of at least 1"},
		"MAX_QUERIES":             {"0", "an integer of at least 1"},
		"RATING_MODE":             {"eager", "off, sync or async"},
		"LOG_LEVEL":               {"LOUD", "DEBUG, INFO, WARN (or WARNING) or ERROR (or CRITICAL)"},
		"USE_S3":                  {"yes", "1, true, 0 or false"},
		"AUTH_THROTTLE":           {"off", "1, true, 0 or false"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]string{name + "=" + c.value})
			if err == nil || !strings.Contains(err.Error(), name+` "`+c.value+`": want `+c.want) {
				t.Errorf("%s=%s: %v, want an error naming the variable, the value and %q", name, c.value, err, c.want)
			}
		})
	}
	_, err := Parse([]string{"PAGE_SIZE=x", "RATING_MODE=eager", "TOKEN_TTL=0"})
	for _, name := range []string{"PAGE_SIZE", "RATING_MODE", "TOKEN_TTL"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("three bad values: %v, want %s named", err, name)
		}
	}
}

// Every field is a documented variable, named once.
func TestEveryFieldDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Env]()) {
		name := f.Tag.Get("env")
		if name == "" || f.Tag.Get("doc") == "" || seen[name] {
			t.Errorf("field %s: env %q doc %q (a variable needs one field with both)", f.Name, name, f.Tag.Get("doc"))
		}
		seen[name] = true
	}
	var help strings.Builder
	Help(&help)
	for name := range seen {
		if !strings.Contains(help.String(), "\n  "+name) || !strings.Contains(Markdown(), "| `"+name+"` |") {
			t.Errorf("%s is missing from -help or the README table", name)
		}
	}
}

// The README's table is Markdown(), between its markers (scripts/docs.sh
// writes it; this fails when it was not run after a change of Env).
func TestReadmeTableIsGenerated(t *testing.T) {
	b, err := os.ReadFile("../../cmd/registry-server/README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), ReadmeBegin+"\n"+Markdown()+ReadmeEnd) {
		t.Errorf("the table of cmd/registry-server/README.md is not what Env documents: run scripts/docs.sh (or go run ./cmd/registry-server -help-markdown) and commit it")
	}
}

// A value that does not parse is reported once, not again as out of bounds.
func TestBadValueReportedOnce(t *testing.T) {
	_, err := Parse([]string{"PAGE_SIZE=x"})
	if err == nil || strings.Count(err.Error(), "PAGE_SIZE") != 1 {
		t.Errorf("PAGE_SIZE=x: %v, want one error naming PAGE_SIZE", err)
	}
}
