package lambdaproxy

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// echo answers what the handler saw of the request.
type seen struct {
	Method, EscapedPath, Name, RawQuery, Host, Auth, Proto, Cookie string
	Body                                                           []byte
}

func echoHandler() http.Handler {
	mux := http.NewServeMux()
	record := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s := seen{r.Method, r.URL.EscapedPath(), r.PathValue("name"), r.URL.RawQuery, r.Host,
			r.Header.Get("X-Authorization"), r.Header.Get("X-Forwarded-Proto"), r.Header.Get("Cookie"), b}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("X-Multi", "one")
		w.Header().Add("X-Multi", "two")
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(s)
	}
	mux.HandleFunc("/artifact/byName/{name}", record)
	mux.HandleFunc("/", record)
	mux.HandleFunc("GET /binary", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write([]byte{0xff, 0x00, 0xfe, 'x'})
	})
	return mux
}

func invoke(t *testing.T, ev any) []byte {
	t.Helper()
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Handler{HTTP: echoHandler()}.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	return out
}

func TestHandlerHTTPAPIPayload2(t *testing.T) {
	binary := []byte{0x00, 0xff, 0x10, 0x80}
	ev := events.APIGatewayV2HTTPRequest{
		Version:  "2.0",
		RouteKey: "ANY /artifact/byName/{name}",
		// The HTTP API decodes the path: "a/b c?d" was sent as a%2Fb%20c%3Fd.
		RawPath:        "/artifact/byName/a/b c?d",
		PathParameters: map[string]string{"name": "a/b c?d"},
		RawQueryString: "offset=7&x=%26",
		Cookies:        []string{"k=v", "k2=v2"},
		Headers:        map[string]string{"host": "abc.execute-api.us-east-1.amazonaws.com", "x-authorization": "bearer tok", "x-forwarded-proto": "https"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			DomainName: "ignored.example",
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", SourceIP: "192.0.2.1"},
		},
		Body:            base64.StdEncoding.EncodeToString(binary),
		IsBase64Encoded: true,
	}
	var res events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(invoke(t, ev), &res); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusAccepted || res.Headers["X-Multi"] != "one,two" || len(res.Cookies) != 1 || res.Cookies[0] != "a=1" {
		t.Fatalf("response %+v: want 202, X-Multi one,two and the cookie a=1", res)
	}
	var s seen
	if err := json.Unmarshal([]byte(res.Body), &s); err != nil {
		t.Fatal(err)
	}
	want := seen{"POST", "/artifact/byName/a%2Fb%20c%3Fd", "a/b c?d", "offset=7&x=%26", "abc.execute-api.us-east-1.amazonaws.com",
		"bearer tok", "https", "k=v; k2=v2", binary}
	if !equalSeen(s, want) {
		t.Fatalf("the handler saw\n%+v\nwant\n%+v", s, want)
	}
}

func TestHandlerRESTAPIPayload1(t *testing.T) {
	ev := events.APIGatewayProxyRequest{
		Resource:                        "/{proxy+}",
		Path:                            "/artifact/byName/a%2Fb",
		HTTPMethod:                      "GET",
		Headers:                         map[string]string{"Host": "abc.execute-api.us-east-1.amazonaws.com", "X-Authorization": "tok"},
		MultiValueQueryStringParameters: map[string][]string{"q": {"1", "2"}},
		RequestContext:                  events.APIGatewayProxyRequestContext{DomainName: "abc.execute-api.us-east-1.amazonaws.com"},
		Body:                            "plain",
	}
	var res events.APIGatewayProxyResponse
	if err := json.Unmarshal(invoke(t, ev), &res); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusAccepted || len(res.MultiValueHeaders["X-Multi"]) != 2 {
		t.Fatalf("response %+v: want 202 and both X-Multi values", res)
	}
	var s seen
	if err := json.Unmarshal([]byte(res.Body), &s); err != nil {
		t.Fatal(err)
	}
	want := seen{"GET", "/artifact/byName/a%2Fb", "a/b", "q=1&q=2", "abc.execute-api.us-east-1.amazonaws.com", "tok", "", "", []byte("plain")}
	if !equalSeen(s, want) {
		t.Fatalf("the handler saw\n%+v\nwant\n%+v", s, want)
	}
}

func TestHandlerBinaryResponseIsBase64(t *testing.T) {
	ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "$default", RawPath: "/binary",
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"}}}
	var res events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(invoke(t, ev), &res); err != nil {
		t.Fatal(err)
	}
	got, err := base64.StdEncoding.DecodeString(res.Body)
	if !res.IsBase64Encoded || err != nil || !bytes.Equal(got, []byte{0xff, 0x00, 0xfe, 'x'}) {
		t.Fatalf("binary response: isBase64Encoded %v, body %q", res.IsBase64Encoded, res.Body)
	}
}

func TestHandlerRejectsOtherEvents(t *testing.T) {
	for _, payload := range []string{`{"Records":[]}`, `[]`, `{"version":"2.0","rawPath":"/x"}`} {
		_, err := Handler{HTTP: echoHandler()}.Invoke(context.Background(), []byte(payload))
		if err == nil {
			t.Errorf("event %s was accepted", payload)
		}
	}
}

