package store

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/artifact"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/s3bucket"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// S3 keeps one object per artifact at artifacts/<id>/metadata.json in the
// operations guide's metadata format, so that a bucket written by the
// Lambda deployment and one written by this server read the same. Besides
// that layout it keeps two small prefixes of its own:
//
//   - index/url/<sha256 of type and url> holds the id that owns a url, so
//     that the 409 rule is one conditional PUT instead of a scan;
//   - index/order/<020d sequence>-<id> (empty) lists the artifacts in
//     creation order, so that a page is one LIST with StartAfter and reads
//     of that page's objects only, and type filters need no reads (the type
//     is in the id);
//   - index/name/<sha256 of name>/<020d sequence>-<id> (empty) does the
//     same for the artifacts of one name (byName and named queries);
//   - audit/<id>/<time>-<random>.json holds one audit entry each, so that
//     concurrent writers never overwrite each other's entries.
//
// The bundles live in the guide's layout, artifacts/<id>/files/ (S3Blobs),
// and metadata.json names the one a record serves in data.bundle.
//
// Ids are unique across restarts and concurrent writers: the sequence
// starts past the largest one in the bucket (under artifacts/ or audit/)
// and every metadata object is written with If-None-Match: *, retrying with
// the next number when another writer took the id first.
//
// S3 has no transactions, so the order of the writes is what keeps the
// audit trail whole across a crash (kill -9, power loss) at any point, and
// conditional writes (If-None-Match, If-Match) are what keep concurrent
// writers, on any number of servers, from undoing each other:
//
//   - Create writes the CREATE entry, claims the url, then writes the
//     metadata object (If-None-Match: *), then its index entries. A claim
//     whose artifact does not exist yet but has a trail is a create in
//     progress for s3ClaimGrace (a concurrent create of the url gets 409),
//     and after that the leftover of a crash, which the next create takes
//     over; a claim whose artifact has neither metadata nor trail (it was
//     deleted) is taken over at once. A crash before the metadata leaves an
//     entry under an id that has no artifact: invisible (the audit of a
//     missing artifact is 404), removed by a reset, and its id is never
//     handed out again because OpenS3 counts the ids under audit/ too. When
//     another writer took the id first, the entry is deleted and the next
//     id tried.
//   - Update writes the UPDATE entry first, then the metadata with If-Match
//     on the version it read, so that it never brings back an artifact that
//     a concurrent Delete removed, nor silently overwrites a concurrent
//     update: on a mismatch it removes its entry and tries again on what is
//     there now (or answers not found). A crash in between leaves an UPDATE
//     entry for an update that was not applied (and whose client got no
//     200), never an applied update without its entry.
//   - Delete first marks the metadata deleted with If-Match on the version
//     it read (from then on the artifact reads as not found; a concurrent
//     update fails or was applied before), then removes the metadata, the
//     trail, the bundles, the index entries and the url claim; a crash in
//     between leaves objects that belong to no artifact, as in the first
//     case.
//   - Reset raises the generation (state/reset-generation, a conditional
//     write, so that two resets get two numbers) and marks it running
//     before it deletes anything, so that a reset cut short still revokes
//     tokens. While it runs, creates answer ErrResetting; a create that a
//     reset overlaps (the generation changed between its first and its last
//     step) erases itself and answers ErrResetting too. So a create either
//     ends before the reset begins and is erased by it, or starts after it
//     and is complete.
//
// A write whose caller is gone before it begins writes nothing; once begun,
// it is finished (or undone) even when its caller goes away, so that a
// client giving up never leaves half an artifact.
//
// The index entries of an artifact are written after its metadata object
// and removed after it, so an entry may briefly point at nothing (readers
// skip it) but an artifact is never listed before it can be read. Objects
// that another deployment wrote without index entries are indexed when a
// server opens the bucket.
type S3 struct {
	client *s3.Client
	bucket string
	seq    atomic.Int64
	gen    generationCache // the reset generation last read or written
	now    func() time.Time
	blobs  *S3Blobs
}

