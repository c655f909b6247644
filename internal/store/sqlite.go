package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// SQLite keeps artifacts in a SQLite file through modernc.org/sqlite (no
// cgo). Every statement is parameterised. The file is in WAL mode with one
// writer connection and a pool of readers, so reads never queue behind
// writes (WAL readers see the last commit while a write is in progress).
type SQLite struct {
	db   *sql.DB // the one writer
	read *sql.DB // readers (query_only)
	// The reads of every authenticated GET, prepared once: preparing is
	// most of the cost of such a read (database/sql keeps them per reader
	// connection). get reads one artifact by id, generation the reset
	// counter.
	get, generation *sql.Stmt
	gen             generationCache
	path            string
	now             func() time.Time
	blobs           *FileBlobs
}

// sqliteReaders is the size of the reader pool.
var sqliteReaders = max(4, 2*runtime.NumCPU())

// SQLitePathFromURL reads the guide's SQLALCHEMY_DATABASE_URL form:
// sqlite:///registry.db is the relative path registry.db and
// sqlite:////var/lib/registry.db the absolute /var/lib/registry.db.
func SQLitePathFromURL(u string) (string, error) {
	const prefix = "sqlite:///"
	if !strings.HasPrefix(u, prefix) || len(u) == len(prefix) {
		return "", fmt.Errorf("SQLALCHEMY_DATABASE_URL %q: want sqlite:///<relative path> or sqlite:////<absolute path>", u)
	}
	p := strings.TrimPrefix(u, prefix)
	if strings.ContainsAny(p, "?#") {
		return "", fmt.Errorf("SQLALCHEMY_DATABASE_URL %q: the path may not contain '?' or '#'", u)
	}
	return p, nil
}

const sqliteSchema = `
CREATE TABLE IF NOT EXISTS artifacts (
	seq        INTEGER PRIMARY KEY,
	id         TEXT NOT NULL UNIQUE,
	type       TEXT NOT NULL,
	name       TEXT NOT NULL,
	url        TEXT NOT NULL,
	hf_data    TEXT NOT NULL DEFAULT '[]',
	created_at TEXT NOT NULL,
	created_by TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS artifacts_type_url ON artifacts(type, url);
CREATE INDEX IF NOT EXISTS artifacts_name ON artifacts(name, seq);
CREATE TABLE IF NOT EXISTS counters (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
	n           INTEGER PRIMARY KEY AUTOINCREMENT,
	artifact_id TEXT NOT NULL,
	entry       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_artifact ON audit(artifact_id, n);
`

// migrateSQLite adds the columns a table made before them lacks: the
// rating columns, url_key (the url's normURL form, which the 409 rule
// compares), which it fills in for the rows there are, and the bundle
// columns (bundle: the Bundle as JSON, NULL when none is stored).
func migrateSQLite(ctx context.Context, db *sql.DB) error {
	have := map[string]bool{}
	rows, err := db.QueryContext(ctx, `SELECT name FROM pragma_table_info('artifacts')`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			_ = rows.Close()
			return err
		}
		have[name] = true
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for _, col := range []struct{ name, ddl string }{
		{"rating", `ALTER TABLE artifacts ADD COLUMN rating TEXT`},
		{"pending_rating", `ALTER TABLE artifacts ADD COLUMN pending_rating INTEGER NOT NULL DEFAULT 0`},
		{"url_key", `ALTER TABLE artifacts ADD COLUMN url_key TEXT NOT NULL DEFAULT ''`},
		{"bundle", `ALTER TABLE artifacts ADD COLUMN bundle TEXT`},
		{"bundle_not_stored", `ALTER TABLE artifacts ADD COLUMN bundle_not_stored TEXT NOT NULL DEFAULT ''`},
	} {
		if !have[col.name] {
			if _, err := db.ExecContext(ctx, col.ddl); err != nil {
				return err
			}
		}
	}
	if !have["url_key"] {
		if err := fillURLKeys(ctx, db); err != nil {
			return err
		}
	}
	_, err = db.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS artifacts_type_url_key ON artifacts(type, url_key)`)
	return err
}

// fillURLKeys sets url_key of the rows stored before the column existed.
func fillURLKeys(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT seq, url FROM artifacts WHERE url_key = ''`)
	if err != nil {
		return err
	}
	keys := map[int64]string{}
	for rows.Next() {
		var (
			seq int64
			url string
		)
		if err := rows.Scan(&seq, &url); err != nil {
			_ = rows.Close()
			return err
		}
		keys[seq] = normURL(url)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for seq, key := range keys {
		if _, err := db.ExecContext(ctx, `UPDATE artifacts SET url_key = ? WHERE seq = ?`, key, seq); err != nil {
			return err
		}
	}
	return nil
}

