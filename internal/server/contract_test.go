package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// The contract: every response of the handler tests is validated against
// the published OpenAPI document (REGISTRY_OPENAPI_SPEC, default the shared/
// folder beside the repository), status codes included.

const defaultSpecPath = "../../../shared/reference/openapi-3.4.7.yaml"

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

func loadSpec() (routers.Router, error) {
	specOnce.Do(func() {
		path := os.Getenv("REGISTRY_OPENAPI_SPEC")
		if path == "" {
			path = defaultSpecPath
		}
		doc, err := openapi3.NewLoader().LoadFromFile(path)
		if err != nil {
			specErr = fmt.Errorf("loading the OpenAPI document %s (set REGISTRY_OPENAPI_SPEC to its path): %w", path, err)
			return
		}
		// HealthMetricValue is oneOf [integer, number, string, boolean]: in
		// JSON Schema every integer is also a number, so no integer metric
		// (a request count) could ever validate. Its intent is anyOf.
		if m := doc.Components.Schemas["HealthMetricValue"]; m != nil && m.Value != nil {
			m.Value.AnyOf, m.Value.OneOf = m.Value.OneOf, nil
		}
		// ArtifactLineageNode requires "node", a property it does not
		// define (the example nodes have none): a typo for artifact_id.
		if n := doc.Components.Schemas["ArtifactLineageNode"]; n != nil && n.Value != nil {
			n.Value.Required = []string{"artifact_id"}
		}
		// The published examples break their own schemas (numeric ids for
		// the string ArtifactID), so examples are not validated; schemas are.
		specRouter, specErr = legacy.NewRouter(doc, openapi3.DisableExamplesValidation())
	})
	return specRouter, specErr
}

// undeclared lists the statuses this server answers that the spec does not
// declare for an operation, each for a documented reason. Their bodies must
// still be JSON error objects.
func undeclaredAllowed(op *openapi3.Operation, status int) bool {
	switch status {
	case http.StatusRequestEntityTooLarge:
		return op.RequestBody != nil // any body over 1 MiB
	case http.StatusNotImplemented:
		return true // the package confusion audit
	case http.StatusBadGateway:
		return op.OperationID == "ArtifactLineageGet" // Hugging Face unreachable
	case http.StatusConflict:
		return op.OperationID == "ArtifactUpdate" // the 409 rule on a new url
	case http.StatusBadRequest:
		return op.OperationID == "RegistryHealthComponents" // windowMinutes, includeTimeline
	case http.StatusTooManyRequests:
		return true // /authenticate throttling and the optional per-token limit
	case http.StatusServiceUnavailable:
		return true // a search past its deadline, a storage backend down
	}
	return false
}

// uriFormat checks format: uri as RFC 3986 absolute URIs.
type uriFormat struct{}

func (uriFormat) Validate(v string) error {
	u, err := url.Parse(v)
	if err != nil || !u.IsAbs() {
		return errors.New("not an absolute URI")
	}
	return nil
}

func operationName(route *routers.Route) string {
	if route.Operation != nil && route.Operation.OperationID != "" {
		return route.Operation.OperationID
	}
	return route.Method + " " + route.Path
}

// contractViolation returns why res breaks the contract, or "".
func contractViolation(req *http.Request, res response) (string, error) {
	router, err := loadSpec()
	if err != nil {
		return "", err
	}
	route, params, found := findRoute(router, req)
	if !found {
		// Not an operation of the spec (e.g. /download/{id}, or an id that
		// the router cannot match such as an encoded slash).
		return "", nil
	}
	name := operationName(route)
	if route.Operation.Responses.Status(res.status) == nil && undeclaredAllowed(route.Operation, res.status) {
		var e errorBody
		_ = json.Unmarshal(res.body, &e) // not JSON leaves e.Error empty
		if e.Error == "" {
			return fmt.Sprintf("%s answered undeclared %d without a JSON error body: %s", name, res.status, res.body), nil
		}
		return "", nil
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: params,
			Route:      route,
			Options:    &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: res.status,
		Header: res.header,
		Body:   io.NopCloser(bytes.NewReader(res.body)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{
				openapi3.EnableFormatValidation(),
				openapi3.WithStringFormatValidator("uri", uriFormat{}),
			},
		},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		return fmt.Sprintf("%s (%s %s) answered %d against the spec: %s\nbody: %s",
			name, req.Method, req.URL.Path, res.status, describe(err), truncate(res.body)), nil
	}
	return "", nil
}

func findRoute(router routers.Router, req *http.Request) (*routers.Route, map[string]string, bool) {
	route, params, err := router.FindRoute(req)
	return route, params, err == nil
}

// describe names the failing fields of a validation error.
func describe(err error) string {
	var parts []string
	var walk func(error)
	walk = func(err error) {
		var me openapi3.MultiError
		var se *openapi3.SchemaError
		var re *openapi3filter.ResponseError
		switch {
		case errors.As(err, &me):
			for _, e := range me {
				walk(e)
			}
		case errors.As(err, &se):
			parts = append(parts, fmt.Sprintf("field %q: %s", "/"+strings.Join(se.JSONPointer(), "/"), se.Reason))
		case errors.As(err, &re) && re.Err != nil:
			parts = append(parts, re.Reason)
			walk(re.Err)
		default:
			parts = append(parts, err.Error())
		}
	}
	walk(err)
	return strings.Join(parts, "; ")
}

func truncate(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "..."
	}
	return string(b)
}

func checkContract(t *testing.T, req *http.Request, res response) {
	t.Helper()
	msg, err := contractViolation(req, res)
	if err != nil {
		t.Fatal(err)
	}
	if msg != "" {
		t.Errorf("contract: %s", msg)
	}
}

// The validator must catch a response that breaks the spec, and say which
// operation and which field.
func TestContractValidatorReportsOperationAndField(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "http://registry.test/artifacts/model/model-1-1", nil)
	bad := response{status: 200, header: http.Header{"Content-Type": {"application/json"}},
		body: []byte(`{"metadata":{"name":"x","id":"bad id!","type":"model"},"data":{"url":"https://example.com/x"}}`)}
	msg, err := contractViolation(req, bad)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "ArtifactRetrieve") || !strings.Contains(msg, "/metadata/id") {
		t.Fatalf("violation report %q does not name the operation ArtifactRetrieve and the field /metadata/id", msg)
	}

	undeclared := response{status: http.StatusTeapot, header: http.Header{}, body: []byte(`{}`)}
	if msg, _ := contractViolation(req, undeclared); !strings.Contains(msg, "ArtifactRetrieve") {
		t.Fatalf("an undeclared status passed the contract: %q", msg)
	}
}
