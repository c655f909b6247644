package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3 keeps one object per artifact at artifacts/<id>/metadata.json in the
// operations guide's metadata format, so that a bucket written by the
// Lambda deployment and one written by this server read the same. Besides
// that layout it keeps two small prefixes of its own:
//
//   - index/url/<sha256 of type and url> holds the id that owns a url, so
//     that the 409 rule is one conditional PUT instead of a scan;
//   - audit/<id>/<time>-<random>.json holds one audit entry each, so that
//     concurrent writers never overwrite each other's entries.
//
// Ids are unique across restarts and concurrent writers: the sequence
// starts past the largest one in the bucket (under artifacts/ or audit/)
// and every metadata object is written with If-None-Match: *, retrying with
// the next number when another writer took the id first.
//
// S3 has no transactions, so the order of the writes is what keeps the
// audit trail whole across a crash (kill -9, power loss) at any point:
//
//   - Create claims the url, writes the CREATE entry, then the metadata
//     object. A claim whose artifact does not exist yet is a create in
//     progress for s3ClaimGrace (a concurrent create of the url gets 409),
//     and after that the leftover of a crash, which the next create takes
//     over. A
//     crash in between leaves an entry under an id that has no artifact:
//     invisible (the audit of a missing artifact is 404), removed by a
//     reset, and its id is never handed out again because OpenS3 counts the
//     ids under audit/ too. When another writer took the id first, the
//     entry is deleted before the next id is tried.
//   - Update writes the UPDATE entry first, then the metadata. A crash in
//     between leaves an UPDATE entry for an update that was not applied (and
//     whose client got no 200), never an applied update without its entry.
//   - Delete removes the metadata first, then the trail and the url claim;
//     a crash in between leaves objects that belong to no artifact, as in
//     the first case.
//   - Reset raises the generation (state/reset-generation) before it
//     deletes anything, so that a reset cut short still revokes tokens.
type S3 struct {
	client *s3.Client
	bucket string
	seq    atomic.Int64
	gen    atomic.Int64
	now    func() time.Time
}

const (
	s3ArtifactsPrefix = "artifacts/"
	s3MetadataName    = "metadata.json"
	s3IndexPrefix     = "index/url/"
	s3AuditPrefix     = "audit/"
	s3GenerationKey   = "state/reset-generation"
	// s3Parallel bounds the concurrent requests of List and Reset.
	s3Parallel = 16
	// createdAtLayout is the guide's created_at (Python's isoformat of a
	// naive UTC time).
	createdAtLayout = "2006-01-02T15:04:05"
)

// s3Document is the guide's "Metadata Format", field for field.
type s3Document struct {
	Metadata Metadata `json:"metadata"`
	Data     struct {
		URL    string           `json:"url"`
		HFData []map[string]any `json:"hf_data"`
	} `json:"data"`
	CreatedAt string `json:"created_at"`
	CreatedBy string `json:"created_by"`
	// Beyond the guide's format (readers of it ignore unknown fields):
	// the ModelRating once computed, and the async-ingest marker.
	Rating        json.RawMessage `json:"rating,omitempty"`
	PendingRating bool            `json:"pending_rating,omitempty"`
}

// MetadataKey is where the metadata of id lives.
func MetadataKey(id string) string { return s3ArtifactsPrefix + id + "/" + s3MetadataName }

