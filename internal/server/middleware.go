package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
)

// principal is the authenticated caller.
type principal struct {
	Name    string
	IsAdmin bool
	token   string
}

type authedHandler func(w http.ResponseWriter, r *http.Request, p principal)

// authed answers 403 unless the request carries a valid token.
func (s *Server) authed(h authedHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.principalFrom(r)
		var refused tokenError
		switch {
		case errors.As(err, &refused):
			writeError(w, http.StatusForbidden, refused.Error())
			return
		case err != nil:
			s.storeError(w, r, err)
			return
		}
		if !s.throttle.allowToken(w, p.token, s.cfg.Now()) {
			return
		}
		h(w, r, p)
	})
}

// statusRecorder remembers the status for logs and metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// observe limits bodies, recovers from panics, logs each request and counts
// it per route and per artifact type.
func (s *Server) observe(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		if r.ContentLength > MaxBodyBytes {
			writeError(rec, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", MaxBodyBytes))
		} else {
			r.Body = http.MaxBytesReader(rec, r.Body, MaxBodyBytes)
			func() {
				defer func() {
					if v := recover(); v != nil {
						if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
							panic(v)
						}
						s.log.Error("handler panicked", "method", r.Method, "route", r.Pattern, "panic", fmt.Sprint(v))
						if rec.status == 0 {
							writeError(rec, http.StatusInternalServerError, "internal error")
						}
					}
				}()
				if _, pattern := mux.Handler(r); pattern == "" {
					noRoute(rec, r, mux)
					return
				}
				mux.ServeHTTP(rec, r)
			}()
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		keys := []string{"requests", "route:" + route}
		if t := r.PathValue("artifact_type"); artifact.ValidType(t) {
			keys = append(keys, "artifact_type:"+t)
		} else if strings.HasPrefix(route, "GET /artifact/model/") || strings.HasPrefix(route, "POST /artifact/model/") {
			keys = append(keys, "artifact_type:model")
		}
		if rec.status == 0 {
			rec.status = http.StatusOK // net/http's answer when nothing was written
		}
		// 501 is the honest answer of the endpoints of a later issue, not a fault.
		if rec.status >= 500 && rec.status != http.StatusNotImplemented {
			keys = append(keys, "errors_5xx")
		}
		s.metrics.add(s.cfg.Now(), keys...)
		s.log.Info("request", "method", r.Method, "route", route, "status", rec.status,
			"duration_ms", float64(time.Since(start).Microseconds())/1000)
	})
}

// statusProbe records what a handler answers and discards the body.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(code int)        { p.status = code }

// noRoute answers a request that matches no route: the mux's own 404 or
// 405 (with its Allow header), but with a JSON error body like every other
// error of this API.
func noRoute(w http.ResponseWriter, r *http.Request, mux *http.ServeMux) {
	probe := &statusProbe{header: http.Header{}}
	mux.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		allow := probe.header.Get("Allow")
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow))
		return
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("no endpoint %s %s in this API", r.Method, r.URL.Path))
}
