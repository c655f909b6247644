package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// A database made before the rating columns existed gains them at open,
// keeps its rows, and then stores ratings and the pending marker.
func TestSQLiteMigratesRatingColumns(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `
		CREATE TABLE artifacts (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, name TEXT NOT NULL,
			url TEXT NOT NULL, hf_data TEXT NOT NULL DEFAULT '[]', created_at TEXT NOT NULL, created_by TEXT NOT NULL);
		CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
		INSERT INTO counters VALUES ('artifact', 1);
		INSERT INTO artifacts VALUES (1, 'model-1-1', 'model', 'old', 'https://huggingface.co/a/old', '[]', '2025-01-01T00:00:00Z', 'alice');`); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()

	st, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatalf("opening a database without the rating columns: %v", err)
	}
	defer st.Close()
	old, err := st.Get(ctx, "model-1-1")
	if err != nil || old.Metadata.Name != "old" || old.Rating != nil || old.IngestPending {
		t.Fatalf("the old row after the migration: %+v %v", old, err)
	}
	checkRatingRoundTrip(t, st)
}

func TestMemoryRatingRoundTrip(t *testing.T) { checkRatingRoundTrip(t, NewMemory()) }

// checkRatingRoundTrip stores a pending record, then its rating.
func checkRatingRoundTrip(t *testing.T, st Store) {
	t.Helper()
	ctx := context.Background()
	rec, err := st.Create(ctx, Record{Metadata: wire.ArtifactMetadata{Name: "m", Type: "model"}, URL: "https://huggingface.co/a/m",
		CreatedAt: time.Now().UTC(), CreatedBy: "alice", IngestPending: true}, wire.ArtifactAuditEntry{Action: ActionCreate})
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.Get(ctx, rec.ID())
	if err != nil || !got.IngestPending || got.Rating != nil {
		t.Fatalf("pending record read back as %+v %v", got, err)
	}
	got.Rating, got.IngestPending = json.RawMessage(`{"net_score":0.75}`), false
	if err := st.Update(ctx, got, &wire.ArtifactAuditEntry{Action: ActionRate}); err != nil {
		t.Fatal(err)
	}
	got, err = st.Get(ctx, rec.ID())
	if err != nil || got.IngestPending || string(got.Rating) != `{"net_score":0.75}` {
		t.Fatalf("rated record read back as pending=%v rating=%s %v", got.IngestPending, got.Rating, err)
	}
}

// A database made before url_key existed gets the column, filled in, so
// that the 409 rule holds for the artifacts it already holds.
func TestSQLiteURLKeyMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	st, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(ctx, Record{Metadata: wire.ArtifactMetadata{Name: "m", Type: "model"}, URL: "https://HF.co/org/m/"}, wire.ArtifactAuditEntry{Action: ActionCreate}); err != nil {
		t.Fatal(err)
	}
	for _, ddl := range []string{`DROP INDEX artifacts_type_url_key`, `ALTER TABLE artifacts DROP COLUMN url_key`} {
		if _, err := st.db.ExecContext(ctx, ddl); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	if st, err = OpenSQLite(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = st.Create(ctx, Record{Metadata: wire.ArtifactMetadata{Name: "m", Type: "model"}, URL: "https://hf.co/org/m"}, wire.ArtifactAuditEntry{Action: ActionCreate})
	if !errors.Is(err, ErrConflict) {
		t.Errorf("create of the same source after the migration: %v, want ErrConflict", err)
	}
}