// OpenS3 checks the bucket (creating it when it is missing and that is
// permitted) and reads the highest sequence number in use.
func OpenS3(ctx context.Context, client *s3.Client, bucket string) (*S3, error) {
	if bucket == "" {
		return nil, errors.New("S3_BUCKET_NAME is required when USE_S3=1")
	}
	s := &S3{client: client, bucket: bucket, now: time.Now}
	_, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if status(err) == 404 {
		in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
		// Outside us-east-1, AWS wants the region named again.
		if region := client.Options().Region; region != "" && region != "us-east-1" {
			in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(region)}
		}
		if _, cerr := client.CreateBucket(ctx, in); cerr != nil {
			return nil, fmt.Errorf("S3 bucket %s does not exist and creating it failed: %w", bucket, cerr)
		}
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("accessing S3 bucket %s: %w", bucket, err)
	}
	keys, err := s.metadataKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("accessing S3 bucket %s: listing %s: %w", bucket, s3ArtifactsPrefix, err)
	}
	for _, k := range keys {
		if n := ParseSeq(idOfKey(k)); n > s.seq.Load() {
			s.seq.Store(n)
		}
	}
	// An entry written by a Create that crashed before its metadata names
	// an id that must not be handed out again.
	audited, err := s.auditIDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("accessing S3 bucket %s: listing %s: %w", bucket, s3AuditPrefix, err)
	}
	for _, id := range audited {
		if n := ParseSeq(id); n > s.seq.Load() {
			s.seq.Store(n)
		}
	}
	b, err := s.getBytes(ctx, s3GenerationKey)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("accessing S3 bucket %s: reading %s: %w", bucket, s3GenerationKey, err)
	default:
		n, perr := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if perr != nil {
			return nil, fmt.Errorf("S3 bucket %s: %s holds %q, not a number", bucket, s3GenerationKey, b)
		}
		s.gen.Store(n)
	}
	return s, nil
}

func (s *S3) Generation() int64 { return s.gen.Load() }

// auditIDs lists the ids that have an audit/<id>/ folder.
func (s *S3) auditIDs(ctx context.Context) ([]string, error) {
	var out []string
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket), Prefix: aws.String(s3AuditPrefix), Delimiter: aws.String("/"),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, cp := range page.CommonPrefixes {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), s3AuditPrefix), "/"))
		}
	}
	return out, nil
}

// putAudit writes e as a new object of the trail of id and returns its key.
func (s *S3) putAudit(ctx context.Context, id string, e AuditEntry) (string, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return "", err
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	key := fmt.Sprintf("%s%s/%020d-%s.json", s3AuditPrefix, id, s.now().UnixNano(), hex.EncodeToString(rnd[:]))
	return key, s.put(ctx, key, b, false)
}

func (s *S3) Backend() string  { return "s3" }
func (s *S3) Describe() string { return "S3 bucket " + s.bucket }

