// Package store keeps the registry's artifacts and their audit trail. It has
// three backends chosen at start-up by the operations guide's environment
// variables: Amazon S3 (one object per artifact at
// artifacts/<id>/metadata.json in the guide's metadata format), SQLite
// through modernc.org/sqlite, and process memory.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// Errors every backend returns so that the HTTP layer can map them to
// status codes without knowing the backend.
var (
	ErrNotFound = errors.New("artifact not found")
	// ErrConflict means another artifact of the same type already has the
	// same source url (the registry's 409 rule, see Store.Create).
	ErrConflict = errors.New("an artifact of this type with this url exists")
	// ErrResetting means a reset of the registry is running (S3: on any
	// server sharing the bucket), and a create was refused or undone so that
	// it cannot outlive the reset in part; it can be tried again in a moment.
	ErrResetting = errors.New("a reset of the registry is in progress")
)

// Record is one stored artifact: what the guide's metadata.json holds.
type Record struct {
	Metadata wire.ArtifactMetadata
	URL      string
	// HFData is the guide's data.hf_data: Hugging Face facts such as
	// readme_text, as the server's ingest (internal/ingest) or another
	// deployment sharing the bucket wrote them; byRegEx searches their
	// readme_text.
	HFData    []map[string]any
	CreatedAt time.Time
	CreatedBy string
	// Rating is the model's ModelRating as JSON once computed, nil before.
	// S3 keeps it in metadata.json as "rating" and IngestPending as
	// "pending_rating" (true only while an ingest runs; the name is from
	// when only an async rating did), so that the rating lives with the
	// artifact and goes away with it; SQLite in the columns rating (JSON
	// text, NULL before) and pending_rating.
	Rating json.RawMessage
	// IngestPending marks an artifact whose ingest is not done: its bundle
	// being written, or its asynchronous fetch and rating not done yet; the
	// API answers 404 for it (write, then publish).
	IngestPending bool
	// Bundle is the stored bundle, nil when none is stored; then
	// BundleNotStored says why (over the size cap, the source could not be
	// fetched), never empty for an artifact whose ingest ended.
	Bundle          *Bundle
	BundleNotStored string
}

// ID is the record's artifact id, as the stores key it.
func (r Record) ID() string { return string(r.Metadata.ID) }

// ReadmeText joins the readme_text of every hf_data entry.
func (r Record) ReadmeText() string {
	var parts []string
	for _, d := range r.HFData {
		if s, ok := d["readme_text"].(string); ok && s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "\n")
}

