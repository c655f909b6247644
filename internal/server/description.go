package server

import (
	"net/http"

	"github.com/trustworthy-registry/terraform-provider-registry/api"
)

// handleDescription serves the API description this server implements
// (GET /openapi.yaml): the published document with the overlay of its
// differences applied (package api).
func (s *Server) handleDescription(w http.ResponseWriter, _ *http.Request) {
	b, err := api.Effective()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "the API description cannot be built: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(b)
}
