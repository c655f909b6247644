package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers status with {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, wire.Error{Error: msg})
}

// decodeJSON reads exactly one JSON value from the body into v. It answers
// 413 or 400 itself and returns false when the body is unusable.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	err := dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("unexpected data after the JSON value")
		}
	}
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", MaxBodyBytes))
		return false
	}
	if errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "request body is empty: a JSON body is required")
		return false
	}
	writeError(w, http.StatusBadRequest, describeJSONError(err))
	return false
}

// storeError answers a storage error: 404, 409, or 503 for a backend fault
// (logged, since it is not the caller's doing).
func (s *Server) storeError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "artifact does not exist")
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "an artifact of this type with this url already exists")
	case errors.Is(err, store.ErrResetting):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "a reset of the registry is in progress and nothing was stored; try again in a moment")
	case errors.Is(err, context.Canceled):
		// The client went away; nothing to answer.
	default:
		s.log.Error("storage error", "backend", s.store.Backend(), "method", r.Method, "route", r.Pattern, "error", err.Error())
		writeError(w, http.StatusServiceUnavailable, "storage backend "+s.store.Backend()+" failed; try again later")
	}
}
