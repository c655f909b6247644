// Package client is a Go client of the Trustworthy Model Registry API
// (OpenAPI 3.4.7): artifacts, queries, authentication and health.
//
// It authenticates once per Client and shares the token across goroutines,
// retries idempotent calls on 429, 502, 503, 504 and connection errors with
// exponential backoff and jitter (go-retryablehttp), never blindly re-sends a
// create, and turns every failure into an error that names the call and the
// server's message but never a password or token.
package client

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/sync/singleflight"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
)

// Defaults of Config.
const (
	DefaultRequestTimeout = 30 * time.Second
	// DefaultMaxRetries rides out a registry, or a network, that fails
	// more than half of the attempts for a while: with 60% of attempts
	// failing (resets, 503s, answers lost), 21 attempts all fail with a
	// probability of 2e-5, where 5 did with 8%.
	DefaultMaxRetries = 20
	DefaultUserAgent  = "terraform-provider-registry"
)

// The waits between attempts (Config.RetryWaitMin and RetryWaitMax): 0.5 s
// doubling up to 5 s, so that 20 retries wait at most about 90 s in all.
const (
	DefaultRetryWaitMin = 500 * time.Millisecond
	DefaultRetryWaitMax = 5 * time.Second
)

const (
	// maxRetryAfter caps the wait a server may ask for with Retry-After, so
	// that a misconfigured gateway cannot stall an apply for hours; the
	// caller's context still bounds the total.
	maxRetryAfter = 2 * time.Minute
	// maxBodyBytes bounds what is read of a successful response.
	maxBodyBytes = 64 << 20
	// maxErrorBodyBytes bounds what is read of an error response.
	maxErrorBodyBytes = 1 << 20
)

// Logger receives one debug line per HTTP attempt with the fields method,
// path, status (0 on a connection error), attempt and duration_ms. It never
// receives headers or bodies, so no secret can reach it. The provider adapts
// tflog to it.
type Logger interface {
	Debug(ctx context.Context, msg string, fields map[string]any)
}

// Config configures a Client.
type Config struct {
	// Endpoint is the registry's base URL, an absolute http(s) URL such as
	// http://127.0.0.1:8000 (a path prefix is kept).
	Endpoint string
	// Username, Password and IsAdmin are sent to PUT /authenticate.
	Username string
	Password string
	IsAdmin  bool
	// Token is a ready token: the client sends it without calling
	// /authenticate. When the registry rejects it with 403 and Username is
	// set, the client authenticates with Username and Password.
	Token string
	// RequestTimeout bounds each HTTP attempt; 0 means 30s.
	RequestTimeout time.Duration
	// MaxRetries is the number of retries of an idempotent call after the
	// first attempt; 0 means DefaultMaxRetries, a negative value disables retries.
	MaxRetries int
	// RetryWaitMin and RetryWaitMax bound the wait before a retry, which
	// doubles from the first to the second (with jitter); 0 means
	// DefaultRetryWaitMin and DefaultRetryWaitMax.
	RetryWaitMin, RetryWaitMax time.Duration
	// UserAgent is sent in the User-Agent header; empty means
	// "terraform-provider-registry".
	UserAgent string
	// Transport is how the registry is reached: TLS certificates, extra
	// headers, proxy.
	Transport TransportConfig
	// HTTPClient is the client whose transport is used (tests); nil means a
	// pooled transport of go-cleanhttp configured by Transport (whose TLS
	// and proxy settings then must be empty; its Headers still apply). Its
	// Timeout is replaced by RequestTimeout; the value passed is not
	// modified.
	HTTPClient *http.Client
	// Logger, optional, receives one line per HTTP attempt.
	Logger Logger
}

// MaxIdleConnsPerHost is how many connections to the registry the default
// HTTP client keeps open between calls: above terraform's -parallelism in
// common use (default 10).
const MaxIdleConnsPerHost = 64

// Client calls the registry API. It is safe for concurrent use.
type Client struct {
	// baseURL is the endpoint without a trailing slash.
	baseURL   string
	username  string
	password  string
	isAdmin   bool
	userAgent string
	logger    Logger
	// createRetries bounds the re-sends of a create proven absent, which
	// wait from retryWaitMin to retryWaitMax as the other retries do.
	createRetries              int
	retryWaitMin, retryWaitMax time.Duration
	// authUnsupported: /authenticate answered 501, so the configured
	// username and password are not used.
	authUnsupported atomic.Bool
	// headers are the configured extra headers, sent on every request.
	headers map[string]string
	// host is the endpoint's host, named in TLS errors.
	host string
	// clientCert is whether a client certificate is presented.
	clientCert bool

	// retrying serves idempotent calls; once serves the create, which must
	// not be re-sent (except on 429, which the server answers before doing
	// anything, and when no connection could be opened).
	retrying *retryablehttp.Client
	once     *retryablehttp.Client

	authMu sync.Mutex
	// secrets (password, every token) are redacted from error messages.
	secrets []string
	// token is the value sent in X-Authorization and Authorization; valid
	// when tokenKnown ("" then means: send none).
	token      string
	tokenKnown bool
	// authRefused is /authenticate's refusal of the credentials (401 or
	// 403), returned to every later call instead of asking again.
	authRefused error
	authGroup   singleflight.Group
}