const (
	s3MetadataName = "metadata.json"
	s3IndexPrefix  = "index/"
	s3URLPrefix    = s3IndexPrefix + "url/"
	s3OrderPrefix  = s3IndexPrefix + "order/"
	s3NamePrefix   = s3IndexPrefix + "name/"
	// s3MaxKeys is the most keys one LIST answers (S3's own limit).
	s3MaxKeys       = 1000
	s3AuditPrefix   = "audit/"
	s3GenerationKey = "state/reset-generation"
	// s3ResetRunningMeta is the user metadata of the generation object
	// while a reset runs: when it began. A reset cut short (its process
	// killed) stops counting as running after s3ResetStale, or when the
	// next reset ends.
	s3ResetRunningMeta = "reset-running"
	s3ResetStale       = 5 * time.Minute
	// s3UpdateAttempts bounds the retries of an Update that concurrent
	// updates of the same artifact keep overtaking.
	s3UpdateAttempts = 8
	// s3Parallel bounds the concurrent requests of List and Reset.
	s3Parallel = 16
	// createdAtLayout is the guide's created_at (Python's isoformat of a
	// naive UTC time).
	createdAtLayout = "2006-01-02T15:04:05"
)

// s3Document is the guide's "Metadata Format", field for field.
type s3Document struct {
	Metadata wire.ArtifactMetadata `json:"metadata"`
	Data     struct {
		URL    string           `json:"url"`
		HFData []map[string]any `json:"hf_data"`
		// Beyond the guide's format: the stored bundle, or why none is.
		Bundle          *Bundle `json:"bundle,omitempty"`
		BundleNotStored string  `json:"bundle_not_stored,omitempty"`
	} `json:"data"`
	CreatedAt string `json:"created_at"`
	CreatedBy string `json:"created_by"`
	// Beyond the guide's format (readers of it ignore unknown fields):
	// the ModelRating once computed, the async-ingest marker, and the mark
	// of a Delete in progress (the artifact reads as not found).
	Rating        json.RawMessage `json:"rating,omitempty"`
	IngestPending bool            `json:"pending_rating,omitempty"`
	Deleted       bool            `json:"deleted,omitempty"`
}

// MetadataKey is where the metadata of id lives.
func MetadataKey(id string) string { return s3bucket.ArtifactsPrefix + id + "/" + s3MetadataName }

// OpenS3 checks the bucket (creating it when it is missing and that is
// permitted) and reads the highest sequence number in use.
func OpenS3(ctx context.Context, client *s3.Client, bucket string) (*S3, error) {
	if bucket == "" {
		return nil, errors.New("S3_BUCKET_NAME is required when USE_S3=1")
	}
	s := &S3{client: client, bucket: bucket, now: time.Now, gen: generationCache{now: time.Now}}
	s.blobs = newS3Blobs(client, bucket, s.now)
	if err := s3bucket.New(client, bucket).Ensure(ctx); err != nil {
		return nil, fmt.Errorf("accessing S3 bucket %s: %w", bucket, err)
	}
	keys, err := s.metadataKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("accessing S3 bucket %s: listing %s: %w", bucket, s3bucket.ArtifactsPrefix, err)
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
	if _, err := s.readReset(ctx); err != nil {
		return nil, fmt.Errorf("accessing S3 bucket %s: reading %s: %w", bucket, s3GenerationKey, err)
	}
	if err := s.indexMissing(ctx, keys); err != nil {
		return nil, fmt.Errorf("accessing S3 bucket %s: indexing artifacts written without index entries: %w", bucket, err)
	}
	return s, nil
}

// indexMissing writes the index entries of the artifacts (metadata keys)
// that have none: objects written by another deployment, or by a server
// that stopped between an artifact's metadata and its index entries.
func (s *S3) indexMissing(ctx context.Context, metadataKeys []string) error {
	indexed, err := s.keys(ctx, s3OrderPrefix)
	if err != nil {
		return err
	}
	have := make(map[string]bool, len(indexed))
	for _, k := range indexed {
		have[idOfIndexKey(s3OrderPrefix, k)] = true
	}
	var missing []string
	for _, k := range metadataKeys {
		if id := idOfKey(k); !have[id] && artifact.ValidID(id) {
			missing = append(missing, id)
		}
	}
	return forEach(ctx, missing, func(ctx context.Context, _ int, id string) error {
		r, err := s.Get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return nil // deleted meanwhile
		}
		if err != nil {
			return err
		}
		r.Metadata.ID = wire.ID(id)
		return s.putIndex(ctx, r.Metadata)
	})
}