// status is the HTTP status of an S3 error, 0 when there is none.
func status(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func isNotFound(err error) bool {
	if status(err) == 404 {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchKey" || ae.ErrorCode() == "NotFound")
}

func isPreconditionFailed(err error) bool {
	var ae smithy.APIError
	return status(err) == 412 || (errors.As(err, &ae) && ae.ErrorCode() == "PreconditionFailed")
}

func idOfKey(key string) string {
	return strings.TrimSuffix(strings.TrimPrefix(key, s3ArtifactsPrefix), "/"+s3MetadataName)
}

func urlIndexKey(typ, url string) string {
	sum := sha256.Sum256([]byte(typ + "\x00" + normURL(url)))
	return s3IndexPrefix + hex.EncodeToString(sum[:])
}

func (s *S3) put(ctx context.Context, key string, body []byte, onlyIfAbsent bool) error {
	in := &s3.PutObjectInput{
		Bucket:      aws.String(s.bucket),
		Key:         aws.String(key),
		Body:        bytes.NewReader(body),
		ContentType: aws.String("application/json"),
	}
	if onlyIfAbsent {
		in.IfNoneMatch = aws.String("*")
	}
	_, err := s.client.PutObject(ctx, in)
	return err
}

func (s *S3) getBytes(ctx context.Context, key string) ([]byte, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		if isNotFound(err) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

func (s *S3) delete(ctx context.Context, key string) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	return err
}

func encodeDocument(r Record) ([]byte, error) {
	var d s3Document
	d.Metadata = r.Metadata
	d.Data.URL = normURL(r.URL)
	d.Data.HFData = nonNilHF(r.HFData)
	d.CreatedAt = r.CreatedAt.UTC().Format(createdAtLayout)
	d.CreatedBy = r.CreatedBy
	d.Rating, d.PendingRating = r.Rating, r.PendingRating
	return json.MarshalIndent(d, "", "  ")
}

func decodeDocument(b []byte) (Record, error) {
	var d s3Document
	if err := json.Unmarshal(b, &d); err != nil {
		return Record{}, err
	}
	r := Record{Metadata: d.Metadata, URL: d.Data.URL, HFData: d.Data.HFData, CreatedBy: d.CreatedBy, Rating: d.Rating, PendingRating: d.PendingRating}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", time.RFC3339Nano} {
		if t, err := time.Parse(layout, d.CreatedAt); err == nil {
			r.CreatedAt = t.UTC()
			break
		}
	}
	return r, nil
}

// s3ClaimGrace is how long a url claim whose artifact does not exist yet
// counts as a create in progress (its metadata follows within moments)
// rather than the leftover of a create that crashed.
const s3ClaimGrace = time.Minute

// claimURL makes id the owner of typ+url, or returns ErrConflict when a
// live artifact owns it or another create of it is in progress. A stale
// claim (its artifact has another url now, or never appeared within
// s3ClaimGrace) is taken over.
func (s *S3) claimURL(ctx context.Context, typ, url, id string) error {
	key := urlIndexKey(typ, url)
	err := s.put(ctx, key, []byte(id), true)
	if err == nil || !isPreconditionFailed(err) {
		return err
	}
	var owner []byte
	var claimed time.Time
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	switch {
	case err == nil:
		owner, err = io.ReadAll(out.Body)
		_ = out.Body.Close()
		if err != nil {
			return err
		}
		claimed = aws.ToTime(out.LastModified)
	case !isNotFound(err):
		return err
	}
	if len(owner) > 0 && string(owner) != id {
		rec, err := s.Get(ctx, string(owner))
		switch {
		case err == nil && rec.Metadata.Type == typ && normURL(rec.URL) == normURL(url):
			return ErrConflict
		case errors.Is(err, ErrNotFound) && s.now().Sub(claimed) < s3ClaimGrace:
			return ErrConflict // its create writes the metadata next
		case err != nil && !errors.Is(err, ErrNotFound):
			return err
		}
	}
	return s.put(ctx, key, []byte(id), false)
}

func (s *S3) Create(ctx context.Context, r Record, e AuditEntry) (Record, error) {
	for attempt := 0; attempt < 20; attempt++ {
		r.Metadata.ID = FormatID(r.Metadata.Type, s.seq.Add(1), s.now())
		if err := s.claimURL(ctx, r.Metadata.Type, r.URL, r.Metadata.ID); err != nil {
			return Record{}, err
		}
		body, err := encodeDocument(r)
		if err != nil {
			return Record{}, err
		}
		e.Artifact = r.Metadata
		auditKey, err := s.putAudit(ctx, r.Metadata.ID, e)
		if err != nil {
			return Record{}, err
		}
		err = s.put(ctx, MetadataKey(r.Metadata.ID), body, true)
		if err == nil {
			return r, nil
		}
		if !isPreconditionFailed(err) {
			return Record{}, err
		}
		// Another writer took this id: our entry must not join its trail.
		// The url claim is ours; retry with the next id.
		if err := s.delete(ctx, auditKey); err != nil {
			return Record{}, err
		}
	}
	return Record{}, errors.New("could not allocate a unique artifact id after 20 attempts")
}

func (s *S3) Get(ctx context.Context, id string) (Record, error) {
	b, err := s.getBytes(ctx, MetadataKey(id))
	if err != nil {
		return Record{}, err
	}
	r, err := decodeDocument(b)
	if err != nil {
		return Record{}, fmt.Errorf("%s is not the guide's metadata JSON: %w", MetadataKey(id), err)
	}
	return r, nil
}

func (s *S3) Update(ctx context.Context, r Record, e AuditEntry) error {
	old, err := s.Get(ctx, r.Metadata.ID)
	if err != nil {
		return err
	}
	moved := normURL(old.URL) != normURL(r.URL)
	if moved {
		if err := s.claimURL(ctx, old.Metadata.Type, r.URL, r.Metadata.ID); err != nil {
			return err
		}
	}
	r.CreatedAt, r.CreatedBy = old.CreatedAt, old.CreatedBy
	body, err := encodeDocument(r)
	if err != nil {
		return err
	}
	if _, err := s.putAudit(ctx, r.Metadata.ID, e); err != nil {
		return err
	}
	if err := s.put(ctx, MetadataKey(r.Metadata.ID), body, false); err != nil {
		return err
	}
	if moved {
		return s.delete(ctx, urlIndexKey(old.Metadata.Type, old.URL))
	}
	return nil
}

func (s *S3) Delete(ctx context.Context, id string) error {
	r, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := s.delete(ctx, MetadataKey(id)); err != nil {
		return err
	}
	auditKeys, err := s.keys(ctx, s3AuditPrefix+id+"/")
	if err != nil {
		return err
	}
	return s.deleteAll(ctx, append(auditKeys, urlIndexKey(r.Metadata.Type, r.URL)))
}

func (s *S3) keys(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			out = append(out, aws.ToString(o.Key))
		}
	}
	return out, nil
}