// New returns a Client for cfg. It checks that the endpoint is an absolute
// http(s) URL; it makes no request.
func New(cfg Config) (*Client, error) {
	base, err := ParseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("registry endpoint: %w", err)
	}
	base.Path = strings.TrimRight(base.Path, "/")
	base.RawPath = ""

	if cfg.RequestTimeout < 0 {
		return nil, fmt.Errorf("request timeout %s: must not be negative", cfg.RequestTimeout)
	}
	timeout := cfg.RequestTimeout
	if timeout == 0 {
		timeout = DefaultRequestTimeout
	}
	retries := cfg.MaxRetries
	switch {
	case retries == 0:
		retries = DefaultMaxRetries
	case retries < 0:
		retries = 0
	}
	waitMin, waitMax := cmp.Or(cfg.RetryWaitMin, DefaultRetryWaitMin), cmp.Or(cfg.RetryWaitMax, DefaultRetryWaitMax)
	if waitMin < 0 || waitMax < waitMin {
		return nil, fmt.Errorf("retry waits from %s to %s: the first must be positive and not above the second", waitMin, waitMax)
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}

	for name, value := range cfg.Transport.Headers {
		if err := CheckHeader(name, value); err != nil {
			return nil, err
		}
	}
	var hc http.Client
	if cfg.HTTPClient != nil {
		tc := cfg.Transport
		if tc.CACertificate != "" || tc.ClientCertificate != "" || tc.ClientKey != "" || tc.Insecure || tc.ProxyURL != "" {
			return nil, errors.New("the TLS and proxy settings apply to the client's own transport, not to a given HTTPClient")
		}
		hc = *cfg.HTTPClient
	} else {
		transport, err := newTransport(cfg.Transport)
		if err != nil {
			return nil, err
		}
		hc = http.Client{Transport: transport}
	}
	hc.Timeout = timeout
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = &loggingTransport{next: next, logger: cfg.Logger}

	c := &Client{
		baseURL:   base.String(),
		username:  cfg.Username,
		password:  cfg.Password,
		isAdmin:   cfg.IsAdmin,
		userAgent: ua,
		logger:    cfg.Logger,
		headers:   maps.Clone(cfg.Transport.Headers),
		host:      base.Hostname(),
		// A configured pair was checked above; ParseKeyPair failing would
		// have returned.
		clientCert:    cfg.Transport.ClientCertificate != "",
		createRetries: retries,
		retryWaitMin:  waitMin,
		retryWaitMax:  waitMax,
		retrying:      newRetryClient(&hc, retries, waitMin, waitMax, retryIdempotent),
		once:          newRetryClient(&hc, retries, waitMin, waitMax, retryNotActed),
	}
	c.addSecretLocked(cfg.Password)
	c.addSecretLocked(cfg.Token)
	for _, v := range cfg.Transport.Headers {
		// An API key echoed by a gateway must not reach an error.
		c.addSecretLocked(v)
	}
	if u, err := url.Parse(cfg.Transport.ProxyURL); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			c.addSecretLocked(pw)
		}
	}
	switch {
	case cfg.Token != "":
		c.token, c.tokenKnown = cfg.Token, true
	case cfg.Username == "":
		// Nothing to authenticate with: call the API without a token (a
		// registry without authentication accepts that; one with answers 403).
		c.tokenKnown = true
	}
	return c, nil
}

// ParseEndpoint checks a registry endpoint: an absolute http(s) URL, with a
// path prefix if need be, but no user:password@ (the credentials are
// settings of their own) and no ?query or #fragment (the client appends
// the API's paths and queries). The error never shows a password or query.
func ParseEndpoint(raw string) (*url.URL, error) {
	u, err := artifact.ValidateHTTP(raw)
	if err != nil {
		return nil, err
	}
	if u.User != nil {
		return nil, fmt.Errorf("%q has credentials in it (user:password@), which the provider does not send from the URL: "+
			"remove them and set the username and password (or a token) instead", u.Redacted())
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		shown := *u
		shown.RawQuery, shown.ForceQuery, shown.Fragment, shown.RawFragment = "", false, "", ""
		return nil, fmt.Errorf("%q is followed by a query (?...) or fragment (#...), which an endpoint cannot have: remove it "+
			"(an API key goes into the headers setting)", shown.String())
	}
	return u, nil
}