func (s *S3) Generation(ctx context.Context, maxAge time.Duration) (int64, error) {
	return s.gen.get(maxAge, func() (int64, error) {
		st, err := s.readReset(context.WithoutCancel(ctx))
		return st.gen, err
	})
}

// resetState is what the generation object says: how many resets there
// were, and whether one is running.
type resetState struct {
	gen     int64
	running bool
	etag    string // "" when the object does not exist yet
}

// readReset reads the generation object and remembers the generation.
func (s *S3) readReset(ctx context.Context) (resetState, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s3GenerationKey)})
	if s3bucket.IsNotFound(err) {
		s.gen.note(0)
		return resetState{}, nil
	}
	if err != nil {
		return resetState{}, err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return resetState{}, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return resetState{}, fmt.Errorf("%s holds %q, not a number", s3GenerationKey, b)
	}
	st := resetState{gen: n, etag: aws.ToString(out.ETag)}
	if began, err := time.Parse(time.RFC3339Nano, out.Metadata[s3ResetRunningMeta]); err == nil {
		st.running = s.now().Sub(began) < s3ResetStale
	}
	s.gen.note(n)
	return st, nil
}

// writeReset writes the generation object: gen, marked running or not,
// replacing the version etag ("" = only if there is none). It returns the
// new version's ETag.
func (s *S3) writeReset(ctx context.Context, gen int64, running bool, etag string) (string, error) {
	in := &s3.PutObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(s3GenerationKey),
		Body: strings.NewReader(strconv.FormatInt(gen, 10)), ContentType: aws.String("text/plain"),
	}
	if running {
		in.Metadata = map[string]string{s3ResetRunningMeta: s.now().UTC().Format(time.RFC3339Nano)}
	}
	if etag == "" {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(etag)
	}
	out, err := s.client.PutObject(ctx, in)
	if err != nil {
		return "", err
	}
	s.gen.note(gen)
	return aws.ToString(out.ETag), nil
}

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
func (s *S3) putAudit(ctx context.Context, id string, e wire.ArtifactAuditEntry) (string, error) {
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

func idOfKey(key string) string {
	return strings.TrimSuffix(strings.TrimPrefix(key, s3bucket.ArtifactsPrefix), "/"+s3MetadataName)
}

func urlIndexKey(typ, url string) string {
	sum := sha256.Sum256([]byte(typ + "\x00" + normURL(url)))
	return s3URLPrefix + hex.EncodeToString(sum[:])
}

func namePrefix(name string) string {
	sum := sha256.Sum256([]byte(name))
	return s3NamePrefix + hex.EncodeToString(sum[:]) + "/"
}

func orderIndexKey(id string) string      { return s3OrderPrefix + orderKey(id) }
func nameIndexKey(name, id string) string { return namePrefix(name) + orderKey(id) }
func indexKeys(m wire.ArtifactMetadata) []string {
	return []string{orderIndexKey(string(m.ID)), nameIndexKey(m.Name, string(m.ID))}
}
func idOfIndexKey(prefix, key string) string { return strings.TrimPrefix(key, prefix)[21:] }

// putIndex writes the order and name index entries of m.
func (s *S3) putIndex(ctx context.Context, m wire.ArtifactMetadata) error {
	return forEach(ctx, indexKeys(m), func(ctx context.Context, _ int, k string) error { return s.put(ctx, k, nil, false) })
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
		if s3bucket.IsNotFound(err) {
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

func encodeDocument(r Record) ([]byte, error) { return json.MarshalIndent(toDocument(r), "", "  ") }

func toDocument(r Record) s3Document {
	var d s3Document
	d.Metadata = r.Metadata
	d.Data.URL = strings.TrimSpace(r.URL)
	d.Data.HFData = nonNilHF(r.HFData)
	d.CreatedAt = r.CreatedAt.UTC().Format(createdAtLayout)
	d.CreatedBy = r.CreatedBy
	d.Rating, d.IngestPending = r.Rating, r.IngestPending
	d.Data.Bundle, d.Data.BundleNotStored = r.Bundle, r.BundleNotStored
	return d
}

// decodeDocument reads a metadata object; ErrNotFound when it is marked
// deleted.
func decodeDocument(b []byte) (Record, error) {
	var d s3Document
	if err := json.Unmarshal(b, &d); err != nil {
		return Record{}, err
	}
	if d.Deleted {
		return Record{}, ErrNotFound
	}
	r := Record{
		Metadata: d.Metadata, URL: d.Data.URL, HFData: d.Data.HFData, CreatedBy: d.CreatedBy, Rating: d.Rating, IngestPending: d.IngestPending,
		Bundle: d.Data.Bundle, BundleNotStored: d.Data.BundleNotStored,
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", time.RFC3339Nano} {
		if t, err := time.Parse(layout, d.CreatedAt); err == nil {
			r.CreatedAt = t.UTC()
			break
		}
	}
	return r, nil
}

// s3ClaimGrace is how long a url claim whose artifact does not exist yet
// (but has a trail) counts as a create in progress (its metadata follows
// within moments, on any replica), or a claim whose artifact has another
// url as an update in progress, rather than the leftover of a crash.
const s3ClaimGrace = time.Minute

// claimURL makes id the owner of typ+url, or returns ErrConflict when
// another artifact owns it; ownEntry is the audit entry the caller wrote
// under id ("" for none), which says nothing about another writer's. A claim is live while its artifact has that
// type and url, and for s3ClaimGrace after it was written while its
// artifact is on its way (its trail exists) or moving to that url. A stale
// claim is taken over with If-Match, so that of two writers taking over the
// same claim one wins.
func (s *S3) claimURL(ctx context.Context, typ, url, id, ownEntry string) error {
	key := urlIndexKey(typ, url)
	for range 3 {
		err := s.put(ctx, key, []byte(id), true)
		if err == nil || !s3bucket.IsPreconditionFailed(err) {
			return err
		}
		out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
		if s3bucket.IsNotFound(err) {
			continue // released meanwhile
		}
		if err != nil {
			return err
		}
		owner, err := io.ReadAll(out.Body)
		_ = out.Body.Close()
		if err != nil {
			return err
		}
		live, err := s.claimLive(ctx, string(owner), typ, url, ownEntry, aws.ToTime(out.LastModified))
		if err != nil || live {
			return cmp.Or(err, ErrConflict)
		}
		_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(s.bucket), Key: aws.String(key), Body: strings.NewReader(id),
			ContentType: aws.String("application/json"), IfMatch: out.ETag,
		})
		if err == nil || !s3bucket.IsPreconditionFailed(err) {
			return err
		}
		// Another writer took the stale claim over first: look again.
	}
	return ErrConflict
}

// claimLive reports whether the claim of typ+url by owner, written at
// written, still holds (see claimURL).
func (s *S3) claimLive(ctx context.Context, owner, typ, url, ownEntry string, written time.Time) (bool, error) {
	// Even an owner with our id is another writer's: two replicas may
	// allocate the same id, and the metadata write decides between them.
	rec, err := s.Get(ctx, owner)
	switch {
	case err == nil && rec.Metadata.Type == typ && normURL(rec.URL) == normURL(url):
		return true, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return false, err
	case s.now().Sub(written) >= s3ClaimGrace:
		return false, nil
	case err == nil:
		return true, nil // an update moving its artifact to url
	}
	// No artifact: a create on its way has written its trail already; a
	// deleted artifact has none left.
	out, err := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket), Prefix: aws.String(s3AuditPrefix + owner + "/"), MaxKeys: aws.Int32(2),
	})
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(out.Contents, func(o types.Object) bool { return aws.ToString(o.Key) != ownEntry }), nil
}

