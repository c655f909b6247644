package store

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/s3bucket"
)

// S3Blobs keeps bundles in the store's bucket at
// artifacts/<id>/files/<blob name>, as the guide lays the bucket out. A
// Put streams through the SDK's upload manager: one PUT for a small
// bundle, else a multipart upload sending s3UploadParts parts of
// s3PartSize at once (holding one more in memory, the one being read),
// aborted when the source fails or passes the cap;
// either way the object exists only once it is complete. (An upload cut
// short by a crash leaves parts that no reader sees; a lifecycle rule that
// aborts incomplete multipart uploads removes them.)
type S3Blobs struct {
	client  *s3.Client
	bucket  string
	up      *manager.Uploader //nolint:staticcheck // SA1019: see newS3Blobs.
	presign *s3.PresignClient
	now     func() time.Time
}

const (
	s3FilesDir = "/files/"
	// s3PartSize and s3UploadParts bound a Put's memory: (s3UploadParts+1)
	// parts of s3PartSize (32 MiB), whatever the bundle's size.
	s3PartSize    = 8 << 20
	s3UploadParts = 3
)

func newS3Blobs(client *s3.Client, bucket string, now func() time.Time) *S3Blobs {
	//nolint:staticcheck // SA1019: its successor, feature/s3/transfermanager, is not stable (v0) yet; the upload manager is kept and maintained.
	up := manager.NewUploader(client, func(u *manager.Uploader) {
		u.PartSize, u.Concurrency = s3PartSize, s3UploadParts
		// As the client: checksums "when required" on S3-compatible servers
		// (s3bucket.NewClient), which the uploader would add otherwise.
		u.RequestChecksumCalculation = client.Options().RequestChecksumCalculation
	})
	return &S3Blobs{client: client, bucket: bucket, up: up, presign: s3.NewPresignClient(client), now: now}
}

// filesPrefix is where the blobs of artifact id live.
func filesPrefix(id string) string { return s3bucket.ArtifactsPrefix + id + s3FilesDir }

func (b *S3Blobs) Put(ctx context.Context, id string, r io.Reader, limit int64) (Bundle, error) {
	now := b.now()
	key := filesPrefix(id) + blobName(now)
	cr := newCapReader(ctx, r, limit)
	//nolint:staticcheck // SA1019: see newS3Blobs.
	out, err := b.up.Upload(ctx, &s3.PutObjectInput{
		Bucket: aws.String(b.bucket), Key: aws.String(key), Body: cr, ContentType: aws.String("application/octet-stream"),
	})
	if err != nil {
		if cr.over() {
			return Bundle{}, ErrTooLarge
		}
		return Bundle{}, err
	}
	bundle := cr.bundle(now)
	bundle.Key, bundle.Version = key, aws.ToString(out.ETag)
	return bundle, nil
}

// key checks that b names a blob of this layout.
func (b *S3Blobs) key(bundle Bundle) (string, error) {
	rest, ok := strings.CutPrefix(bundle.Key, s3bucket.ArtifactsPrefix)
	if id, _, found := strings.Cut(rest, s3FilesDir); !ok || !found || id == "" || strings.Contains(id, "/") {
		return "", fmt.Errorf("%w: %q", errNotBlobKey, bundle.Key)
	}
	return bundle.Key, nil
}

func (b *S3Blobs) Stat(ctx context.Context, bundle Bundle) (BlobInfo, error) {
	key, err := b.key(bundle)
	if err != nil {
		return BlobInfo{}, err
	}
	out, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(key)})
	if s3bucket.IsNotFound(err) {
		return BlobInfo{}, ErrNotFound
	}
	if err != nil {
		return BlobInfo{}, err
	}
	return BlobInfo{Size: aws.ToInt64(out.ContentLength), Version: aws.ToString(out.ETag)}, nil
}

// Open reads the object's size and version now; reads then GET the byte
// ranges asked for, of that version only (If-Match), so that an object
// replaced while it is served fails the read instead of mixing versions.
func (b *S3Blobs) Open(ctx context.Context, bundle Bundle) (io.ReadSeekCloser, error) {
	info, err := b.Stat(ctx, bundle)
	if err != nil {
		return nil, err
	}
	return &s3Object{ctx: ctx, blobs: b, key: bundle.Key, etag: info.Version, size: info.Size}, nil
}

func (b *S3Blobs) Presign(ctx context.Context, bundle Bundle, ttl time.Duration) (string, error) {
	key, err := b.key(bundle)
	if err != nil {
		return "", err
	}
	req, err := b.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(key)},
		s3.WithPresignExpires(ttl))
	if err != nil {
		return "", err
	}
	return req.URL, nil
}

func (b *S3Blobs) Delete(ctx context.Context, bundle Bundle) error {
	key, err := b.key(bundle)
	if err != nil {
		return err
	}
	_, err = b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b.bucket), Key: aws.String(key)})
	return err
}

// s3Object reads an object from a position on: a ranged GET from the
// position when a read follows a seek (http.ServeContent seeks to the end
// for the size, then to the start of the range it serves).
type s3Object struct {
	ctx        context.Context
	blobs      *S3Blobs
	key, etag  string
	size, off  int64
	body       io.ReadCloser
	bodyOffset int64 // where body reads from
}

func (o *s3Object) Read(p []byte) (int, error) {
	if o.off >= o.size {
		return 0, io.EOF
	}
	if o.body != nil && o.bodyOffset != o.off {
		_ = o.body.Close()
		o.body = nil
	}
	if o.body == nil {
		out, err := o.blobs.client.GetObject(o.ctx, &s3.GetObjectInput{
			Bucket: aws.String(o.blobs.bucket), Key: aws.String(o.key), IfMatch: aws.String(o.etag),
			Range: aws.String(fmt.Sprintf("bytes=%d-", o.off)),
		})
		if err != nil {
			return 0, err
		}
		o.body, o.bodyOffset = out.Body, o.off
	}
	n, err := o.body.Read(p)
	o.off += int64(n)
	o.bodyOffset += int64(n)
	return n, err
}

func (o *s3Object) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += o.off
	case io.SeekEnd:
		offset += o.size
	}
	if offset < 0 {
		return 0, fmt.Errorf("seek to %d, before the start of %s", offset, o.key)
	}
	o.off = offset
	return offset, nil
}

func (o *s3Object) Close() error {
	if o.body == nil {
		return nil
	}
	return o.body.Close()
}