// ratingColumn is the SQL value of a rating: NULL when there is none.
func ratingColumn(r json.RawMessage) any {
	if len(r) == 0 {
		return nil
	}
	return string(r)
}

// bundleColumn is the SQL value of a bundle: its JSON, NULL when none.
func bundleColumn(b *Bundle) (any, error) {
	if b == nil {
		return nil, nil
	}
	j, err := json.Marshal(b)
	return string(j), err
}

// OpenSQLite opens (creating if needed) the database file at path, with
// its bundles in DefaultBundleDir(path).
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	return OpenSQLiteBundles(ctx, path, DefaultBundleDir(path))
}

// OpenSQLiteBundles opens the database file at path with its bundles in
// the folder bundleDir (created when missing).
func OpenSQLiteBundles(ctx context.Context, path, bundleDir string) (*SQLite, error) {
	blobs, err := OpenFileBlobs(bundleDir)
	if err != nil {
		return nil, err
	}
	const pragmas = "&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)"
	// Every transaction of the writer writes, so it takes the write lock
	// at BEGIN (_txlock=immediate): then another process on the same file
	// makes it wait (busy_timeout) instead of failing with SQLITE_BUSY when
	// a read lock cannot be upgraded.
	db, err := sql.Open("sqlite", path+"?_txlock=immediate"+pragmas)
	if err != nil {
		return nil, fmt.Errorf("opening SQLite database %s: %w", path, err)
	}
	// One writer connection serialises writers inside the process, so
	// sequence numbers and the 409 check never race; SQLite is
	// single-writer anyway.
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, sqliteSchema); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("creating the schema in SQLite database %s: %w", path, err)
	}
	if err := migrateSQLite(ctx, db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("adding the rating, url_key and bundle columns to SQLite database %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", path+"?_txlock=deferred"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening SQLite database %s for reading: %w", path, err)
	}
	read.SetMaxOpenConns(sqliteReaders)
	read.SetMaxIdleConns(sqliteReaders)
	get, err := read.PrepareContext(ctx, `SELECT `+sqliteColumns+` FROM artifacts WHERE id = ?`)
	if err != nil {
		_ = errors.Join(read.Close(), db.Close())
		return nil, fmt.Errorf("preparing the reads of SQLite database %s: %w", path, err)
	}
	generation, err := read.PrepareContext(ctx, `SELECT value FROM counters WHERE name = 'reset'`)
	if err != nil {
		_ = errors.Join(get.Close(), read.Close(), db.Close())
		return nil, fmt.Errorf("preparing the reads of SQLite database %s: %w", path, err)
	}
	s := &SQLite{db: db, read: read, get: get, generation: generation, path: path, now: time.Now, gen: generationCache{now: time.Now}, blobs: blobs}
	if _, err := s.Generation(ctx, 0); err != nil {
		_ = errors.Join(read.Close(), db.Close())
		return nil, fmt.Errorf("reading the reset counter of SQLite database %s: %w", path, err)
	}
	return s, nil
}

// Generation reads the counter at most once per maxAge: a reset through
// this process counts at once (Reset notes the new count), one by another
// process on the same file within maxAge. The read was a third of an
// authenticated GET's CPU when it ran on every request.
func (s *SQLite) Generation(ctx context.Context, maxAge time.Duration) (int64, error) {
	return s.gen.get(maxAge, func() (int64, error) {
		// Shared by concurrent token checks: one caller giving up must not
		// fail the others.
		var gen int64
		err := s.generation.QueryRowContext(context.WithoutCancel(ctx)).Scan(&gen)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		return gen, err
	})
}

