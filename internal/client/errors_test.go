package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
)

func TestServerMessage(t *testing.T) {
	bigHTML := "<!DOCTYPE html>\n<html><head><title>\n 502 Bad Gateway\n</title></head><body>" + strings.Repeat("<p>nginx</p>", 500) + "</body></html>"
	for _, tc := range []struct {
		name, contentType, body, want string
	}{
		{"json error", "application/json", `{"error":"artifact does not exist"}`, "artifact does not exist"},
		{"json message", "application/json", `{"message":"Internal server error"}`, "Internal server error"},
		{"json detail", "application/json", `{"detail":"Not Found"}`, "Not Found"},
		{"fastapi detail list", "application/json", `{"detail":[{"loc":["body","url"],"msg":"field required"}]}`, `[{"loc":["body","url"],"msg":"field required"}]`},
		{"json string", "application/json", `"bad offset"`, "bad offset"},
		{"other json", "application/json", `{"code": 7}`, `{"code":7}`},
		{"plain text", "text/plain", "  no such\n artifact \n", "no such artifact"},
		{"empty", "", "", ""},
		{"html with title", "text/html", bigHTML, "HTML error page: 502 Bad Gateway"},
		{"html without content type", "", bigHTML, "HTML error page: 502 Bad Gateway"},
		{"html without title", "text/html; charset=utf-8", "<html><body>Bad gateway</body></html>", "HTML error page (37 bytes)"},
		{"html entities", "text/html", "<html><title>Service &amp; Gateway</title></html>", "HTML error page: Service & Gateway"},
		{"express unknown route", "text/html; charset=utf-8", "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot DELETE /artifacts/model/1731000000123</pre>\n</body>\n</html>\n", "HTML error page: Error: Cannot DELETE /artifacts/model/1731000000123"},
		{"heading without title", "text/html", "<html><body><h1>Not <b>Found</b></h1></body></html>", "HTML error page: Not Found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := serverMessage(tc.contentType, []byte(tc.body)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	long := serverMessage("text/plain", []byte(strings.Repeat("é", 1000)))
	if !strings.HasSuffix(long, "…") || len(long) > maxMessageLen+len("…") {
		t.Errorf("long message not truncated: %d bytes", len(long))
	}
}

func TestHTMLGatewayErrorSummarised(t *testing.T) {
	page := "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>" + strings.Repeat("<!-- padding -->", 100) + "</body></html>"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(page))
	}))
	defer srv.Close()
	c := newTestClient(t, srv, Config{MaxRetries: 1})
	_, err := c.GetArtifact(context.Background(), "model", "x")
	want := "GET /artifacts/model/x: 502 Bad Gateway: HTML error page: 502 Bad Gateway (after 2 attempts)"
	if err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestAPIErrorFormat(t *testing.T) {
	err := fmt.Errorf("reading: %w", &APIError{Method: "PUT", Path: "/artifacts/model/x", StatusCode: 404, Message: "no such artifact", Attempts: 1, JSONBody: true})
	if got, want := errors.Unwrap(err).Error(), "PUT /artifacts/model/x: 404 Not Found: no such artifact"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if StatusCode(err) != 404 || !IsNotFound(err) {
		t.Error("StatusCode/IsNotFound do not see the wrapped APIError")
	}
	if StatusCode(errors.New("x")) != 0 || IsNotFound(nil) {
		t.Error("a plain error has no status")
	}
	if got := (&APIError{Method: "GET", Path: "/x", StatusCode: 599}).Error(); got != "GET /x: 599" {
		t.Errorf("got %q", got)
	}
}

// A server that echoes the password or token into its messages must not
// get them into the client's errors.
func TestSecretsRedactedFromErrors(t *testing.T) {
	const token = "bearer very-secret-token-123"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/authenticate" {
			writeJSON(w, 200, token)
			return
		}
		msg := fmt.Sprintf("bad request from %s with %s (raw %s)", defaultadmin.Password, r.Header.Get("X-Authorization"), strings.TrimPrefix(r.Header.Get("Authorization"), "bearer "))
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": msg})
	}))
	defer srv.Close()
	c := newTestClient(t, srv, adminConfig())
	_, err := c.GetArtifact(context.Background(), "model", "1")
	if err == nil {
		t.Fatal("want an error")
	}
	for _, secret := range []string{defaultadmin.Password, token, "very-secret-token-123"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q contains %q", err, secret)
		}
	}
	if !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("error %q: want the secrets replaced by [redacted]", err)
	}
}

