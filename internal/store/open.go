package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/s3bucket"
)

// Options chooses the backend, as the guide's environment variables do
// (read by internal/serverconfig).
type Options struct {
	UseS3     bool   // USE_S3
	Bucket    string // S3_BUCKET_NAME
	Region    string // AWS_REGION (endpoint and credentials: the SDK chain)
	UseSQLite bool   // USE_SQLITE
	SQLiteURL string // SQLALCHEMY_DATABASE_URL
	// BundleDir is SQLite's bundle folder (BUNDLE_DIR); "" is
	// DefaultBundleDir of the database.
	BundleDir string
	// Fallback allows falling back to the next backend when the chosen one
	// cannot start (STORAGE_FALLBACK, default on).
	Fallback bool
}

// Failure is a backend that could not start.
type Failure struct {
	Backend string
	Reason  string
}

// Opened is the active store and how it was chosen.
type Opened struct {
	Store Store
	// Requested is the backend the options asked for.
	Requested string
	// Failures lists the backends tried before the active one; non-empty
	// means the registry runs degraded on a fallback.
	Failures []Failure
	// Blobs keeps the bundles of the active backend (its Store's Blobs).
	Blobs Blobs
}

// Open starts the backend the options ask for: S3 when UseS3, else SQLite
// when UseSQLite, else memory. When the chosen backend fails, it falls back
// as the guide says (S3, then SQLite if enabled, then memory), logging the
// reason at ERROR, unless Fallback is off, in which case it returns the
// error.
func Open(ctx context.Context, o Options, log *slog.Logger) (*Opened, error) {
	chain := []string{}
	if o.UseS3 {
		chain = append(chain, "s3")
	}
	if o.UseSQLite {
		chain = append(chain, "sqlite")
	}
	chain = append(chain, "memory")
	res := &Opened{Requested: chain[0]}
	for _, backend := range chain {
		st, err := openOne(ctx, backend, o)
		if err == nil {
			res.Store, res.Blobs = st, st.Blobs()
			log.Info(initMessage(st), "backend", backend)
			if len(res.Failures) > 0 {
				log.Error("storage fallback active: running on "+backend+" instead of "+res.Requested,
					"requested", res.Requested, "active", backend)
			}
			return res, nil
		}
		msg := "storage backend failed to start"
		if backend == "s3" {
			msg = "Failed to access S3 bucket" // the guide's wording
		}
		log.Error(msg, "backend", backend, "error", err.Error())
		res.Failures = append(res.Failures, Failure{Backend: backend, Reason: err.Error()})
		if !o.Fallback {
			return nil, fmt.Errorf("%s storage: %w (STORAGE_FALLBACK=0, so not falling back)", backend, err)
		}
	}
	return nil, errors.New("no storage backend could start")
}

func initMessage(st Store) string {
	if s, ok := st.(*S3); ok {
		return "S3 storage initialized: bucket=" + s.bucket
	}
	return "storage initialized: " + st.Describe()
}

func openOne(ctx context.Context, backend string, o Options) (Store, error) {
	switch backend {
	case "s3":
		if o.Bucket == "" {
			return nil, errors.New("S3_BUCKET_NAME is required when USE_S3=1")
		}
		client, err := s3bucket.NewClient(ctx, s3bucket.ClientConfig{Region: o.Region})
		if err != nil {
			return nil, err
		}
		return OpenS3(ctx, client, o.Bucket)
	case "sqlite":
		path, err := SQLitePathFromURL(o.SQLiteURL)
		if err != nil {
			return nil, err
		}
		return OpenSQLiteBundles(ctx, path, cmp.Or(o.BundleDir, DefaultBundleDir(path)))
	default:
		return NewMemory(), nil
	}
}
