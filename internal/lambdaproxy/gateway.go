package lambdaproxy

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// MaxEventBodyBytes is API Gateway's limit on a request body (10 MB).
const MaxEventBodyBytes = 10 << 20

// Gateway plays an API Gateway HTTP API with a Lambda proxy integration
// (payload 2.0) in front of a function: each request becomes an event,
// POSTed to InvokeURL (the Lambda Runtime Interface Emulator's
// /2015-03-31/functions/function/invocations), and the function's answer
// becomes the response. Like the HTTP API it hands the function the path
// decoded, with the route that matched and its path parameters.
type Gateway struct {
	// InvokeURL takes an event and answers the function's result.
	InvokeURL string
	// Routes such as "ANY /artifact/byName/{name}" are matched before
	// "$default", which takes every other request.
	Routes []string
	// Client defaults to a client with a 30 s timeout, the HTTP API's
	// integration timeout.
	Client *http.Client

	// One emulated instance answers one event at a time, as a Lambda
	// execution environment does.
	mu sync.Mutex
}

// ServeHTTP answers one request through the function.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxEventBodyBytes))
	if err != nil {
		writeGatewayError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	ev := g.event(r, body)
	payload, err := json.Marshal(ev)
	if err != nil {
		writeGatewayError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}

	g.mu.Lock()
	out, err := g.invoke(r, payload)
	g.mu.Unlock()
	if err != nil {
		// API Gateway answers 502 when the integration fails; the cause is
		// in the function's log (or the emulator's).
		w.Header().Set("X-Lambda-Gateway-Error", err.Error())
		writeGatewayError(w, http.StatusBadGateway, "Internal Server Error")
		return
	}
	for k, v := range out.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range out.MultiValueHeaders {
		w.Header().Del(k)
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range out.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	resBody := []byte(out.Body)
	if out.IsBase64Encoded {
		if resBody, err = base64.StdEncoding.DecodeString(out.Body); err != nil {
			writeGatewayError(w, http.StatusBadGateway, "Internal Server Error")
			return
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(resBody)))
	w.WriteHeader(out.StatusCode)
	_, _ = w.Write(resBody)
}

func (g *Gateway) event(r *http.Request, body []byte) events.APIGatewayV2HTTPRequest {
	routeKey, params := "$default", map[string]string(nil)
	for _, route := range g.Routes {
		if p, ok := matchRoute(route, r.Method, r.URL.EscapedPath()); ok {
			routeKey, params = route, p
			break
		}
	}
	headers := map[string]string{}
	var cookies []string
	for k, vs := range r.Header {
		if strings.EqualFold(k, "Cookie") {
			for _, v := range vs {
				cookies = append(cookies, strings.Split(v, "; ")...)
			}
			continue
		}
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	headers["host"] = r.Host
	headers["x-forwarded-proto"] = "http"
	if r.TLS != nil {
		headers["x-forwarded-proto"] = "https"
	}
	sourceIP, _, _ := net.SplitHostPort(r.RemoteAddr)
	headers["x-forwarded-for"] = sourceIP
	if len(body) > 0 {
		headers["content-length"] = strconv.Itoa(len(body))
	}
	now := time.Now()
	ev := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       routeKey,
		RawPath:        r.URL.Path, // decoded, as the HTTP API passes it
		RawQueryString: r.URL.RawQuery,
		Cookies:        cookies,
		Headers:        headers,
		PathParameters: params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:   routeKey,
			Stage:      "$default",
			RequestID:  strconv.FormatInt(now.UnixNano(), 36),
			DomainName: r.Host,
			Time:       now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:  now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(r.URL.Query()) > 0 {
		ev.QueryStringParameters = map[string]string{}
		for k, vs := range r.URL.Query() {
			ev.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	ev.Body, ev.IsBase64Encoded = encodeBody(body)
	return ev
}

// invoke posts the event and reads the function's proxy response. A
// function error (the emulator answers {"errorMessage": ...}) or an answer
// without a statusCode is an integration failure.
func (g *Gateway) invoke(r *http.Request, payload []byte) (events.APIGatewayV2HTTPResponse, error) {
	var out events.APIGatewayV2HTTPResponse
	client := g.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	// A client that hangs up does not stop the invocation (nor does it on
	// AWS); the emulator also fails when a second event arrives while one
	// is running.
	req, err := http.NewRequestWithContext(context.WithoutCancel(r.Context()), http.MethodPost, g.InvokeURL, bytes.NewReader(payload))
	if err != nil {
		return out, fmt.Errorf("invoke URL %q: %w", g.InvokeURL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return out, fmt.Errorf("invoking the function at %s: %w", g.InvokeURL, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return out, fmt.Errorf("reading the function's answer: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return out, fmt.Errorf("the invoke endpoint answered %d: %s", res.StatusCode, bytes.TrimSpace(raw))
	}
	var probe struct {
		StatusCode   *int   `json:"statusCode"`
		ErrorMessage string `json:"errorMessage"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil || probe.StatusCode == nil {
		if probe.ErrorMessage != "" {
			return out, fmt.Errorf("the function failed: %s", probe.ErrorMessage)
		}
		return out, fmt.Errorf("the function's answer is not a proxy response: %.200s", raw)
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("the function's answer is not a proxy response: %w", err)
	}
	return out, nil
}

// matchRoute matches "METHOD /template" (METHOD may be ANY) against a
// request, returning the decoded path parameters.
func matchRoute(route, method, escapedPath string) (map[string]string, bool) {
	m, tmpl, ok := strings.Cut(route, " ")
	if !ok || (m != "ANY" && m != method) {
		return nil, false
	}
	want := strings.Split(tmpl, "/")
	got := strings.Split(escapedPath, "/")
	params := map[string]string{}
	for i, w := range want {
		if strings.HasPrefix(w, "{") && strings.HasSuffix(w, "+}") {
			if i >= len(got) {
				return nil, false
			}
			rest, err := url.PathUnescape(strings.Join(got[i:], "/"))
			if err != nil {
				return nil, false
			}
			params[w[1:len(w)-2]] = rest
			return params, true
		}
		if i >= len(got) {
			return nil, false
		}
		seg, err := url.PathUnescape(got[i])
		if err != nil {
			return nil, false
		}
		switch {
		case strings.HasPrefix(w, "{") && strings.HasSuffix(w, "}"):
			if seg == "" {
				return nil, false
			}
			params[w[1:len(w)-1]] = seg
		case w != seg:
			return nil, false
		}
	}
	return params, len(want) == len(got)
}

func writeGatewayError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}
