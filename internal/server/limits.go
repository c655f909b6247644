package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"regexp/syntax"
	"time"
)

// maxRegexInstructions caps the compiled size of a byRegEx pattern. RE2
// matches in time proportional to the text times the program: [a-z]{999}
// is short but compiles to a thousand instructions, nested repeats to
// millions. 500 instructions over a 512-byte name and a 16 KiB README take
// at most about 0.25 s per artifact on a slow core, which bounds how far a
// scan can run past its deadline; common patterns (names, alternatives of
// a few words) compile to a few dozen.
const maxRegexInstructions = 500

// Limits bound what one request may make the server store or scan. A zero
// field takes its default (DefaultLimits); the registry-server command reads
// them from the environment (see its README).
type Limits struct {
	// MaxURLBytes caps the url of POST /artifact/{type} and PUT (2 KiB).
	MaxURLBytes int
	// MaxNameBytes caps an artifact name: the one derived from a new url,
	// and the one asked for in GET /artifact/byName/{name} (512 bytes).
	MaxNameBytes int
	// MaxReadmeBytes caps the stored README text of one artifact that
	// byRegEx searches; a longer README is searched in its first
	// MaxReadmeBytes only (16 KiB).
	MaxReadmeBytes int
	// MaxRegexBytes caps the pattern of POST /artifact/byRegEx (1 KiB).
	MaxRegexBytes int
	// MaxQueries caps the artifact queries in one POST /artifacts body
	// (100): each costs the storage a lookup (on S3 a LIST per name).
	MaxQueries int
	// SearchTimeout bounds the scan of one search (byName, byRegEx,
	// POST /artifacts); past it the answer is 503 and the scan stops (5s).
	SearchTimeout time.Duration
}

// DefaultLimits are the bounds when none are configured.
var DefaultLimits = Limits{
	MaxURLBytes:    2 << 10,
	MaxNameBytes:   512,
	MaxReadmeBytes: 16 << 10,
	MaxRegexBytes:  1 << 10,
	MaxQueries:     100,
	SearchTimeout:  5 * time.Second,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxURLBytes <= 0 {
		l.MaxURLBytes = d.MaxURLBytes
	}
	if l.MaxNameBytes <= 0 {
		l.MaxNameBytes = d.MaxNameBytes
	}
	if l.MaxReadmeBytes <= 0 {
		l.MaxReadmeBytes = d.MaxReadmeBytes
	}
	if l.MaxRegexBytes <= 0 {
		l.MaxRegexBytes = d.MaxRegexBytes
	}
	if l.MaxQueries <= 0 {
		l.MaxQueries = d.MaxQueries
	}
	if l.SearchTimeout <= 0 {
		l.SearchTimeout = d.SearchTimeout
	}
	return l
}

// checkURL answers 400 when url is longer than the limit.
func (s *Server) checkURL(w http.ResponseWriter, field, url string) bool {
	if len(url) > s.limits.MaxURLBytes {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%s is %d bytes long, more than the limit of %d bytes", field, len(url), s.limits.MaxURLBytes))
		return false
	}
	return true
}

// checkName answers 400 when name is longer than the limit.
func (s *Server) checkName(w http.ResponseWriter, what, name string) bool {
	if len(name) > s.limits.MaxNameBytes {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%s is %d bytes long, more than the limit of %d bytes", what, len(name), s.limits.MaxNameBytes))
		return false
	}
	return true
}

// compileRegex compiles a byRegEx pattern within the bounds, answering
// 400 itself otherwise.
func (s *Server) compileRegex(w http.ResponseWriter, pattern string) (*regexp.Regexp, bool) {
	if len(pattern) > s.limits.MaxRegexBytes {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("regex is %d bytes long, more than the limit of %d bytes", len(pattern), s.limits.MaxRegexBytes))
		return nil, false
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		writeError(w, http.StatusBadRequest, regexProblem(pattern, err))
		return nil, false
	}
	// Compile accepted it, so parsing again cannot fail.
	parsed, _ := syntax.Parse(pattern, syntax.Perl)
	if prog, err := syntax.Compile(parsed.Simplify()); err != nil || len(prog.Inst) > maxRegexInstructions {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("regex is too costly to run: it compiles to more than %d instructions; use smaller repeat counts such as {1,50} or fewer alternatives", maxRegexInstructions))
		return nil, false
	}
	return re, true
}

// regexProblem words a pattern that does not compile: the RE2 error code
// and the part of the pattern it is about, quoted, so the client's own text
// is never mistaken for the server's words.
func regexProblem(pattern string, err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return fmt.Sprintf("regex %q is not valid RE2 syntax: %s at %q", pattern, se.Code, se.Expr)
	}
	return fmt.Sprintf("regex %q is not valid RE2 syntax", pattern)
}

// readme is the part of a README that searches look at.
func (s *Server) readme(text string) string {
	if len(text) > s.limits.MaxReadmeBytes {
		return text[:s.limits.MaxReadmeBytes]
	}
	return text
}

// searchContext is the request's context with the search deadline: a scan
// stops when the client goes away or the deadline passes.
func (s *Server) searchContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.limits.SearchTimeout)
}

// scanStopped answers a scan that stopped early, and reports whether it
// did: 503 past the deadline; nothing when the client is gone (no one
// reads the answer), only a log record.
func (s *Server) scanStopped(ctx context.Context, w http.ResponseWriter, r *http.Request) bool {
	err := ctx.Err()
	switch {
	case err == nil:
		return false
	case errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil:
		s.log.Warn("search stopped at its deadline", "route", r.Pattern, "timeout", s.limits.SearchTimeout.String())
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("the search took longer than the limit of %s and was stopped; narrow it (a simpler pattern, a name) and try again", s.limits.SearchTimeout))
	default:
		s.log.Info("search stopped: the client went away", "route", r.Pattern)
	}
	return true
}
