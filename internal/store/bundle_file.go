package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
)

// FileBlobs keeps bundles as files in a folder, for the SQLite store: one
// folder per artifact, <dir>/<id>/<blob name>, the key being <id>/<blob
// name>. A Put writes a temporary file in the artifact's folder, syncs it
// and renames it to its name, so that a blob is never seen half-written;
// a crash leaves at most a temporary file, which nothing refers to and
// which the next start removes.
type FileBlobs struct {
	dir string
	now func() time.Time
}

const (
	// fileTempPrefix starts the names of files being written.
	fileTempPrefix = ".partial-"
	// fileTempGrace is how long a temporary file may go unwritten before
	// the next start counts it as a crash's leftover: another process on
	// the same database may be writing it, and a steady write touches it.
	fileTempGrace = 10 * time.Minute
)

// DefaultBundleDir is the blob folder of the SQLite database at dbPath
// when BUNDLE_DIR does not name one: <database file>.bundles beside it.
func DefaultBundleDir(dbPath string) string { return dbPath + ".bundles" }

// OpenFileBlobs creates dir when missing and removes the temporary files
// that writers which are gone left in it.
func OpenFileBlobs(dir string) (*FileBlobs, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("creating the bundle folder %s: %w", dir, err)
	}
	f := &FileBlobs{dir: dir, now: time.Now}
	if err := f.removeStaleTemps(); err != nil {
		return nil, fmt.Errorf("removing unfinished bundles from %s: %w", dir, err)
	}
	return f, nil
}

func (f *FileBlobs) removeStaleTemps() error {
	stale, err := filepath.Glob(filepath.Join(f.dir, "*", fileTempPrefix+"*"))
	if err != nil {
		return err
	}
	for _, p := range stale {
		info, err := os.Stat(p)
		if err == nil && f.now().Sub(info.ModTime()) > fileTempGrace {
			err = os.Remove(p)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

func (f *FileBlobs) Put(ctx context.Context, id string, r io.Reader, limit int64) (Bundle, error) {
	if !artifact.ValidID(id) {
		return Bundle{}, fmt.Errorf("artifact id %q cannot name a bundle folder", id)
	}
	folder := filepath.Join(f.dir, id)
	if err := os.MkdirAll(folder, 0o750); err != nil {
		return Bundle{}, err
	}
	tmp, err := os.CreateTemp(folder, fileTempPrefix+"*")
	if err != nil {
		return Bundle{}, err
	}
	cr := newCapReader(ctx, r, limit)
	_, err = io.Copy(tmp, cr)
	if err == nil {
		err = tmp.Sync()
	}
	if err = errors.Join(err, tmp.Close()); err != nil {
		_ = os.Remove(tmp.Name())
		if cr.over() {
			return Bundle{}, ErrTooLarge
		}
		return Bundle{}, err
	}
	b := cr.bundle(f.now())
	name := blobName(b.StoredAt)
	final := filepath.Join(folder, name)
	if err := os.Rename(tmp.Name(), final); err != nil {
		_ = os.Remove(tmp.Name())
		return Bundle{}, err
	}
	// The rename is durable once the folder is synced.
	if err := syncDir(folder); err != nil {
		return Bundle{}, errors.Join(err, os.Remove(final))
	}
	info, err := os.Stat(final)
	if err != nil {
		return Bundle{}, err
	}
	b.Key, b.Version = id+"/"+name, fileVersion(info)
	return b, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir) //nolint:gosec // G304: our own bundle folder
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// fileVersion identifies a file's content as far as a stat can: its size
// and modification time (a writer replacing it changes the latter).
func fileVersion(info fs.FileInfo) string {
	return strconv.FormatInt(info.Size(), 10) + "-" + strconv.FormatInt(info.ModTime().UnixNano(), 10)
}

// path is the file of b, refusing keys that would leave the folder.
func (f *FileBlobs) path(b Bundle) (string, error) {
	id, name, ok := strings.Cut(b.Key, "/")
	if !ok || !artifact.ValidID(id) || !strings.HasPrefix(name, "bundle-") || !filepath.IsLocal(name) || strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("%w: %q", errNotBlobKey, b.Key)
	}
	return filepath.Join(f.dir, id, name), nil
}

func (f *FileBlobs) Open(_ context.Context, b Bundle) (io.ReadSeekCloser, error) {
	p, err := f.path(b)
	if err != nil {
		return nil, err
	}
	file, err := os.Open(p) //nolint:gosec // G304: path checks that p is in the bundle folder
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	return file, err
}

func (f *FileBlobs) Stat(_ context.Context, b Bundle) (BlobInfo, error) {
	p, err := f.path(b)
	if err != nil {
		return BlobInfo{}, err
	}
	info, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return BlobInfo{}, ErrNotFound
	}
	if err != nil {
		return BlobInfo{}, err
	}
	return BlobInfo{Size: info.Size(), Version: fileVersion(info)}, nil
}

// Presign returns "": files are served by the server itself.
func (f *FileBlobs) Presign(context.Context, Bundle, time.Duration) (string, error) { return "", nil }

func (f *FileBlobs) Delete(_ context.Context, b Bundle) error {
	p, err := f.path(b)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// deleteArtifact removes the folder of artifact id: its blobs, and a
// blob written for it that no record names yet (SQLite.Delete).
func (f *FileBlobs) deleteArtifact(id string) error {
	if !artifact.ValidID(id) {
		return nil
	}
	return os.RemoveAll(filepath.Join(f.dir, id))
}

// reset removes every artifact's folder (SQLite.Reset).
func (f *FileBlobs) reset() error {
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		errs = append(errs, os.RemoveAll(filepath.Join(f.dir, e.Name())))
	}
	return errors.Join(errs...)
}
