package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
)

// Where each backend keeps Record.Rating and Record.PendingRating:
//   - S3: in metadata.json, as "rating" (the ModelRating object) and
//     "pending_rating" (true only while an async rating runs), so that the
//     rating lives with the artifact and goes away with it;
//   - SQLite: the columns rating (JSON text, NULL before) and
//     pending_rating, added to databases made before they existed;
//   - memory: the Record itself.

// migrateSQLiteRating adds the rating columns when the table predates them.
func migrateSQLiteRating(ctx context.Context, db *sql.DB) error {
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
	} {
		if !have[col.name] {
			if _, err := db.ExecContext(ctx, col.ddl); err != nil {
				return err
			}
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