// Create refuses to start while a reset runs, and undoes itself when a
// reset began before it ended (see S3).
func (s *S3) Create(ctx context.Context, r Record, e wire.ArtifactAuditEntry) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	ctx = context.WithoutCancel(ctx)
	before, err := s.readReset(ctx)
	if err != nil {
		return Record{}, err
	}
	if before.running {
		return Record{}, ErrResetting
	}
	r, err = s.create(ctx, r, e)
	if err != nil {
		return Record{}, err
	}
	after, err := s.readReset(ctx)
	if err == nil && after.gen == before.gen && !after.running {
		return r, nil
	}
	// A reset may have erased part of it: erase the rest.
	return Record{}, errors.Join(cmp.Or(err, ErrResetting), s.remove(ctx, r))
}

// create writes the entry, the claim, the metadata and the index entries
// of a new artifact (see S3).
func (s *S3) create(ctx context.Context, r Record, e wire.ArtifactAuditEntry) (Record, error) {
	claimed, prevAudit := false, ""
	// fail undoes what this create wrote and returns err.
	fail := func(err error, auditKey string) (Record, error) {
		undo := []string{auditKey}
		if claimed {
			undo = append(undo, urlIndexKey(r.Metadata.Type, r.URL))
		}
		return Record{}, errors.Join(err, s.deleteAll(ctx, slices.DeleteFunc(undo, func(k string) bool { return k == "" })))
	}
	for range 20 {
		r.Metadata.ID = wire.ID(FormatID(r.Metadata.Type, s.seq.Add(1), s.now()))
		body, err := encodeDocument(r)
		if err != nil {
			return fail(err, prevAudit)
		}
		e.Artifact = r.Metadata
		auditKey, err := s.putAudit(ctx, r.ID(), e)
		if err != nil {
			return fail(err, prevAudit)
		}
		if !claimed {
			if err := s.claimURL(ctx, r.Metadata.Type, r.URL, r.ID(), auditKey); err != nil {
				return fail(err, auditKey)
			}
			claimed = true
		} else if err := s.put(ctx, urlIndexKey(r.Metadata.Type, r.URL), []byte(r.Metadata.ID), false); err != nil {
			// The claim is ours and names the next id now.
			return fail(errors.Join(err, s.delete(ctx, auditKey)), prevAudit)
		}
		if prevAudit != "" {
			// Another writer's id: our entry must not join its trail.
			if err := s.delete(ctx, prevAudit); err != nil {
				return fail(err, auditKey)
			}
		}
		err = s.put(ctx, MetadataKey(r.ID()), body, true)
		if err == nil {
			return r, s.putIndex(ctx, r.Metadata)
		}
		if !s3bucket.IsPreconditionFailed(err) {
			return fail(err, auditKey)
		}
		prevAudit = auditKey
	}
	return fail(errors.New("could not allocate a unique artifact id after 20 attempts"), prevAudit)
}

