package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/trustworthy-registry/terraform-provider-registry/api"
)

// The contract: every response of the handler tests is validated against
// the API this registry implements, status codes included: the published
// OpenAPI document with the registry's overlay applied (package api, embedded
// in the repository). A status the overlay does not declare for an operation
// fails the test.

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

func loadSpec() (routers.Router, error) {
	specOnce.Do(func() {
		b, err := api.Effective()
		if err != nil {
			specErr = err
			return
		}
		doc, err := openapi3.NewLoader().LoadFromData(b)
		if err != nil {
			specErr = fmt.Errorf("loading the effective OpenAPI document: %w", err)
			return
		}
		// The published examples break their own schemas (numeric ids for
		// the string ArtifactID), so examples are not validated; schemas are.
		specRouter, specErr = legacy.NewRouter(doc, openapi3.DisableExamplesValidation())
	})
	return specRouter, specErr
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

	// The statuses the overlay adds carry the server's JSON error body.
	plain := response{status: http.StatusServiceUnavailable, header: http.Header{"Content-Type": {"text/plain"}}, body: []byte("down")}
	if msg, _ := contractViolation(req, plain); !strings.Contains(msg, "ArtifactRetrieve") {
		t.Fatalf("a 503 without the JSON error body passed the contract: %q", msg)
	}
}
