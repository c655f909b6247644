package server

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// goInternals matches what an error body must never show: Go type and
// package names, encoding/json's "Go struct field", panics and addresses.
var goInternals = regexp.MustCompile(`Go (struct|value|type)|of type |\b(store|server|main|json|http|url|strconv|reflect|runtime|sql|sqlite|smithy|s3|types|errors|bcrypt|regexp|artifact)\.[A-Z]|\bstruct ?\{|\bmap\[|\[\][a-z]|goroutine \d|panic`)

// quoted matches a value the message quotes (%q): the client's own input,
// which may be any text.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// checkErrorWording fails t when an error answer shows Go internals. The
// harness runs it on every response of the handler tests (harness.do and
// serveRecorder) and the fuzz targets on theirs.
func checkErrorWording(t testing.TB, method, path string, status int, body []byte) {
	t.Helper()
	if status < 400 {
		return
	}
	if m := goInternalsIn(body); m != "" {
		t.Errorf("%s %s answered %d with Go internals (%q) in its error body: %s", method, path, status, m, body)
	}
}

// goInternalsIn returns the Go internals an error body shows, outside the
// values it quotes, or "".
func goInternalsIn(body []byte) string {
	var e wire.Error
	if json.Unmarshal(body, &e) != nil {
		e.Error = string(body) // not JSON: other checks say so; scan it whole
	}
	return goInternals.FindString(quoted.ReplaceAllString(e.Error, `""`))
}

func TestGoInternalsPattern(t *testing.T) {
	for _, leaked := range []string{
		`{"error":"json: cannot unmarshal string into Go struct field authRequest.user of type struct { Name string }"}`,
		`{"error":"cannot unmarshal object into Go value of type []server.artifactQuery"}`,
		`{"error":"value of type wire.ArtifactMetadata"}`,
	} {
		if goInternalsIn([]byte(leaked)) == "" {
			t.Errorf("not caught: %s", leaked)
		}
	}
	for _, fine := range []string{
		`{"error":"request body has the wrong shape: field user must be an object, not a string"}`,
		`{"error":"artifact id must match ^[a-zA-Z0-9\\-]+$"}`,
		`{"error":"url: https://huggingface.co/x.y is not a model page"}`,
		`{"error":"offset \"0x00000000 panic: Go struct wire.ArtifactMetadata\" is not a non-negative integer"}`,
	} {
		if goInternalsIn([]byte(fine)) != "" {
			t.Errorf("false alarm: %s", fine)
		}
	}
}

// The bodies that once answered with encoding/json's texts now say, in
// JSON's words, which field is wrong and what it must be.
func TestJSONErrorsInWords(t *testing.T) {
	h := newHarness(t, newLocation(t, "memory"))
	tok := h.login(defaultadmin.Name, adminPassword)
	a := h.create(tok, "model", "https://huggingface.co/gpt2")
	for _, c := range []struct {
		method, path, body, want string
	}{
		{http.MethodPut, "/authenticate", `{"user":"x","secret":{"password":"p"}}`, "field user must be an object, not a string"},
		{http.MethodPut, "/authenticate", `{"user":{"name":1}}`, "field user.name must be a string, not a number"},
		{http.MethodPut, string("/artifacts/model/" + a.Metadata.ID), `{"metadata":"x","data":{"url":"https://huggingface.co/gpt2"}}`, "field metadata must be an object, not a string"},
		{http.MethodPost, "/artifacts", `{"name":"*"}`, "the body must be an array, not an object"},
		{http.MethodPost, "/artifacts", `[{"name":"*","types":"model"}]`, "must be an array, not a string"},
		{http.MethodPost, "/artifact/byRegEx", `{"regex":true}`, "field regex must be a string, not true or false"},
		{http.MethodPost, "/artifact/model", `{"url":`, "ends before its JSON value is complete"},
		{http.MethodPost, "/artifact/model", `{"url" "x"}`, "not valid JSON: invalid character"},
	} {
		res := h.do(c.method, c.path, c.body, tok)
		if res.status != http.StatusBadRequest || !strings.Contains(res.errorMessage(t), c.want) {
			t.Errorf("%s %s %s: %d %s, want 400 saying %q", c.method, c.path, c.body, res.status, res.body, c.want)
		}
	}
}
