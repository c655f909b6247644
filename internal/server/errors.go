package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// describeJSONError words a JSON decoding error for the client: where the
// body went wrong and what was expected, in JSON's terms. encoding/json's
// own texts name Go types ("Go struct field authRequest.user of type
// wire.ArtifactMetadata"), which say nothing to a client and expose internals.
func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("request body is not valid JSON: %s (at byte %d)", strings.TrimPrefix(syntax.Error(), "json: "), syntax.Offset)
	case errors.As(err, &typ):
		where := "the body"
		if typ.Field != "" {
			where = "field " + typ.Field
		}
		return fmt.Sprintf("request body has the wrong shape: %s must be %s, not %s", where, jsonKind(typ.Type), jsonValueWord(typ.Value))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "request body ends before its JSON value is complete"
	}
	return "request body is not valid JSON of the expected shape"
}

// jsonKind names the JSON value a Go type decodes from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another JSON value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another JSON value"
}

// jsonValueWord turns UnmarshalTypeError.Value ("string", "number 1.5",
// "array", "object", "bool") into words.
func jsonValueWord(v string) string {
	switch {
	case v == "string":
		return "a string"
	case v == "bool":
		return "true or false"
	case v == "array":
		return "an array"
	case v == "object":
		return "an object"
	case strings.HasPrefix(v, "number"):
		return "a number"
	}
	return "this value"
}
