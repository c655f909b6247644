package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"unicode/utf8"
)

// maxMessageLen bounds the server message kept in an APIError.
const maxMessageLen = 300

// APIError is an HTTP answer other than 2xx.
type APIError struct {
	Method     string
	Path       string
	StatusCode int
	// Message is the server's message on one line: the "error", "message"
	// or "detail" of a JSON body, trimmed plain text, or a one-line summary
	// of an HTML page. Secrets of the client are redacted.
	Message string
	// Attempts is how often the call was sent (1 when it was not retried).
	Attempts int
	// JSONBody: the body was a JSON document, the form of the registry's
	// own error answers. A web framework's page for an unknown route is
	// HTML or plain text.
	JSONBody bool
}

// Error reads "PUT /artifacts/model/x: 404 Not Found: <server message>".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d", e.Method, e.Path, e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" " + t)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// StatusCode is the HTTP status of err's *APIError; 0 when err is not one.
func StatusCode(err error) int {
	var e *APIError
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// The classifier. An error answer means one of three things, and a caller
// must never confuse the first two:
//
//   - IsNotFound: the registry served the endpoint and says the resource
//     does not exist (404 with the registry's JSON error body).
//   - IsUnrouted: the registry does not serve the endpoint at all (a 404
//     that is not JSON, such as a framework's "Cannot DELETE ..." page; a
//     405; a 501). Many endpoints are NON-BASELINE in the spec, so a
//     conforming registry may lack them. This says nothing about whether
//     the resource exists.
//   - anything else: a failure to report as it is.

// IsNotFound reports whether err is the registry's own answer that the
// resource does not exist: a 404 with a JSON body. A 404 with an HTML,
// plain-text or empty body is IsUnrouted instead.
func IsNotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.StatusCode == http.StatusNotFound && e.JSONBody
}

// IsUnrouted reports whether err says that the registry does not serve the
// endpoint: a 404 without a JSON body, 405 Method Not Allowed or 501 Not
// Implemented.
func IsUnrouted(err error) bool {
	var e *APIError
	if !errors.As(err, &e) {
		return false
	}
	switch e.StatusCode {
	case http.StatusNotFound:
		return !e.JSONBody
	case http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return true
	}
	return false
}

// UnroutedDetail describes an error for which IsUnrouted is true in one
// sentence for a diagnostic, naming the call and the registry's answer:
//
//	the registry does not serve DELETE /artifacts/model/42 (it answered 404 Not Found: HTML error page: Error)
//
// Callers add what the user can do. It is "" for any other error.
func UnroutedDetail(err error) string {
	var e *APIError
	if !IsUnrouted(err) || !errors.As(err, &e) {
		return ""
	}
	answer := fmt.Sprintf("%d", e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		answer += " " + t
	}
	if e.Message != "" {
		answer += ": " + e.Message
	}
	return fmt.Sprintf("the registry does not serve %s %s (it answered %s)", e.Method, e.Path, answer)
}

// transportMessage says in words why a call got no answer, without the
// Go error chain ("Post \"http://...\": read tcp a->b: read: connection
// reset by peer").
func transportMessage(err error) string {
	var (
		netErr net.Error
		dnsErr *net.DNSError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "no answer within the time limit (the provider's request_timeout, or the operation's timeout)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused: nothing listens at the endpoint"
	case errors.Is(err, syscall.ECONNRESET):
		return "the connection was reset before the registry answered"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the registry closed the connection without answering"
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("cannot resolve the host name %q", dnsErr.Name)
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err.Error()
	}
	return err.Error()
}

func (c *Client) apiError(cl call, resp *response) *APIError {
	return &APIError{
		Method:     cl.method,
		Path:       cl.path,
		StatusCode: resp.status,
		Message:    c.redact(serverMessage(resp.header.Get("Content-Type"), resp.body)),
		Attempts:   resp.attempts,
		JSONBody:   isJSONError(resp.header.Get("Content-Type"), resp.body),
	}
}

var (
	titleRe = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	spaceRe = regexp.MustCompile(`\s+`)
	// headingRe finds the first <pre> or <h1> of an HTML page.
	headingRe = regexp.MustCompile(`(?is)<(pre|h1)[^>]*>(.*?)</(?:pre|h1)>`)
	tagRe     = regexp.MustCompile(`(?s)<[^>]*>`)
)