func (s *S3) Get(ctx context.Context, id string) (Record, error) {
	r, _, err := s.getTagged(ctx, id)
	return r, err
}

// getTagged reads id and the ETag of the version read.
func (s *S3) getTagged(ctx context.Context, id string) (Record, *string, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(MetadataKey(id))})
	if err != nil {
		if s3bucket.IsNotFound(err) {
			return Record{}, nil, ErrNotFound
		}
		return Record{}, nil, err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return Record{}, nil, err
	}
	r, err := decodeDocument(b)
	switch {
	case errors.Is(err, ErrNotFound):
		return Record{}, nil, err
	case err != nil:
		return Record{}, nil, fmt.Errorf("%s is not the guide's metadata JSON: %w", MetadataKey(id), err)
	}
	return r, out.ETag, nil
}

func (s *S3) Update(ctx context.Context, r Record, e *wire.ArtifactAuditEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	claimed := false
	// fail releases the url this update claimed and returns err.
	fail := func(err error) error {
		if claimed {
			err = errors.Join(err, s.delete(ctx, urlIndexKey(r.Metadata.Type, r.URL)))
		}
		return err
	}
	for range s3UpdateAttempts {
		old, etag, err := s.getTagged(ctx, r.ID())
		if err != nil {
			return fail(err)
		}
		r.Metadata.Type = old.Metadata.Type
		moved := normURL(old.URL) != normURL(r.URL)
		if moved && !claimed {
			if err := s.claimURL(ctx, r.Metadata.Type, r.URL, r.ID(), ""); err != nil {
				return err
			}
			claimed = true
		}
		r.CreatedAt, r.CreatedBy = old.CreatedAt, old.CreatedBy
		body, err := encodeDocument(r)
		if err != nil {
			return fail(err)
		}
		var auditKey string
		if e != nil {
			if auditKey, err = s.putAudit(ctx, r.ID(), *e); err != nil {
				return fail(err)
			}
		}
		_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(s.bucket), Key: aws.String(MetadataKey(r.ID())), Body: bytes.NewReader(body),
			ContentType: aws.String("application/json"), IfMatch: etag,
		})
		if err == nil {
			var stale []string
			if moved {
				stale = append(stale, urlIndexKey(old.Metadata.Type, old.URL))
			}
			if renamed := old.Metadata.Name != r.Metadata.Name; renamed {
				if err := s.put(ctx, nameIndexKey(r.Metadata.Name, r.ID()), nil, false); err != nil {
					return err
				}
				stale = append(stale, nameIndexKey(old.Metadata.Name, r.ID()))
			}
			return s.deleteAll(ctx, stale)
		}
		// Deleted or changed since it was read: this entry belongs to no
		// applied update.
		var derr error
		if auditKey != "" {
			derr = s.delete(ctx, auditKey)
		}
		if derr != nil || !s3bucket.IsPreconditionFailed(err) && !s3bucket.IsNotFound(err) {
			return fail(errors.Join(err, derr))
		}
	}
	return fail(fmt.Errorf("artifact %s changed under %d concurrent updates in a row", r.Metadata.ID, s3UpdateAttempts))
}

