package store

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

func TestSQLitePathFromURL(t *testing.T) {
	for in, want := range map[string]string{
		"sqlite:///registry.db":         "registry.db",
		"sqlite:///data/registry.db":    "data/registry.db",
		"sqlite:////var/lib/reg/r.db":   "/var/lib/reg/r.db",
		"sqlite:///C:/registry/data.db": "C:/registry/data.db",
	} {
		if got, err := SQLitePathFromURL(in); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "sqlite://", "sqlite:///", "postgres://h/db", "sqlite:///r.db?mode=ro"} {
		if _, err := SQLitePathFromURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestIDs(t *testing.T) {
	id := FormatID("model", 42, time.Unix(1234567890, 0))
	if id != "model-42-1234567890" || !artifact.ValidID(id) || ParseSeq(id) != 42 {
		t.Errorf("FormatID/ParseSeq: %q %d", id, ParseSeq(id))
	}
	for _, bad := range []string{"", "../x", "a/b", "a b", "a%2Fb", "a_b", strings.Repeat("a", 201)} {
		if artifact.ValidID(bad) {
			t.Errorf("artifact.ValidID(%q) = true", bad)
		}
	}
}

// GET by id reads one row through the id index, never a scan.
func TestSQLiteGetUsesIndex(t *testing.T) {
	st, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.db.Query(`EXPLAIN QUERY PLAN SELECT `+sqliteColumns+` FROM artifacts WHERE id = ?`, "x")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if len(plan) != 1 || !strings.HasPrefix(plan[0], "SEARCH") || !strings.Contains(plan[0], "INDEX") {
		t.Errorf("query plan of Get: %q, want an index SEARCH", plan)
	}
}

// Quotes, backticks and SQL in stored values are data, nothing more.
func TestSQLiteStoresHostileText(t *testing.T) {
	ctx := context.Background()
	st, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	name := "x'); DROP TABLE artifacts; --\"`"
	r, err := st.Create(ctx, Record{Metadata: wire.ArtifactMetadata{Name: name, Type: "code"}, URL: "https://example.com/'\";DROP TABLE artifacts;", CreatedBy: name}, wire.ArtifactAuditEntry{Action: ActionCreate})
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.Get(ctx, r.ID())
	if err != nil || got.Metadata.Name != name || got.CreatedBy != name {
		t.Fatalf("round trip: %+v %v", got, err)
	}
}

// SQLALCHEMY_DATABASE_URL in the guide's two forms: sqlite:///registry.db
// is relative to the working directory, sqlite:////abs/path.db absolute.
func TestOpenSQLiteURLForms(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	abs := filepath.Join(t.TempDir(), "abs.db")
	for url, file := range map[string]string{
		"sqlite:///registry.db": filepath.Join(dir, "registry.db"),
		"sqlite:///" + abs:      abs, // abs starts with "/": four slashes
	} {
		opened, err := Open(context.Background(), Options{UseSQLite: true, SQLiteURL: url}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if _, err := opened.Store.Create(context.Background(), Record{Metadata: wire.ArtifactMetadata{Name: "n", Type: "model"}, URL: "https://a.b/n"}, wire.ArtifactAuditEntry{Action: ActionCreate}); err != nil {
			t.Fatal(err)
		}
		opened.Store.Close()
		if opened.Store.Backend() != "sqlite" {
			t.Errorf("%s: backend %s, want sqlite", url, opened.Store.Backend())
		}
		if _, err := os.Stat(file); err != nil {
			t.Errorf("%s: database not at %s: %v", url, file, err)
		}
	}
}

// Two processes on one SQLite file (two stores here) create concurrently:
// every create succeeds (writers wait for the lock instead of failing with
// SQLITE_BUSY) and every id is distinct.
func TestSQLiteTwoWritersUniqueIDs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	const perWriter = 20
	ids := make([]string, 2*perWriter)
	var g errgroup.Group
	for w := range 2 {
		st, err := OpenSQLite(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		for i := range perWriter {
			g.Go(func() error {
				r, err := st.Create(context.Background(), Record{Metadata: wire.ArtifactMetadata{Name: "m", Type: "model"}, URL: fmt.Sprintf("https://example.com/%d-%d", w, i)}, wire.ArtifactAuditEntry{Action: ActionCreate})
				ids[w*perWriter+i] = r.ID()
				return err
			})
		}
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("create: %v", err)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("id %s given twice", id)
		}
		seen[id] = true
	}
}

// Many terms in one query stay one shallow SQL condition: 999 of them
// were an expression tree too deep for SQLite.
func TestSQLiteManyQueryTerms(t *testing.T) {
	ctx := context.Background()
	st, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, name := range []string{"t-3", "t-998"} {
		if _, err := st.Create(ctx, Record{Metadata: wire.ArtifactMetadata{Name: name, Type: "model"}, URL: "https://example.com/" + name}, wire.ArtifactAuditEntry{Action: ActionCreate}); err != nil {
			t.Fatal(err)
		}
	}
	var q Query
	for i := range 999 {
		q = append(q, Term{Name: fmt.Sprintf("t-%d", i), Types: []string{"model", "code"}[:1+i%2]})
	}
	recs, _, err := st.Page(ctx, q, "", 0)
	if err != nil || len(recs) != 2 {
		t.Fatalf("Page with 999 terms: %d records, %v; want t-3 and t-998", len(recs), err)
	}
	if n, err := st.Count(ctx, q, 0); err != nil || n != 2 {
		t.Errorf("Count with 999 terms: %d %v, want 2", n, err)
	}
	if id, ok, err := st.Skip(ctx, q, 2); err != nil || !ok || id != recs[1].ID() {
		t.Errorf("Skip(2) with 999 terms: %q %v %v, want %s", id, ok, err, recs[1].Metadata.ID)
	}
}
