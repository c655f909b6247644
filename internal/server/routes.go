package server

import "net/http"

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.handleHealth)
	mux.HandleFunc("GET /health/components", s.handleHealthComponents)
	mux.HandleFunc("PUT /authenticate", s.handleAuthenticate)
	mux.HandleFunc("GET /tracks", s.handleTracks)
	mux.HandleFunc("GET /openapi.yaml", s.handleDescription)

	mux.Handle("POST /artifacts", s.authed(s.handleList))
	mux.Handle("DELETE /reset", s.authed(s.handleReset))
	mux.Handle("GET /artifacts/{artifact_type}/{id}", s.authed(s.handleGet))
	mux.Handle("PUT /artifacts/{artifact_type}/{id}", s.authed(s.handleUpdate))
	mux.Handle("DELETE /artifacts/{artifact_type}/{id}", s.authed(s.handleDelete))
	mux.Handle("POST /artifact/{artifact_type}", s.authed(s.handleCreate))
	mux.Handle("GET /artifact/byName/{name}", s.authed(s.handleByName))
	mux.Handle("POST /artifact/byRegEx", s.authed(s.handleByRegex))
	mux.Handle("GET /artifact/{artifact_type}/{id}/audit", s.authed(s.handleAudit))
	mux.Handle("GET /download/{id}", s.authed(s.handleDownload))

	mux.Handle("GET /artifact/model/{id}/rate", s.authed(s.handleRate))
	mux.Handle("GET /artifact/{artifact_type}/{id}/cost", s.authed(s.handleCost))
	mux.Handle("GET /artifact/model/{id}/lineage", s.authed(s.handleLineage))
	mux.Handle("POST /artifact/model/{id}/license-check", s.authed(s.handleLicenseCheck))
	// Later issue: answered honestly as not implemented.
	mux.Handle("POST /artifacts/PackageConfusionAudit", s.authed(s.notImplemented("package confusion audit")))

	return s.observe(mux)
}
