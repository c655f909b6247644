// Package api is the registry's API description: the OpenAPI 3.4.7 document
// the registry's owners published, unchanged (openapi-3.4.7.yaml), and an
// OpenAPI Overlay 1.0 of this registry's deliberate differences, each with
// its reason (overlay.yaml). Effective applies the one to the other; the
// contract tests validate the server against the result and the wire types
// (internal/wire) are generated from it.
package api

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"github.com/speakeasy-api/openapi/overlay"
	"gopkg.in/yaml.v3"
)

// Published is the OpenAPI document as its owners published it.
//
//go:embed openapi-3.4.7.yaml
var Published []byte

// Overlay lists this registry's differences from Published.
//
//go:embed overlay.yaml
var Overlay []byte

// Effective returns Published with Overlay applied, as YAML: the API this
// registry implements. The result is computed once; callers must not modify
// it.
func Effective() ([]byte, error) { return effective() }

var effective = sync.OnceValues(func() ([]byte, error) { return Apply(Published, Overlay) })

// Apply applies the overlay ovl to the OpenAPI document doc. It is strict:
// an action whose target matches nothing, or that changes nothing, is an
// error, so that an overlay cannot silently stop applying.
func Apply(doc, ovl []byte) ([]byte, error) {
	o, err := overlay.ParseReader(bytes.NewReader(ovl))
	if err != nil {
		return nil, fmt.Errorf("reading the overlay: %w", err)
	}
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("the overlay is invalid: %w", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return nil, fmt.Errorf("reading the OpenAPI document: %w", err)
	}
	warnings, err := o.ApplyToStrict(&root)
	if err != nil {
		return nil, fmt.Errorf("applying the overlay: %w", err)
	}
	if len(warnings) > 0 {
		return nil, fmt.Errorf("applying the overlay: %s", strings.Join(warnings, "; "))
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		return nil, fmt.Errorf("writing the effective document: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("writing the effective document: %w", err)
	}
	return out.Bytes(), nil
}