// insertAudit writes e into the trail of id inside tx.
func insertAudit(ctx context.Context, tx *sql.Tx, id string, e wire.ArtifactAuditEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit(artifact_id, entry) VALUES (?, ?)`, id, string(b))
	return err
}

func (s *SQLite) Backend() string { return "sqlite" }
func (s *SQLite) Describe() string {
	return "SQLite database " + s.path + " with its bundles in " + s.blobs.dir
}

func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

func (s *SQLite) Create(ctx context.Context, r Record, e wire.ArtifactAuditEntry) (Record, error) {
	hf, err := json.Marshal(nonNilHF(r.HFData))
	if err != nil {
		return Record{}, err
	}
	bundle, err := bundleColumn(r.Bundle)
	if err != nil {
		return Record{}, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Record{}, err
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	var exists int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM artifacts WHERE type = ? AND url_key = ?`, r.Metadata.Type, normURL(r.URL)).Scan(&exists)
	if err == nil {
		return Record{}, ErrConflict
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Record{}, err
	}
	// The counter is never reset, so ids are not reused after a delete or
	// a reset; it is a row, not max(seq), for that reason.
	var seq int64
	if err := tx.QueryRowContext(ctx,
		`INSERT INTO counters(name, value) VALUES ('artifact', 1)
		 ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value`).Scan(&seq); err != nil {
		return Record{}, err
	}
	r.Metadata.ID = wire.ID(FormatID(r.Metadata.Type, seq, s.now()))
	_, err = tx.ExecContext(ctx,
		`INSERT INTO artifacts(seq, id, type, name, url, url_key, hf_data, created_at, created_by, rating, pending_rating, bundle, bundle_not_stored) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		seq, r.Metadata.ID, r.Metadata.Type, r.Metadata.Name, strings.TrimSpace(r.URL), normURL(r.URL), string(hf), r.CreatedAt.UTC().Format(time.RFC3339Nano), r.CreatedBy, ratingColumn(r.Rating), r.IngestPending, bundle, r.BundleNotStored)
	if isUniqueViolation(err) {
		return Record{}, ErrConflict
	}
	if err != nil {
		return Record{}, err
	}
	e.Artifact = r.Metadata
	if err := insertAudit(ctx, tx, r.ID(), e); err != nil {
		return Record{}, err
	}
	return r, tx.Commit()
}

func nonNilHF(hf []map[string]any) []map[string]any {
	if hf == nil {
		return []map[string]any{}
	}
	return hf
}

const sqliteColumns = `id, type, name, url, hf_data, created_at, created_by, rating, pending_rating, bundle, bundle_not_stored`

type rowScanner interface{ Scan(...any) error }

func scanRecord(row rowScanner) (Record, error) {
	var r Record
	var hf, created string
	var rating, bundle sql.NullString
	if err := row.Scan(&r.Metadata.ID, &r.Metadata.Type, &r.Metadata.Name, &r.URL, &hf, &created, &r.CreatedBy, &rating, &r.IngestPending, &bundle, &r.BundleNotStored); err != nil {
		return Record{}, err
	}
	if bundle.Valid {
		r.Bundle = new(Bundle)
		if err := json.Unmarshal([]byte(bundle.String), r.Bundle); err != nil {
			return Record{}, fmt.Errorf("artifact %s: stored bundle is not JSON: %w", r.Metadata.ID, err)
		}
	}
	// Most artifacts have no hf_data: skip the decoder for them.
	if hf == "[]" {
		r.HFData = []map[string]any{}
	} else if err := json.Unmarshal([]byte(hf), &r.HFData); err != nil {
		return Record{}, fmt.Errorf("artifact %s: stored hf_data is not JSON: %w", r.Metadata.ID, err)
	}
	r.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	if rating.Valid {
		r.Rating = json.RawMessage(rating.String)
	}
	return r, nil
}

func (s *SQLite) Get(ctx context.Context, id string) (Record, error) {
	r, err := scanRecord(s.get.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, ErrNotFound
	}
	return r, err
}

func (s *SQLite) Update(ctx context.Context, r Record, e *wire.ArtifactAuditEntry) error {
	hf, err := json.Marshal(nonNilHF(r.HFData))
	if err != nil {
		return err
	}
	bundle, err := bundleColumn(r.Bundle)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	var other int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM artifacts WHERE type = (SELECT type FROM artifacts WHERE id = ?) AND url_key = ? AND id != ?`,
		r.Metadata.ID, normURL(r.URL), r.Metadata.ID).Scan(&other)
	if err == nil {
		return ErrConflict
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE artifacts SET name = ?, url = ?, url_key = ?, hf_data = ?, rating = ?, pending_rating = ?, bundle = ?, bundle_not_stored = ? WHERE id = ?`,
		r.Metadata.Name, strings.TrimSpace(r.URL), normURL(r.URL), string(hf), ratingColumn(r.Rating), r.IngestPending, bundle, r.BundleNotStored, r.Metadata.ID)
	if isUniqueViolation(err) {
		return ErrConflict
	}
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	if e != nil {
		if err := insertAudit(ctx, tx, r.ID(), *e); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (s *SQLite) Delete(ctx context.Context, id string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	res, err := tx.ExecContext(ctx, `DELETE FROM artifacts WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM audit WHERE artifact_id = ?`, id); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return s.blobs.deleteArtifact(id)
}

func (s *SQLite) RefreshBundle(ctx context.Context, id string, b Bundle) error {
	bundle, err := bundleColumn(&b)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE artifacts SET bundle = ? WHERE id = ? AND json_extract(bundle, '$.key') = ?`, bundle, id, b.Key)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