func newRetryClient(hc *http.Client, retries int, waitMin, waitMax time.Duration, policy retryablehttp.CheckRetry) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   hc,
		RetryWaitMin: waitMin,
		RetryWaitMax: waitMax,
		RetryMax:     retries,
		CheckRetry:   policy,
		Backoff:      backoff,
		// The last response (or error) is handed back as it is, so that a
		// final 503 becomes an APIError with the server's message.
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
		// No retryablehttp logger: the loggingTransport logs each attempt.
	}
}

// retryIdempotent retries 429, 502, 503, 504 and connection errors (but not
// TLS, scheme or redirect errors, which retrying cannot fix).
func retryIdempotent(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		if AsTLSError(classifyTLS(err, "", false)) != nil {
			// A refused client certificate arrives as an alert, which
			// retryablehttp would retry; the error reaches the caller.
			return false, nil //nolint:nilerr // not retrying is the decision; the error is returned by Do

		}
		return retryablehttp.DefaultRetryPolicy(ctx, nil, err)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true, nil
	}
	return false, nil
}

// retryNotActed retries what the server cannot have acted on, so that
// re-sending cannot create a duplicate: a 429 (refused before acting) and a
// connection that could not be opened.
func retryNotActed(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return NotSent(err) && AsTLSError(classifyTLS(err, "", false)) == nil, nil
	}
	return resp.StatusCode == http.StatusTooManyRequests, nil
}

// backoff waits what Retry-After asks for on 429 and 503 (capped at
// maxRetryAfter); otherwise min*2^attempt capped at max, with "equal jitter"
// (half fixed, half random) so that parallel clients do not retry in step.
func backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && resp.Header.Get("Retry-After") != "" &&
		(resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		return min(retryablehttp.DefaultBackoff(lo, hi, attempt, resp), maxRetryAfter)
	}
	d := retryablehttp.DefaultBackoff(lo, hi, attempt, nil)
	half := d / 2
	// Jitter spreads retries; it guards no secret, so math/rand is right.
	return half + rand.N(d-half+1) //nolint:gosec // G404: not security-sensitive

}

type attemptKey struct{}

// attemptCounter returns the counter of HTTP attempts of ctx's call.
func attemptCounter(ctx context.Context) *atomic.Int32 {
	n, _ := ctx.Value(attemptKey{}).(*atomic.Int32)
	return n
}

// loggingTransport logs each attempt and counts the attempts of a call.
type loggingTransport struct {
	next   http.RoundTripper
	logger Logger
}

func (t *loggingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	attempt := 1
	if n := attemptCounter(req.Context()); n != nil {
		attempt = int(n.Add(1))
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if t.logger != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.logger.Debug(req.Context(), "registry API request", map[string]any{
			"method":      req.Method,
			"path":        req.URL.Path,
			"status":      status,
			"attempt":     attempt,
			"duration_ms": time.Since(start).Milliseconds(),
		})
	}
	return resp, err
}

// call is one API call.
type call struct {
	method string
	// path is the request path below the endpoint, with its segments
	// escaped (see pathOf).
	path  string
	query url.Values
	// body, when not nil, is sent as JSON.
	body any
	// idempotent calls are retried; a create is not.
	idempotent bool
	// noAuth calls (/authenticate, /health) carry no token.
	noAuth bool
}

// response is an HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
	// attempts is how often the call was sent.
	attempts int
}

// pathOf joins escaped path segments: pathOf("artifacts", typ, id).
func pathOf(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		switch s {
		case ".", "..":
			// PathEscape leaves dots alone, and a dot segment would be
			// resolved away (an artifact may be named "..").
			b.WriteString(strings.Repeat("%2E", len(s)))
		default:
			b.WriteString(url.PathEscape(s))
		}
	}
	return b.String()
}

// do sends cl. A 2xx answer is returned; any other status is an *APIError.
// A 403 on a call sent with a token re-authenticates once and re-sends the
// call once.
func (c *Client) do(ctx context.Context, cl call) (*response, error) {
	var payload []byte
	if cl.body != nil {
		var err error
		if payload, err = json.Marshal(cl.body); err != nil {
			return nil, fmt.Errorf("%s %s: encoding the request: %w", cl.method, cl.path, err)
		}
	}
	reauthed := false
	for {
		token := ""
		if !cl.noAuth {
			var err error
			if token, err = c.currentToken(ctx); err != nil {
				return nil, &notSentError{err}
			}
		}
		resp, err := c.send(ctx, cl, payload, token)
		if err != nil {
			return nil, err
		}
		if resp.status >= 200 && resp.status < 300 {
			return resp, nil
		}
		apiErr := c.apiError(cl, resp)
		if resp.status != http.StatusForbidden || cl.noAuth {
			return nil, apiErr
		}
		switch {
		case token != "" && c.username != "" && !reauthed:
			// An expired or unknown token: authenticate again, once.
			reauthed = true
			c.invalidateToken(token)
			continue
		case reauthed:
			return nil, fmt.Errorf("%w (also with a fresh token)", apiErr)
		case token != "" && c.username == "":
			return nil, fmt.Errorf("%w (the configured token was refused, and without a username and password the client cannot authenticate again)", apiErr)
		case token == "" && c.username == "":
			return nil, fmt.Errorf("%w (no username and password or token is configured)", apiErr)
		}
		return nil, apiErr
	}
}