func (s *S3) metadataKeys(ctx context.Context) ([]string, error) {
	all, err := s.keys(ctx, s3ArtifactsPrefix)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, k := range all {
		if strings.HasSuffix(k, "/"+s3MetadataName) && strings.Count(k, "/") == 2 {
			out = append(out, k)
		}
	}
	return out, nil
}

// forEach runs f on every key with at most s3Parallel at once and returns
// the first error.
func forEach(ctx context.Context, keys []string, f func(ctx context.Context, i int, key string) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		sem   = make(chan struct{}, s3Parallel)
	)
	for i, k := range keys {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(ctx, i, k); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

func (s *S3) deleteAll(ctx context.Context, keys []string) error {
	return forEach(ctx, keys, func(ctx context.Context, _ int, k string) error { return s.delete(ctx, k) })
}

func (s *S3) List(ctx context.Context) ([]Record, error) {
	keys, err := s.metadataKeys(ctx)
	if err != nil {
		return nil, err
	}
	recs := make([]Record, len(keys))
	found := make([]bool, len(keys))
	err = forEach(ctx, keys, func(ctx context.Context, i int, k string) error {
		r, err := s.Get(ctx, idOfKey(k))
		if errors.Is(err, ErrNotFound) {
			return nil // deleted since the listing
		}
		if err != nil {
			return err
		}
		recs[i], found[i] = r, true
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := recs[:0]
	for i, r := range recs {
		if found[i] {
			out = append(out, r)
		}
	}
	sortBySeq(out)
	return out, nil
}

func (s *S3) Reset(ctx context.Context) error {
	gen := s.gen.Load() + 1
	if b, err := s.getBytes(ctx, s3GenerationKey); err == nil {
		if n, perr := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); perr == nil && n >= gen {
			gen = n + 1 // another process reset since we opened
		}
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	if err := s.put(ctx, s3GenerationKey, []byte(strconv.FormatInt(gen, 10)), false); err != nil {
		return err
	}
	s.gen.Store(gen)
	for _, prefix := range []string{s3ArtifactsPrefix, s3IndexPrefix, s3AuditPrefix} {
		keys, err := s.keys(ctx, prefix)
		if err != nil {
			return err
		}
		if err := s.deleteAll(ctx, keys); err != nil {
			return err
		}
	}
	return nil
}

func (s *S3) AppendAudit(ctx context.Context, id string, e AuditEntry) error {
	if _, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(MetadataKey(id))}); err != nil {
		if isNotFound(err) {
			return ErrNotFound
		}
		return err
	}
	_, err := s.putAudit(ctx, id, e)
	return err
}

func (s *S3) Audit(ctx context.Context, id string) ([]AuditEntry, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	keys, err := s.keys(ctx, s3AuditPrefix+id+"/")
	if err != nil {
		return nil, err
	}
	out := make([]AuditEntry, len(keys))
	err = forEach(ctx, keys, func(ctx context.Context, i int, k string) error {
		b, err := s.getBytes(ctx, k)
		if err != nil {
			return err
		}
		return json.Unmarshal(b, &out[i])
	})
	return out, err
}

func (s *S3) Ping(ctx context.Context) error {
	_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.bucket)})
	return err
}

func (s *S3) Close() error { return nil }