func (s *S3) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	for attempt := 0; ; attempt++ {
		r, etag, err := s.getTagged(ctx, id)
		if err != nil {
			return err
		}
		// Marked deleted first, with a conditional write: a concurrent
		// update then lands before it (and is deleted with it) or fails,
		// also on S3-compatible servers (versitygw) that serialise
		// conditional writes with each other but not with deletes.
		d := toDocument(r)
		d.Deleted = true
		body, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return err
		}
		_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(s.bucket), Key: aws.String(MetadataKey(id)), Body: bytes.NewReader(body),
			ContentType: aws.String("application/json"), IfMatch: etag,
		})
		if err == nil {
			r.Metadata.ID = wire.ID(id)
			return s.remove(ctx, r)
		}
		if !s3bucket.IsPreconditionFailed(err) && !s3bucket.IsNotFound(err) || attempt == s3UpdateAttempts {
			return err
		}
		// Updated or deleted meanwhile: delete what is there now.
	}
}

// remove deletes r's metadata, then its trail, its bundles (also one
// written for it that no record names yet), its index entries and its url
// claim. A url that a concurrent update claimed for it is left to
// claimURL, which takes over a claim without artifact or trail at once.
func (s *S3) remove(ctx context.Context, r Record) error {
	if err := s.delete(ctx, MetadataKey(r.ID())); err != nil {
		return err
	}
	auditKeys, err := s.keys(ctx, string(s3AuditPrefix+r.Metadata.ID+"/"))
	if err != nil {
		return err
	}
	files, err := s.keys(ctx, filesPrefix(r.ID()))
	if err != nil {
		return err
	}
	return s.deleteAll(ctx, slices.Concat(auditKeys, files, indexKeys(r.Metadata), []string{urlIndexKey(r.Metadata.Type, r.URL)}))
}

func (s *S3) RefreshBundle(ctx context.Context, id string, b Bundle) error {
	for range s3UpdateAttempts {
		r, etag, err := s.getTagged(ctx, id)
		if err != nil {
			return err
		}
		if r.Bundle == nil || r.Bundle.Key != b.Key {
			return ErrNotFound
		}
		r.Bundle = &b
		body, err := encodeDocument(r)
		if err != nil {
			return err
		}
		_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(s.bucket), Key: aws.String(MetadataKey(id)), Body: bytes.NewReader(body),
			ContentType: aws.String("application/json"), IfMatch: etag,
		})
		if err == nil || !s3bucket.IsPreconditionFailed(err) {
			return err
		}
		// Changed since it was read: look again.
	}
	return fmt.Errorf("artifact %s changed under %d concurrent updates in a row", id, s3UpdateAttempts)
}

func (s *S3) Blobs() Blobs { return s.blobs }

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

// isMetadataKey reports whether key is an artifacts/<id>/metadata.json key.
func isMetadataKey(key string) bool {
	return strings.HasSuffix(key, "/"+s3MetadataName) && strings.Count(key, "/") == 2
}