// The classifier on the answers of real registries: the registry's JSON
// 404 says "no such artifact"; a framework's page for an unknown route, a
// 405 or a 501 says "this endpoint is not served" and never "not found".
func TestClassifier(t *testing.T) {
	for _, tc := range []struct {
		name        string
		status      int
		contentType string
		body        string
		notFound    bool
		unrouted    bool
	}{
		{"registry JSON 404", 404, "application/json", `{"error":"artifact does not exist"}`, true, false},
		{"FastAPI JSON 404", 404, "application/json", `{"detail":"Not Found"}`, true, false},
		{"JSON string 404", 404, "application/json", `"no such artifact"`, true, false},
		{"Express HTML 404 on DELETE", 404, "text/html; charset=utf-8", "<!DOCTYPE html><html><head><title>Error</title></head><body><pre>Cannot DELETE /artifacts/model/1</pre></body></html>", false, true},
		{"HTML 404 without content type", 404, "", "<html><body>Not Found</body></html>", false, true},
		{"Go mux plain-text 404", 404, "text/plain; charset=utf-8", "404 page not found", false, true},
		{"empty 404", 404, "", "", false, true},
		{"bare number 404", 404, "application/json", "404", false, true},
		{"HTML 405", 405, "text/html", "<html><title>405 Method Not Allowed</title></html>", false, true},
		{"JSON 405", 405, "application/json", `{"error":"method DELETE is not allowed"}`, false, true},
		{"501 on authenticate", 501, "application/json", `{"error":"no authentication"}`, false, true},
		{"400", 400, "application/json", `{"error":"bad"}`, false, false},
		{"409", 409, "application/json", `{"error":"exists"}`, false, false},
		{"503 HTML", 503, "text/html", "<html><title>503</title></html>", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.contentType != "" {
					w.Header().Set("Content-Type", tc.contentType)
				} else {
					w.Header()["Content-Type"] = nil // no sniffing
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			c := newTestClient(t, srv, Config{MaxRetries: -1})
			err := c.DeleteArtifact(context.Background(), "model", "1731000000123")
			if err == nil {
				t.Fatal("want an error")
			}
			wrapped := fmt.Errorf("deleting: %w", err)
			if got := IsNotFound(wrapped); got != tc.notFound {
				t.Errorf("IsNotFound = %v, want %v (%v)", got, tc.notFound, err)
			}
			if got := IsUnrouted(wrapped); got != tc.unrouted {
				t.Errorf("IsUnrouted = %v, want %v (%v)", got, tc.unrouted, err)
			}
			detail := UnroutedDetail(wrapped)
			if tc.unrouted {
				want := fmt.Sprintf("the registry does not serve DELETE /artifacts/model/1731000000123 (it answered %d", tc.status)
				if !strings.HasPrefix(detail, want) {
					t.Errorf("UnroutedDetail = %q, want it to start with %q", detail, want)
				}
			} else if detail != "" {
				t.Errorf("UnroutedDetail = %q, want empty", detail)
			}
		})
	}
	for _, err := range []error{nil, errors.New("x"), context.DeadlineExceeded} {
		if IsNotFound(err) || IsUnrouted(err) || UnroutedDetail(err) != "" {
			t.Errorf("%v: a non-HTTP error is neither not found nor unrouted", err)
		}
	}
}

func TestUnroutedDetailNamesAnswer(t *testing.T) {
	err := &APIError{Method: "GET", Path: "/artifact/byName/squad", StatusCode: 404, Message: "HTML error page: Error"}
	want := "the registry does not serve GET /artifact/byName/squad (it answered 404 Not Found: HTML error page: Error)"
	if got := UnroutedDetail(err); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// A call without an answer is described in words, not with Go's error
// chain, and keeps the cause for errors.Is.
func TestTransportErrorMessage(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		url     string
		want    string
	}{
		{"refused", nil, closed.URL, "GET /health: connection refused: nothing listens at the endpoint"},
		{"reset", func(w http.ResponseWriter, r *http.Request) {
			conn, _, _ := http.NewResponseController(w).Hijack()
			_ = conn.(*net.TCPConn).SetLinger(0)
			_ = conn.Close()
		}, "", "GET /health: the connection was reset before the registry answered"},
		{"closed", func(w http.ResponseWriter, r *http.Request) { hangUp(t, w) }, "", "GET /health: the registry closed the connection without answering"},
		{"timeout", func(w http.ResponseWriter, r *http.Request) { time.Sleep(300 * time.Millisecond) }, "",
			"GET /health: no answer within the time limit (the provider's request_timeout, or the operation's timeout)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			endpoint := tc.url
			if tc.handler != nil {
				srv := httptest.NewServer(tc.handler)
				defer srv.Close()
				endpoint = srv.URL
			}
			c, err := New(Config{Endpoint: endpoint, MaxRetries: -1, RequestTimeout: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Health(context.Background())
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %q, want %q", err, tc.want)
			}
		})
	}
}