func (s *SQLite) Blobs() Blobs { return s.blobs }

// where is the SQL condition for q, with its arguments: one condition per
// set of types, however many names share it, so that the expression stays
// shallow for any number of terms (SQLite refuses expression trees deeper
// than 1000, which a chain of 999 ORs is).
func (q Query) where() (string, []any) {
	type group struct {
		types   []string
		names   []string
		anyName bool
		seen    map[string]bool
	}
	var groups []*group
	byTypes := map[string]*group{}
	for _, t := range q {
		types := slices.Compact(slices.Sorted(slices.Values(t.Types)))
		key := strings.Join(types, ",")
		g := byTypes[key]
		if g == nil {
			g = &group{types: types, seen: map[string]bool{}}
			byTypes[key] = g
			groups = append(groups, g)
		}
		switch {
		case t.Name == "*":
			g.anyName = true
		case !g.seen[t.Name]:
			g.seen[t.Name] = true
			g.names = append(g.names, t.Name)
		}
	}
	var terms []string
	var args []any
	for _, g := range groups {
		var conds []string
		if !g.anyName {
			conds = append(conds, "name IN ("+placeholders(len(g.names))+")")
			for _, n := range g.names {
				args = append(args, n)
			}
		}
		if len(g.types) > 0 {
			conds = append(conds, "type IN ("+placeholders(len(g.types))+")")
			for _, typ := range g.types {
				args = append(args, typ)
			}
		}
		if len(conds) == 0 {
			return "1", nil
		}
		terms = append(terms, "("+strings.Join(conds, " AND ")+")")
	}
	if len(terms) == 0 {
		return "0", nil
	}
	return "(" + strings.Join(terms, " OR ") + ")", args
}

// placeholders is n SQL parameters: ?, ?, ...
func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func (s *SQLite) Page(ctx context.Context, q Query, after string, limit int) ([]Record, string, error) {
	// seq is unique here, so it alone is the creation order.
	cond, args := q.where()
	query := `SELECT ` + sqliteColumns + ` FROM artifacts WHERE ` + cond + ` AND seq > ? ORDER BY seq`
	args = append(args, ParseSeq(after))
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit+1)
	}
	out, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, "", err
	}
	if limit > 0 && len(out) > limit {
		return out[:limit], out[limit-1].ID(), nil
	}
	return out, "", nil
}

func (s *SQLite) query(ctx context.Context, query string, args ...any) ([]Record, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *SQLite) Skip(ctx context.Context, q Query, n int) (string, bool, error) {
	cond, args := q.where()
	var id string
	err := s.read.QueryRowContext(ctx, `SELECT id FROM artifacts WHERE `+cond+` ORDER BY seq LIMIT 1 OFFSET ?`, append(args, n-1)...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return id, err == nil, err
}

func (s *SQLite) Count(ctx context.Context, q Query, atMost int) (int, error) {
	cond, args := q.where()
	if atMost <= 0 {
		atMost = -1 // SQLite: no limit
	}
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM artifacts WHERE `+cond+` LIMIT ?)`, append(args, atMost)...).Scan(&n)
	return n, err
}

func (s *SQLite) Each(ctx context.Context, f func(Record) bool) error {
	rows, err := s.read.QueryContext(ctx, `SELECT `+sqliteColumns+` FROM artifacts`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return err
		}
		if !f(r) {
			return nil
		}
	}
	return rows.Err()
}

func (s *SQLite) Reset(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	var gen int64
	if err := tx.QueryRowContext(ctx,
		`INSERT INTO counters(name, value) VALUES ('reset', 1)
		 ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value`).Scan(&gen); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM artifacts`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM audit`); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.gen.note(gen)
	return s.blobs.reset()
}

func (s *SQLite) AppendAudit(ctx context.Context, id string, e wire.ArtifactAuditEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO audit(artifact_id, entry) SELECT id, ? FROM artifacts WHERE id = ?`, string(b), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

func (s *SQLite) Audit(ctx context.Context, id string) ([]wire.ArtifactAuditEntry, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT entry FROM audit WHERE artifact_id = ? ORDER BY n`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []wire.ArtifactAuditEntry{}
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		var e wire.ArtifactAuditEntry
		if err := json.Unmarshal([]byte(raw), &e); err != nil {
			return nil, fmt.Errorf("audit entry of %s is not JSON: %w", id, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *SQLite) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return err
	}
	return s.read.PingContext(ctx)
}

func (s *SQLite) Close() error {
	return errors.Join(s.get.Close(), s.generation.Close(), s.read.Close(), s.db.Close())
}