func (s *S3) metadataKeys(ctx context.Context) ([]string, error) {
	all, err := s.keys(ctx, s3bucket.ArtifactsPrefix)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(k string) bool { return !isMetadataKey(k) }), nil
}

// forEach runs f on every key with at most s3Parallel at once and returns
// the first error, or ctx's when it ended first.
func forEach(ctx context.Context, keys []string, f func(ctx context.Context, i int, key string) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s3Parallel)
	for i, k := range keys {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return f(gctx, i, k) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

func (s *S3) deleteAll(ctx context.Context, keys []string) error {
	return forEach(ctx, keys, func(ctx context.Context, _ int, k string) error { return s.delete(ctx, k) })
}

// indexIDs lists the ids under an index prefix in creation order, from
// after the order key start, keeping those keep accepts, until it has
// want+1 of them (want <= 0: all). It reports whether there were more than
// want. One LIST answers a page: MaxKeys is want+1.
func (s *S3) indexIDs(ctx context.Context, prefix, start string, want int, keep func(id string) bool) ([]string, bool, error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix), MaxKeys: aws.Int32(s3MaxKeys)}
	if want > 0 && want < s3MaxKeys {
		in.MaxKeys = aws.Int32(int32(want + 1))
	}
	if start != "" {
		in.StartAfter = aws.String(prefix + start)
	}
	var ids []string
	for {
		page, err := s.client.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, false, err
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			if len(k) < len(prefix)+21 {
				continue // not an index entry of ours
			}
			id := idOfIndexKey(prefix, k)
			if !keep(id) {
				continue
			}
			if want > 0 && len(ids) == want {
				return ids, true, nil
			}
			ids = append(ids, id)
		}
		if !aws.ToBool(page.IsTruncated) {
			return ids, false, nil
		}
		in.StartAfter, in.ContinuationToken = nil, page.NextContinuationToken
	}
}

// candidates lists the ids that may match q after start, in creation
// order: from the name index when every term names a name, else from the
// order index, filtered by the type in the id.
func (s *S3) candidates(ctx context.Context, q Query, start string, want int) ([]string, bool, error) {
	names := q.names()
	if names == nil {
		return s.indexIDs(ctx, s3OrderPrefix, start, want, func(id string) bool { return q.couldMatchType(TypeOfID(id)) })
	}
	var (
		all  []string
		more bool
	)
	for _, name := range names {
		var terms Query
		for _, t := range q {
			if t.Name == name {
				terms = append(terms, t)
			}
		}
		ids, m, err := s.indexIDs(ctx, namePrefix(name), start, want, func(id string) bool { return terms.couldMatchType(TypeOfID(id)) })
		if err != nil {
			return nil, false, err
		}
		all, more = append(all, ids...), more || m
	}
	slices.SortFunc(all, CompareCreation)
	all = slices.Compact(all)
	if want > 0 && len(all) > want {
		return all[:want], true, nil
	}
	return all, more, nil
}

