// Package lambdaproxy serves an http.Handler to AWS Lambda behind API
// Gateway (Handler), and plays API Gateway in front of a Lambda function for
// tests and local runs (Gateway).
//
// Paths with percent-encoded names: an HTTP API (payload 1.0 and 2.0) hands
// the function the path and the path parameters already decoded, so a name
// holding "%2F" arrives as a "/" and can no longer be told from a path
// separator. When the matched route is a template such as
// "GET /artifact/byName/{name}", Handler therefore rebuilds the path from the
// template and the escaped path parameters; on "$default" or greedy routes
// it uses the path as given. A REST API (payload 1.0 without a version)
// passes the path still encoded, and it is used as it is.
package lambdaproxy

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Handler turns API Gateway proxy events into requests to an http.Handler
// and its answers into proxy responses. It implements lambda.Handler, so
// lambda.Start(Handler{...}) serves it.
type Handler struct {
	HTTP http.Handler
}

// payloadProbe tells the event formats apart: HTTP API events carry a
// version ("2.0" or "1.0"); REST API events have none but an httpMethod.
type payloadProbe struct {
	Version    string `json:"version"`
	HTTPMethod string `json:"httpMethod"`
	RawPath    string `json:"rawPath"`
}

// Invoke answers one event.
func (h Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var probe payloadProbe
	if err := json.Unmarshal(payload, &probe); err != nil {
		return nil, fmt.Errorf("the event is not a JSON object: %w", err)
	}
	switch {
	case probe.Version == "2.0":
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("reading the HTTP API (payload 2.0) event: %w", err)
		}
		return h.serveV2(ctx, ev)
	case probe.HTTPMethod != "":
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("reading the API Gateway (payload 1.0) event: %w", err)
		}
		return h.serveV1(ctx, ev, probe.Version == "1.0")
	}
	return nil, errors.New("the event is not an API Gateway proxy event (neither payload 2.0 with version \"2.0\" nor payload 1.0 with httpMethod): connect the function through an API Gateway Lambda proxy integration")
}