// serverMessage makes one line of an error body.
func serverMessage(contentType string, body []byte) string {
	text := strings.TrimSpace(string(body))
	if text == "" {
		return ""
	}
	if isHTML(contentType, text) {
		title := ""
		if m := titleRe.FindStringSubmatch(text); m != nil {
			title = htmlText(m[1])
		}
		// A framework's page for an unknown route says what was asked in
		// its <pre> or <h1> ("Cannot DELETE /artifacts/model/1" under the
		// title "Error").
		detail := ""
		if m := headingRe.FindStringSubmatch(text); m != nil {
			detail = htmlText(m[2])
		}
		switch {
		case detail == "" || detail == title:
			if title != "" {
				return "HTML error page: " + truncate(title)
			}
		case title == "":
			return "HTML error page: " + truncate(detail)
		default:
			return "HTML error page: " + truncate(title+": "+detail)
		}
		return fmt.Sprintf("HTML error page (%d bytes)", len(body))
	}
	var v any
	if json.Unmarshal([]byte(text), &v) == nil {
		return truncate(oneLine(jsonMessage(v)))
	}
	return truncate(oneLine(text))
}

// isJSONError reports whether an error body is a JSON object or string, the
// form of the registry's own errors ({"error": "..."}, FastAPI's
// {"detail": "..."}); a bare "404" page is not one.
func isJSONError(contentType string, body []byte) bool {
	b := bytes.TrimSpace(body)
	return len(b) > 0 && (b[0] == '{' || b[0] == '"') && json.Valid(b) && !isHTML(contentType, "")
}

// htmlText is the text of an HTML fragment on one line.
func htmlText(s string) string {
	return oneLine(html.UnescapeString(tagRe.ReplaceAllString(s, " ")))
}

func isHTML(contentType, text string) bool {
	if strings.Contains(strings.ToLower(contentType), "html") {
		return true
	}
	head := strings.ToLower(text[:min(len(text), 64)])
	return strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html")
}

// jsonMessage picks the message of a JSON error body: {"error": ...},
// {"message": ...}, {"detail": ...} (FastAPI) or {"description": ...} (the
// spec's wording of its answers), else the JSON itself.
func jsonMessage(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		for _, k := range []string{"error", "message", "detail", "description", "msg"} {
			if m, ok := t[k]; ok && m != nil {
				return jsonMessage(m)
			}
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func oneLine(s string) string {
	return strings.TrimSpace(spaceRe.ReplaceAllString(s, " "))
}

func truncate(s string) string {
	if len(s) <= maxMessageLen {
		return s
	}
	cut := maxMessageLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// redact replaces the client's password and tokens in s: a server that
// echoes them must not put them into an error or a log.
func (c *Client) redact(s string) string {
	c.authMu.Lock()
	secrets := c.secrets
	c.authMu.Unlock()
	for _, secret := range secrets {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	return s
}

// addSecretLocked registers a password or token for redaction; the token
// without its "bearer " prefix is as secret. The caller holds authMu.
func (c *Client) addSecretLocked(secret string) {
	if secret == "" {
		return
	}
	c.secrets = append(c.secrets, secret)
	if len(secret) > len("bearer ") && strings.EqualFold(secret[:len("bearer ")], "bearer ") {
		c.secrets = append(c.secrets, strings.TrimSpace(secret[len("bearer "):]))
	}
}

// redactedError keeps err for errors.Is/As but prints it redacted.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func (c *Client) redactErr(err error) error {
	msg := c.redact(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

// notSentError is a call that failed before its request went out: getting
// the token failed first, or the caller's context had ended.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// NotSent reports whether err proves that the call's request never reached
// the registry, so the registry cannot have acted on it: the token could not
// be obtained, the connection could not be opened (refused, unknown host,
// unreachable, proxy), or the TLS handshake failed.
func NotSent(err error) bool {
	var (
		ns *notSentError
		op *net.OpError
	)
	switch {
	case errors.As(err, &ns), AsTLSError(err) != nil:
		return true
	case errors.As(err, &op):
		return op.Op == "dial" || op.Op == "proxyconnect"
	}
	return false
}
