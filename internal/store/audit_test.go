package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// On SQLite an artifact and its audit entry are one transaction: when the
// entry cannot be written, the artifact is not stored either (here the
// audit table is dropped behind the store's back to make the write fail).
func TestSQLiteCreateAndAuditAreOneTransaction(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	st, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := st.Create(ctx, Record{Metadata: wire.ArtifactMetadata{Name: "a", Type: "model"}, URL: "https://example.com/a"}, wire.ArtifactAuditEntry{Action: ActionCreate})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, r, &wire.ArtifactAuditEntry{Action: ActionUpdate}); err != nil {
		t.Fatal(err)
	}
	trail, err := st.Audit(ctx, r.ID())
	if err != nil || len(trail) != 2 || trail[0].Action != ActionCreate || trail[0].Artifact != r.Metadata || trail[1].Action != ActionUpdate {
		t.Fatalf("trail: %+v %v", trail, err)
	}

	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.ExecContext(ctx, `DROP TABLE audit`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(ctx, Record{Metadata: wire.ArtifactMetadata{Name: "b", Type: "model"}, URL: "https://example.com/b"}, wire.ArtifactAuditEntry{Action: ActionCreate}); err == nil {
		t.Fatal("create succeeded without its audit entry")
	}
	r.URL = "https://example.com/moved"
	if err := st.Update(ctx, r, &wire.ArtifactAuditEntry{Action: ActionUpdate}); err == nil {
		t.Fatal("update succeeded without its audit entry")
	}
	var n int
	if err := other.QueryRowContext(ctx, `SELECT count(*) FROM artifacts WHERE url != 'https://example.com/a'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d artifacts written or changed without their audit entry (%v)", n, err)
	}
}

// The reset generation is raised by Reset and survives a restart.
func TestSQLiteResetGenerationPersists(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	st, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if gen, err := st.Generation(ctx, 0); gen != 0 || err != nil {
		t.Errorf("fresh database: generation %d %v", gen, err)
	}
	for range 2 {
		if err := st.Reset(ctx); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	if st, err = OpenSQLite(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if gen, err := st.Generation(ctx, 0); gen != 2 || err != nil {
		t.Errorf("after two resets and a restart: generation %d %v, want 2", gen, err)
	}
}