func (h Handler) serveV2(ctx context.Context, ev events.APIGatewayV2HTTPRequest) ([]byte, error) {
	path := ev.RawPath
	if _, tmpl, ok := strings.Cut(ev.RouteKey, " "); ok {
		if p, ok := expandTemplate(tmpl, ev.PathParameters); ok {
			path = p
		} else {
			path = escapeLoosely(path)
		}
	} else {
		path = escapeLoosely(path)
	}
	header := http.Header{}
	for k, v := range ev.Headers {
		header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	req, err := newRequest(ctx, ev.RequestContext.HTTP.Method, path, ev.RawQueryString, header,
		ev.RequestContext.DomainName, ev.RequestContext.HTTP.SourceIP, ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	rec := serve(h.HTTP, req)
	res := events.APIGatewayV2HTTPResponse{StatusCode: rec.status, Headers: map[string]string{}}
	for k, vs := range rec.header {
		if k == "Set-Cookie" {
			res.Cookies = append(res.Cookies, vs...)
			continue
		}
		res.Headers[k] = strings.Join(vs, ",")
	}
	res.Body, res.IsBase64Encoded = encodeBody(rec.body.Bytes())
	return json.Marshal(res)
}

func (h Handler) serveV1(ctx context.Context, ev events.APIGatewayProxyRequest, httpAPI bool) ([]byte, error) {
	path := ev.Path
	if httpAPI {
		if p, ok := expandTemplate(ev.Resource, ev.PathParameters); ok {
			path = p
		}
	}
	path = escapeLoosely(path)
	header := http.Header{}
	for k, v := range ev.Headers {
		header.Set(k, v)
	}
	for k, vs := range ev.MultiValueHeaders {
		header.Del(k)
		for _, v := range vs {
			header.Add(k, v)
		}
	}
	query := url.Values{}
	for k, v := range ev.QueryStringParameters {
		query.Set(k, v)
	}
	for k, vs := range ev.MultiValueQueryStringParameters {
		query[k] = vs
	}
	req, err := newRequest(ctx, ev.HTTPMethod, path, query.Encode(), header,
		ev.RequestContext.DomainName, ev.RequestContext.Identity.SourceIP, ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	rec := serve(h.HTTP, req)
	res := events.APIGatewayProxyResponse{StatusCode: rec.status, MultiValueHeaders: map[string][]string(rec.header)}
	res.Body, res.IsBase64Encoded = encodeBody(rec.body.Bytes())
	return json.Marshal(res)
}

// newRequest builds the request as a server would have read it: Host from
// the Host header (the API's domain, which download_url is built from), or
// the event's domain name.
func newRequest(ctx context.Context, method, path, rawQuery string, header http.Header, domain, sourceIP, body string, isBase64 bool) (*http.Request, error) {
	if method == "" || !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("the event has no method or no absolute path (method %q, path %q)", method, path)
	}
	payload := []byte(body)
	if isBase64 {
		var err error
		if payload, err = base64.StdEncoding.DecodeString(body); err != nil {
			return nil, fmt.Errorf("the event's body is marked isBase64Encoded but is not base64: %w", err)
		}
	}
	target := path
	if rawQuery != "" {
		target += "?" + rawQuery
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, fmt.Errorf("the event's path %q is not a valid request target: %w", target, err)
	}
	req, err := http.NewRequestWithContext(ctx, method, "/", bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("the event's method %q is not valid: %w", method, err)
	}
	req.URL = u
	req.RequestURI = target
	req.Header = header
	req.Host = header.Get("Host")
	if req.Host == "" {
		req.Host = domain
	}
	if sourceIP != "" {
		req.RemoteAddr = net.JoinHostPort(sourceIP, "0")
	}
	return req, nil
}

// expandTemplate rebuilds an escaped path from a route template such as
// /artifact/byName/{name} and the decoded path parameters. Greedy
// parameters ({proxy+}) cannot be rebuilt, since their slashes are ambiguous.
func expandTemplate(tmpl string, params map[string]string) (string, bool) {
	if !strings.HasPrefix(tmpl, "/") || !strings.Contains(tmpl, "{") {
		return "", false
	}
	segs := strings.Split(tmpl, "/")
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
			continue
		}
		name := s[1 : len(s)-1]
		v, ok := params[name]
		if strings.HasSuffix(name, "+") || !ok {
			return "", false
		}
		segs[i] = escapeSegment(v)
	}
	return strings.Join(segs, "/"), true
}

// escapeSegment escapes one path segment. The dot segments "." and ".."
// are encoded too: a router would otherwise remove them (RFC 3986).
func escapeSegment(v string) string {
	if v == "." || v == ".." {
		return strings.Repeat("%2E", len(v))
	}
	return url.PathEscape(v)
}

// escapeLoosely makes a path that may or may not be percent-encoded a valid
// request path: valid %XX escapes are kept, and characters that can never
// appear literally in a path (space, ?, #, a bare %, non-ASCII) are escaped.
func escapeLoosely(p string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]):
			b.WriteByte(c)
		case c > ' ' && c < 0x7f && c != '%' && c != '?' && c != '#' && c != '"' && c != '<' && c != '>' && c != '\\' && c != '^' && c != '`' && c != '{' && c != '|' && c != '}':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// encodeBody returns the body as the event's string, base64 when it is not
// UTF-8 text (API Gateway decodes it back to the same bytes).
func encodeBody(b []byte) (string, bool) {
	if utf8.Valid(b) {
		return string(b), false
	}
	return base64.StdEncoding.EncodeToString(b), true
}

// recorder keeps what the handler answers.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

func serve(h http.Handler, req *http.Request) *recorder {
	rec := &recorder{header: http.Header{}}
	h.ServeHTTP(rec, req)
	rec.WriteHeader(http.StatusOK)
	if rec.header.Get("Content-Type") == "" && rec.body.Len() > 0 {
		rec.header.Set("Content-Type", http.DetectContentType(rec.body.Bytes()))
	}
	return rec
}
