package server

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

func (s *Server) handleHealthComponents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	window := 60
	if v := q.Get("windowMinutes"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 5 || n > maxWindowMinutes {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("windowMinutes %q must be an integer from 5 to %d", v, maxWindowMinutes))
			return
		}
		window = n
	}
	timeline := false
	if v := q.Get("includeTimeline"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("includeTimeline %q must be true or false", v))
			return
		}
		timeline = b
	}
	now := s.cfg.Now().UTC()
	counts := s.metrics.window(now, window)

	api := wire.HealthComponentDetail{
		ID:          "api",
		DisplayName: "Registry API",
		Status:      "ok",
		ObservedAt:  now,
		Description: "HTTP API: authentication, artifact ingest, search and audit.",
		Metrics: map[string]any{
			"uptime_seconds": int64(now.Sub(s.started).Seconds()),
			"environment":    s.cfg.Environment,
			"version":        s.cfg.Version,
		},
		Issues: []wire.HealthIssue{},
	}
	// Counts per route ("requests.route.<METHOD> <pattern>") and per
	// artifact type ("requests.artifact_type.<type>") in the window.
	for k, v := range counts {
		switch {
		case k == "requests":
			api.Metrics["requests.total"] = v
		case k == "errors_5xx":
			api.Metrics["requests.errors_5xx"] = v
		case strings.HasPrefix(k, "route:"):
			api.Metrics["requests.route."+strings.TrimPrefix(k, "route:")] = v
		case strings.HasPrefix(k, "artifact_type:"):
			api.Metrics["requests.artifact_type."+strings.TrimPrefix(k, "artifact_type:")] = v
		}
	}
	if _, ok := api.Metrics["requests.total"]; !ok {
		api.Metrics["requests.total"] = int64(0)
	}
	if counts["errors_5xx"] > 0 {
		api.Status = "degraded"
		api.Issues = append(api.Issues, wire.HealthIssue{Code: "SERVER_ERRORS", Severity: "warning",
			Summary: fmt.Sprintf("%d requests answered 5xx in the window", counts["errors_5xx"])})
	}
	if timeline {
		api.Timeline = s.timeline(now, window, "requests", "requests/minute")
	}

	comps := []wire.HealthComponentDetail{api, s.storageComponent(r.Context(), now, window, timeline)}
	for _, f := range s.cfg.Storage.Failures {
		comps = append(comps, wire.HealthComponentDetail{
			ID:          "storage-" + f.Backend,
			DisplayName: "Storage backend " + f.Backend,
			Status:      "critical",
			ObservedAt:  s.started.UTC(),
			Description: "Storage backend that was requested or tried at start-up and could not start.",
			Metrics:     map[string]any{"active": false},
			Issues: []wire.HealthIssue{{Code: strings.ToUpper(f.Backend) + "_UNAVAILABLE", Severity: "error",
				Summary: f.Backend + " storage could not start", Details: f.Reason}},
		})
	}
	if _, err := s.principalFrom(r); err != nil {
		comps = statusesOnly(comps)
	}
	writeJSON(w, http.StatusOK, wire.HealthComponentCollection{Components: comps, GeneratedAt: now, WindowMinutes: window})
}

// statusesOnly is what /health/components shows without a valid token:
// each component's status, its issue codes and summaries, and the request
// counts; no description, issue details, backend errors, version or
// environment, since those name paths, buckets and hosts.
func statusesOnly(comps []wire.HealthComponentDetail) []wire.HealthComponentDetail {
	out := make([]wire.HealthComponentDetail, len(comps))
	for i, c := range comps {
		c.Description = ""
		issues := make([]wire.HealthIssue, len(c.Issues))
		for j, is := range c.Issues {
			is.Details = ""
			issues[j] = is
		}
		c.Issues = issues
		metrics := map[string]any{}
		for k, v := range c.Metrics {
			if strings.HasPrefix(k, "requests.") || k == "uptime_seconds" || k == "ping_ms" || k == "backend" || k == "active" {
				metrics[k] = v
			}
		}
		c.Metrics = metrics
		out[i] = c
	}
	return out
}

func (s *Server) storageComponent(ctx context.Context, now time.Time, window int, timeline bool) wire.HealthComponentDetail {
	st := s.store
	c := wire.HealthComponentDetail{
		ID:          "storage",
		DisplayName: "Artifact storage (" + st.Backend() + ")",
		Status:      "ok",
		ObservedAt:  now,
		Description: "Active storage backend: " + st.Describe() + ".",
		Metrics: map[string]any{
			"backend":   st.Backend(),
			"requested": s.cfg.Storage.Requested,
			"fallback":  len(s.cfg.Storage.Failures) > 0,
		},
		Issues: []wire.HealthIssue{},
	}
	if len(s.cfg.Storage.Failures) > 0 {
		var reasons []string
		for _, f := range s.cfg.Storage.Failures {
			reasons = append(reasons, f.Backend+": "+f.Reason)
		}
		c.Status = "degraded"
		c.Issues = append(c.Issues, wire.HealthIssue{
			Code:     "STORAGE_FALLBACK_" + strings.ToUpper(st.Backend()),
			Severity: "error",
			Summary:  fmt.Sprintf("running on %s instead of the requested %s", st.Backend(), s.cfg.Storage.Requested),
			Details:  strings.Join(reasons, "; "),
		})
	}
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	start := time.Now()
	if err := st.Ping(pctx); err != nil {
		c.Status = "critical"
		c.Issues = append(c.Issues, wire.HealthIssue{Code: "STORAGE_UNREACHABLE", Severity: "error",
			Summary: st.Backend() + " storage does not answer", Details: err.Error()})
	}
	c.Metrics["ping_ms"] = float64(time.Since(start).Microseconds()) / 1000
	if timeline {
		c.Timeline = s.timeline(now, window, "errors_5xx", "5xx responses/minute")
	}
	return c
}

func (s *Server) timeline(now time.Time, window int, key, unit string) []wire.HealthTimelineEntry {
	series := s.metrics.series(now, window, key)
	first := time.Unix((minuteOf(now)-int64(window-1))*60, 0).UTC()
	out := make([]wire.HealthTimelineEntry, len(series))
	for i, v := range series {
		out[i] = wire.HealthTimelineEntry{Bucket: first.Add(time.Duration(i) * time.Minute), Value: float64(v), Unit: unit}
	}
	return out
}

func (s *Server) handleHealth(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// tracks are the spec's optional tracks this server implements. Access
// control is: users with hashed passwords, signed tokens that expire, 403
// without one, admin-only reset and the per-user audit trail. The other
// tracks (performance, high assurance, other security) are not claimed.
var tracks = []string{"Access control track"}

func (s *Server) handleTracks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string][]string{"plannedTracks": tracks})
}