// send makes one call through retryablehttp and reads the answer. Only
// transport failures are errors here.
func (c *Client) send(ctx context.Context, cl call, payload []byte, token string) (*response, error) {
	attempts := new(atomic.Int32)
	ctx = context.WithValue(ctx, attemptKey{}, attempts)

	target := c.baseURL + cl.path
	if len(cl.query) > 0 {
		target += "?" + cl.query.Encode()
	}
	var body any
	if payload != nil {
		body = payload
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, cl.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", cl.method, cl.path, err)
	}
	for name, value := range c.headers {
		req.Header.Set(name, value)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		// The spec names X-Authorization; many gateways and servers read
		// Authorization.
		req.Header.Set("X-Authorization", token)
		req.Header.Set("Authorization", token)
	}

	// The body is read inside retryablehttp's loop, so that a connection
	// dropped in the middle of an answer is retried like one dropped before.
	// retryablehttp skips the handler for the last of retried answers (say a
	// final 503); that one is read below.
	var (
		answer   []byte
		tooLarge bool
		read     bool
	)
	readBody := func(resp *http.Response) error {
		limit := int64(maxBodyBytes)
		if resp.StatusCode >= 300 {
			limit = maxErrorBodyBytes
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
		if err != nil {
			return fmt.Errorf("reading the response: %w", err)
		}
		answer, tooLarge, read = b, int64(len(b)) > limit, true
		if tooLarge {
			answer = b[:limit]
		}
		return nil
	}
	req.SetResponseHandler(readBody)

	rc := c.retrying
	if !cl.idempotent {
		rc = c.once
	}
	resp, err := rc.Do(req)
	if resp != nil {
		defer resp.Body.Close()
		if err == nil && !read {
			err = readBody(resp)
		}
	}
	if err != nil {
		err = classifyTLS(err, c.host, c.clientCert)
		return nil, &transportError{method: cl.method, path: cl.path, attempts: int(attempts.Load()), err: c.redactErr(err)}
	}
	if tooLarge && resp.StatusCode < 300 {
		return nil, fmt.Errorf("%s %s: response larger than %d bytes", cl.method, cl.path, maxBodyBytes)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: answer, attempts: int(attempts.Load())}, nil
}

// transportError is a call that got no HTTP answer (connection refused or
// dropped, timeout), after all its attempts.
type transportError struct {
	method, path string
	attempts     int
	err          error
}

func (e *transportError) Error() string {
	msg := transportMessage(e.err)
	if AsTLSError(e.err) != nil {
		// Already in words (and redacted); transportMessage would show
		// the Go error inside it.
		msg = e.err.Error()
	}
	s := fmt.Sprintf("%s %s: %s", e.method, e.path, msg)
	if e.attempts > 1 {
		s += fmt.Sprintf(" (after %d attempts)", e.attempts)
	}
	return s
}

func (e *transportError) Unwrap() error { return e.err }

// doJSON sends cl (see do) and decodes its 2xx answer, JSON, into a T.
// The answer is returned too, for its status and headers.
func doJSON[T any](ctx context.Context, c *Client, cl call) (T, *response, error) {
	resp, err := c.do(ctx, cl)
	if err != nil {
		var zero T
		return zero, nil, err
	}
	v, err := decodeJSON[T](cl, resp)
	return v, resp, err
}

// doList is doJSON for an answer that is a JSON array: the list is never
// nil, so that a registry's null is an empty list.
func doList[T any](ctx context.Context, c *Client, cl call) ([]T, *response, error) {
	items, resp, err := doJSON[[]T](ctx, c, cl)
	if err == nil && items == nil {
		items = []T{}
	}
	return items, resp, err
}

// decodeJSON reads a JSON answer into a T.
func decodeJSON[T any](cl call, resp *response) (T, error) {
	var v T
	if err := json.Unmarshal(bytes.TrimSpace(resp.body), &v); err != nil {
		return v, fmt.Errorf("%s %s: the registry answered %d with a body that is not the expected JSON: %w", cl.method, cl.path, resp.status, err)
	}
	return v, nil
}