// AuditDate is t as the audit trail (wire.ArtifactAuditEntry.Date) writes
// it: RFC 3339, UTC, to the second.
func AuditDate(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// Audit actions.
const (
	ActionCreate   = "CREATE"
	ActionUpdate   = "UPDATE"
	ActionDownload = "DOWNLOAD"
	ActionRate     = "RATE"
)

// Store is a storage backend.
//
// The 409 rule: Create fails with ErrConflict when an artifact of the same
// type already has the same source url (compared in the normal form of
// artifact.NormalizeURL; the url is stored as given, trimmed); Update fails
// the same way when the new url is
// already another artifact's of that type. Artifacts of different types may
// share a url, and any number of artifacts may share a name.
type Store interface {
	// Backend names the backend: "s3", "sqlite" or "memory".
	Backend() string
	// Describe says where the data lives, for logs and health (no secrets).
	Describe() string
	// Create assigns the record an id <type>-<sequence>-<unix seconds>,
	// unique across restarts and concurrent creates, and stores it together
	// with its CREATE audit entry e (whose Artifact gets the new metadata):
	// a crash never leaves the artifact without that entry (SQLite: one
	// transaction; S3: the entry is written first, see S3). A create that a
	// reset overlaps either ends before it or fails with ErrResetting,
	// having stored nothing.
	Create(ctx context.Context, r Record, e wire.ArtifactAuditEntry) (Record, error)
	// Get reads one record by id without scanning.
	Get(ctx context.Context, id string) (Record, error)
	// Update replaces the stored record with the same id and appends the
	// audit entry e (UPDATE, RATE) in the same way as Create; e is nil when
	// no one acted on the artifact (the publish of a create's own ingest,
	// whose CREATE entry is written).
	Update(ctx context.Context, r Record, e *wire.ArtifactAuditEntry) error
	// Delete removes the record, its audit trail and its bundles (SQLite:
	// the records in one transaction, then the artifact's bundle folder;
	// S3: the record first, see S3).
	Delete(ctx context.Context, id string) error
	// RefreshBundle records that the blob of id's bundle changed behind
	// the registry's back: b, re-hashed (the same Key, its new digest,
	// size and version), replaces the record's bundle. No audit entry is
	// written, since no client changed the artifact. ErrNotFound when the
	// artifact is gone or names another blob by now.
	RefreshBundle(ctx context.Context, id string, b Bundle) error
	// Blobs keeps the bundles of this store's artifacts.
	Blobs() Blobs
	// Page returns, in creation order, up to limit records matching q that
	// come after the id after ("" = from the first; the record need not
	// exist any more), and the id to continue after, "" on the last page.
	// Records created after a listing began may or may not appear in it,
	// but none that existed then is returned twice or skipped. limit <= 0
	// means no limit.
	Page(ctx context.Context, q Query, after string, limit int) (recs []Record, next string, err error)
	// Skip returns the id of the n-th record matching q in creation order
	// (n >= 1), for a Page to continue after, or false when fewer than n
	// match; so that a numeric offset costs no reads of the records it
	// skips (S3: LIST calls on the index only, where an artifact deleted a
	// moment ago may still count).
	Skip(ctx context.Context, q Query, n int) (after string, ok bool, err error)
	// Count returns how many records match q, counting no further than
	// atMost (<= 0: no limit), so that a cap check stays cheap on S3.
	Count(ctx context.Context, q Query, atMost int) (int, error)
	// Each calls f with every record, in no particular order, until f
	// returns false or ctx ends (full-text search; O(N) by nature).
	Each(ctx context.Context, f func(Record) bool) error
	// Reset removes every record, audit entry and bundle and raises
	// Generation before it removes anything. Ids are not reused.
	Reset(ctx context.Context) error
	// Generation counts the resets of this storage, across restarts and
	// the processes sharing it: tokens carry it, so that a reset revokes
	// every token issued before it, on every server. The answer may be up
	// to maxAge old (S3 reads the bucket at most once per maxAge; 0 reads it
	// now); this process's own resets count at once.
	Generation(ctx context.Context, maxAge time.Duration) (int64, error)
	// AppendAudit adds an entry to the trail of an existing artifact
	// (ErrNotFound otherwise); used for entries without a write, such as
	// DOWNLOAD.
	AppendAudit(ctx context.Context, id string, e wire.ArtifactAuditEntry) error
	// Audit returns the trail of id in the order it was written.
	Audit(ctx context.Context, id string) ([]wire.ArtifactAuditEntry, error)
	// Ping checks that the backend answers.
	Ping(ctx context.Context) error
	Close() error
}

// FormatID builds an id as the guide shows them: model-1-1234567890.
func FormatID(typ string, seq int64, t time.Time) string {
	return fmt.Sprintf("%s-%d-%d", typ, seq, t.Unix())
}

// ParseSeq returns the sequence number of an id made by FormatID, or 0.
func ParseSeq(id string) int64 {
	parts := strings.Split(id, "-")
	if len(parts) < 3 {
		return 0
	}
	n, err := strconv.ParseInt(parts[len(parts)-2], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// normURL is the form of a url the 409 rule compares.
func normURL(u string) string { return artifact.NormalizeURL(u) }

// All returns every record of st in creation order: a full read (on S3,
// every object), for the few uses that need the whole registry.
func All(ctx context.Context, st Store) ([]Record, error) {
	recs, _, err := st.Page(ctx, Query{{Name: "*"}}, "", 0)
	return recs, err
}

// Term matches the records named Name ("*" = any name) whose type is one
// of Types (empty = any type): one ArtifactQuery of the API.
type Term struct {
	Name  string
	Types []string
}

// Query is a union of terms.
type Query []Term

// couldMatchType reports whether a record of type typ may match q (its
// name decides the rest); the type is in the id, so S3 filters on it
// without reading objects.
func (q Query) couldMatchType(typ string) bool {
	return slices.ContainsFunc(q, func(t Term) bool { return t.allowsType(typ) })
}

// Match reports whether m matches one of the terms.
func (q Query) Match(m wire.ArtifactMetadata) bool {
	return slices.ContainsFunc(q, func(t Term) bool {
		return (t.Name == "*" || t.Name == m.Name) && t.allowsType(m.Type)
	})
}

// allowsType reports whether t accepts artifacts of type typ (no types: all).
func (t Term) allowsType(typ string) bool { return len(t.Types) == 0 || slices.Contains(t.Types, typ) }

// names returns the names of the terms, or nil when one of them is "*".
func (q Query) names() []string {
	var out []string
	for _, t := range q {
		if t.Name == "*" {
			return nil
		}
		if !slices.Contains(out, t.Name) {
			out = append(out, t.Name)
		}
	}
	return out
}

// TypeOfID is the type an id made by FormatID starts with, or "".
func TypeOfID(id string) string {
	typ, _, _ := strings.Cut(id, "-")
	if artifact.ValidType(typ) {
		return typ
	}
	return ""
}

// CompareCreation orders ids made by FormatID in creation order.
func CompareCreation(a, b string) int { return strings.Compare(orderKey(a), orderKey(b)) }

// orderKey sorts ids in creation order: by sequence, then by id (two S3
// writers may, rarely, give one sequence number to ids of different types
// or seconds).
func orderKey(id string) string { return fmt.Sprintf("%020d-%s", ParseSeq(id), id) }

// ValidCursor reports whether after can start a Page: an id made by
// FormatID (it need not exist any more).
func ValidCursor(after string) bool {
	parts := strings.Split(after, "-")
	return artifact.ValidID(after) && len(parts) == 3 && TypeOfID(after) != "" && ParseSeq(after) > 0
}
