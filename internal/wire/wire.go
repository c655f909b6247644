// Package wire holds the registry API's wire types: the JSON bodies of
// requests and answers, generated (wire.gen.go) by the pinned oapi-codegen
// from the API description in api/ with its overlay applied, so that the
// client, the server, its store and the rating share one declaration of
// each. go-overlay.yaml says how the schemas map to Go; id.go is the one
// type written by hand; descriptions.gen.go has the description's words
// for the ModelRating fields, for the provider's documentation.
package wire

//go:generate go run ./gen