// Through the Gateway and the Handler, a request arrives as it was sent:
// names with encoded slashes, spaces and percents, binary bodies both ways.
func TestGatewayRoundTrip(t *testing.T) {
	function := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		payload, _ := io.ReadAll(r.Body)
		out, err := Handler{HTTP: echoHandler()}.Invoke(r.Context(), payload)
		if err != nil {
			_ = json.NewEncoder(w).Encode(map[string]string{"errorMessage": err.Error()})
			return
		}
		_, _ = w.Write(out)
	}))
	defer function.Close()
	gw := httptest.NewServer(&Gateway{InvokeURL: function.URL, Routes: []string{"ANY /artifact/byName/{name}"}})
	defer gw.Close()

	for _, name := range []string{"plain", "a/b", "100% sure", "dots..", ".", "..", "ünï", "q?x#y"} {
		escaped := strings.ReplaceAll(url.PathEscape(name), ".", "%2E")
		body := []byte{0xff, 'n', 0x00}
		req, _ := http.NewRequest(http.MethodPut, gw.URL+"/artifact/byName/"+escaped+"?offset=2", bytes.NewReader(body))
		req.Header.Set("X-Authorization", "bearer t")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var s seen
		err = json.NewDecoder(res.Body).Decode(&s)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusAccepted {
			t.Fatalf("%q: status %d, %v", name, res.StatusCode, err)
		}
		if s.Name != name || s.RawQuery != "offset=2" || !bytes.Equal(s.Body, body) || s.Auth != "bearer t" ||
			s.Host != strings.TrimPrefix(gw.URL, "http://") || s.Proto != "http" {
			t.Errorf("%q: the handler saw %+v", name, s)
		}
	}

	res, err := http.Get(gw.URL + "/binary")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Equal(got, []byte{0xff, 0x00, 0xfe, 'x'}) {
		t.Fatalf("binary body through the gateway: %q", got)
	}
}

func TestGatewayFunctionErrorIs502(t *testing.T) {
	function := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"errorMessage":"boom","errorType":"errorString"}`))
	}))
	defer function.Close()
	gw := httptest.NewServer(&Gateway{InvokeURL: function.URL})
	defer gw.Close()
	res, err := http.Get(gw.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadGateway {
		t.Fatalf("a failing function answered %d through the gateway, want 502", res.StatusCode)
	}
}

func TestMatchRoute(t *testing.T) {
	tests := []struct {
		route, method, path string
		want                map[string]string
	}{
		{"ANY /artifact/byName/{name}", "GET", "/artifact/byName/a%2Fb", map[string]string{"name": "a/b"}},
		{"GET /artifact/byName/{name}", "POST", "/artifact/byName/a", nil},
		{"ANY /artifact/byName/{name}", "GET", "/artifact/byName/a/b", nil},
		{"ANY /artifact/byName/{name}", "GET", "/artifact/byName/", nil},
		{"ANY /x/{proxy+}", "GET", "/x/a/b%20c", map[string]string{"proxy": "a/b c"}},
	}
	for _, tt := range tests {
		got, ok := matchRoute(tt.route, tt.method, tt.path)
		if ok != (tt.want != nil) || (ok && !maps.Equal(got, tt.want)) {
			t.Errorf("matchRoute(%q, %q, %q) = %v, %v; want %v", tt.route, tt.method, tt.path, got, ok, tt.want)
		}
	}
}

func TestEscapeLoosely(t *testing.T) {
	for in, want := range map[string]string{
		"/a%2Fb":     "/a%2Fb",
		"/a b?c#d":   "/a%20b%3Fc%23d",
		"/100%":      "/100%25",
		"/%zz/ü":     "/%25zz/%C3%BC",
		"/a:b@c!$&'": "/a:b@c!$&'",
	} {
		if got := escapeLoosely(in); got != want {
			t.Errorf("escapeLoosely(%q) = %q, want %q", in, got, want)
		}
	}
}

func equalSeen(a, b seen) bool {
	return a.Method == b.Method && a.EscapedPath == b.EscapedPath && a.Name == b.Name && a.RawQuery == b.RawQuery &&
		a.Host == b.Host && a.Auth == b.Auth && a.Proto == b.Proto && a.Cookie == b.Cookie && bytes.Equal(a.Body, b.Body)
}

// One event at a time reaches the function, even when a client hangs up
// during an invocation: the emulator fails on a second concurrent event.
func TestGatewayOneEventAtATime(t *testing.T) {
	var running, most atomic.Int32
	function := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := running.Add(1)
		defer running.Add(-1)
		if n > most.Load() {
			most.Store(n)
		}
		time.Sleep(200 * time.Millisecond)
		_, _ = w.Write([]byte(`{"statusCode":200,"body":"ok"}`))
	}))
	defer function.Close()
	gw := httptest.NewServer(&Gateway{InvokeURL: function.URL})
	defer gw.Close()

	impatient := &http.Client{Timeout: 20 * time.Millisecond}
	if res, err := impatient.Get(gw.URL + "/first"); err == nil {
		res.Body.Close()
		t.Fatal("the impatient client got an answer before the function finished")
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			res, err := http.Get(gw.URL + "/next")
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
		})
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Fatalf("%d events ran at once; want 1", most.Load())
	}
}