// Page lists the page's ids and reads only their objects (at most limit
// reads). A page may come out shorter than limit when an index entry is
// stale (its artifact was deleted since); next still says where to go on.
func (s *S3) Page(ctx context.Context, q Query, after string, limit int) ([]Record, string, error) {
	start := ""
	if after != "" {
		start = orderKey(after)
	}
	ids, more, err := s.candidates(ctx, q, start, limit)
	if err != nil {
		return nil, "", err
	}
	recs := make([]Record, len(ids))
	found := make([]bool, len(ids))
	err = forEach(ctx, ids, func(ctx context.Context, i int, id string) error {
		r, err := s.Get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return nil // deleted since the listing
		}
		if err != nil {
			return err
		}
		r.Metadata.ID = wire.ID(id)
		recs[i], found[i] = r, q.Match(r.Metadata)
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	out := recs[:0]
	for i, r := range recs {
		if found[i] {
			out = append(out, r)
		}
	}
	next := ""
	if more {
		next = ids[len(ids)-1]
	}
	return out, next, nil
}

// Skip counts index entries: LIST calls only, no object reads.
func (s *S3) Skip(ctx context.Context, q Query, n int) (string, bool, error) {
	ids, _, err := s.candidates(ctx, q, "", n)
	if err != nil || len(ids) < n {
		return "", false, err
	}
	return ids[n-1], true, nil
}

// Count counts index entries: LIST calls only, no object reads, and no more
// than atMost of each part of the query.
func (s *S3) Count(ctx context.Context, q Query, atMost int) (int, error) {
	var anyName, named Query
	for _, t := range q {
		if t.Name == "*" {
			anyName = append(anyName, t)
		} else {
			named = append(named, t)
		}
	}
	seen := map[string]bool{}
	for _, part := range []Query{anyName, named} {
		if len(part) == 0 {
			continue
		}
		ids, _, err := s.candidates(ctx, part, "", atMost)
		if err != nil {
			return 0, err
		}
		for _, id := range ids {
			seen[id] = true
		}
	}
	if atMost > 0 {
		return min(len(seen), atMost), nil
	}
	return len(seen), nil
}

// Each reads the bucket one LIST page at a time, so that a search stops
// early when f or ctx says so.
func (s *S3) Each(ctx context.Context, f func(Record) bool) error {
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(s3bucket.ArtifactsPrefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		var ids []string
		for _, o := range page.Contents {
			if k := aws.ToString(o.Key); isMetadataKey(k) {
				ids = append(ids, idOfKey(k))
			}
		}
		recs := make([]Record, len(ids))
		found := make([]bool, len(ids))
		err = forEach(ctx, ids, func(ctx context.Context, i int, id string) error {
			r, err := s.Get(ctx, id)
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			recs[i], found[i] = r, err == nil
			return err
		})
		if err != nil {
			return err
		}
		for i, r := range recs {
			if found[i] && !f(r) {
				return nil
			}
		}
	}
	return nil
}

func (s *S3) Reset(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	var (
		gen  int64
		etag string
	)
	for attempt := 0; ; attempt++ {
		cur, err := s.readReset(ctx)
		if err != nil {
			return err
		}
		gen = cur.gen + 1
		etag, err = s.writeReset(ctx, gen, true, cur.etag)
		if err == nil {
			break
		}
		if !s3bucket.IsPreconditionFailed(err) || attempt == 20 {
			return err
		}
		// Another reset raised it first: raise it past that one.
	}
	err := s.deleteStoredRetrying(ctx)
	// This reset deletes nothing more, even when it failed: clear the mark,
	// unless a later reset has taken the object over meanwhile (it clears
	// the mark when it ends).
	if _, cerr := s.writeReset(ctx, gen, false, etag); cerr != nil && !s3bucket.IsPreconditionFailed(cerr) {
		err = errors.Join(err, cerr)
	}
	return err
}

// deleteStoredRetrying runs deleteStored again when a pass fails: deleting
// is idempotent, and a pass can fail for a moment while creates write beside
// it (a file-system-backed S3 server listing a folder that a concurrent
// write changes), which must not fail the reset.
func (s *S3) deleteStoredRetrying(ctx context.Context) error {
	const passes = 3
	var err error
	for pass := range passes {
		if pass > 0 {
			time.Sleep(time.Duration(pass) * 100 * time.Millisecond)
		}
		if err = s.deleteStored(ctx); err == nil {
			return nil
		}
	}
	return err
}

// deleteStored deletes the artifacts, the index and the audit trails.
func (s *S3) deleteStored(ctx context.Context) error {
	for _, prefix := range []string{s3bucket.ArtifactsPrefix, s3IndexPrefix, s3AuditPrefix} {
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

func (s *S3) AppendAudit(ctx context.Context, id string, e wire.ArtifactAuditEntry) error {
	if _, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(MetadataKey(id))}); err != nil {
		if s3bucket.IsNotFound(err) {
			return ErrNotFound
		}
		return err
	}
	key, err := s.putAudit(ctx, id, e)
	if err != nil {
		return err
	}
	// Deleted meanwhile: the entry must not outlive it.
	if _, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(MetadataKey(id))}); s3bucket.IsNotFound(err) {
		return errors.Join(ErrNotFound, s.delete(ctx, key))
	}
	return nil
}

func (s *S3) Audit(ctx context.Context, id string) ([]wire.ArtifactAuditEntry, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	keys, err := s.keys(ctx, s3AuditPrefix+id+"/")
	if err != nil {
		return nil, err
	}
	out := make([]wire.ArtifactAuditEntry, len(keys))
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
