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
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
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
// Ids are unique across restarts and concurrent writers: the sequence
// starts past the largest one in the bucket (under artifacts/ or audit/)
// and every metadata object is written with If-None-Match: *, retrying with
// the next number when another writer took the id first.
//
// S3 has no transactions, so the order of the writes is what keeps the
// audit trail whole across a crash (kill -9, power loss) at any point:
//
//   - Create claims the url, writes the CREATE entry, then the metadata
//     object, then its index entries. A claim whose artifact does not exist yet is a create in
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
	gen    atomic.Int64
	now    func() time.Time
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
	} `json:"data"`
	CreatedAt string `json:"created_at"`
	CreatedBy string `json:"created_by"`
	// Beyond the guide's format (readers of it ignore unknown fields):
	// the ModelRating once computed, and the async-ingest marker.
	Rating        json.RawMessage `json:"rating,omitempty"`
	PendingRating bool            `json:"pending_rating,omitempty"`
}

// MetadataKey is where the metadata of id lives.
func MetadataKey(id string) string { return s3bucket.ArtifactsPrefix + id + "/" + s3MetadataName }

// OpenS3 checks the bucket (creating it when it is missing and that is
// permitted) and reads the highest sequence number in use.
func OpenS3(ctx context.Context, client *s3.Client, bucket string) (*S3, error) {
	if bucket == "" {
		return nil, errors.New("S3_BUCKET_NAME is required when USE_S3=1")
	}
	s := &S3{client: client, bucket: bucket, now: time.Now}
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
// counts as a create in progress (its metadata follows within moments, on
// any replica) rather than the leftover of a create that crashed.
const s3ClaimGrace = time.Minute

// claimURL makes id the owner of typ+url, or returns ErrConflict when
// another artifact owns it. A claim is live while its artifact has that
// type and url, and for s3ClaimGrace after it was written (the artifact may
// be on its way, written by another replica). A stale claim (its artifact
// is gone or has another url now) is taken over with If-Match, so that of
// two writers taking over the same claim one wins.
func (s *S3) claimURL(ctx context.Context, typ, url, id string) error {
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
		// Even an owner with our id is another writer's: two replicas may
		// allocate the same id, and the metadata write decides between them.
		rec, err := s.Get(ctx, string(owner))
		switch {
		case err == nil && rec.Metadata.Type == typ && normURL(rec.URL) == normURL(url):
			return ErrConflict
		case err != nil && !errors.Is(err, ErrNotFound):
			return err
		case out.LastModified != nil && s.now().Sub(*out.LastModified) < s3ClaimGrace:
			return ErrConflict // its artifact is being written
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

func (s *S3) Create(ctx context.Context, r Record, e wire.ArtifactAuditEntry) (Record, error) {
	r.Metadata.ID = wire.ID(FormatID(r.Metadata.Type, s.seq.Add(1), s.now()))
	if err := s.claimURL(ctx, r.Metadata.Type, r.URL, r.ID()); err != nil {
		return Record{}, err
	}
	for attempt := 0; attempt < 20; attempt++ {
		if attempt > 0 {
			// Another writer took the id; the claim is ours and names the
			// next one.
			r.Metadata.ID = wire.ID(FormatID(r.Metadata.Type, s.seq.Add(1), s.now()))
			if err := s.put(ctx, urlIndexKey(r.Metadata.Type, r.URL), []byte(r.Metadata.ID), false); err != nil {
				return Record{}, s.releaseClaim(r, err)
			}
		}
		body, err := encodeDocument(r)
		if err != nil {
			return Record{}, s.releaseClaim(r, err)
		}
		e.Artifact = r.Metadata
		auditKey, err := s.putAudit(ctx, r.ID(), e)
		if err != nil {
			return Record{}, s.releaseClaim(r, err)
		}
		err = s.put(ctx, MetadataKey(r.ID()), body, true)
		if err == nil {
			return r, s.putIndex(ctx, r.Metadata)
		}
		if !s3bucket.IsPreconditionFailed(err) {
			return Record{}, s.releaseClaim(r, err)
		}
		// Another writer took this id: our entry must not join its trail.
		// The url claim is ours; retry with the next id.
		if err := s.delete(ctx, auditKey); err != nil {
			return Record{}, err
		}
	}
	return Record{}, s.releaseClaim(r, errors.New("could not allocate a unique artifact id after 20 attempts"))
}

// releaseClaim frees the url of a create that failed after claiming it, so
// that a retry is not refused for s3ClaimGrace, and returns err.
func (s *S3) releaseClaim(r Record, err error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = s.delete(ctx, urlIndexKey(r.Metadata.Type, r.URL))
	return err
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

func (s *S3) Update(ctx context.Context, r Record, e wire.ArtifactAuditEntry) error {
	old, err := s.Get(ctx, r.ID())
	if err != nil {
		return err
	}
	moved := normURL(old.URL) != normURL(r.URL)
	if moved {
		if err := s.claimURL(ctx, old.Metadata.Type, r.URL, r.ID()); err != nil {
			return err
		}
	}
	r.CreatedAt, r.CreatedBy = old.CreatedAt, old.CreatedBy
	body, err := encodeDocument(r)
	if err != nil {
		return err
	}
	if _, err := s.putAudit(ctx, r.ID(), e); err != nil {
		return err
	}
	if err := s.put(ctx, MetadataKey(r.ID()), body, false); err != nil {
		return err
	}
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
	r.Metadata.ID = wire.ID(id)
	return s.deleteAll(ctx, append(auditKeys, append(indexKeys(r.Metadata), urlIndexKey(r.Metadata.Type, r.URL))...))
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
	_, err := s.putAudit(ctx, id, e)
	return err
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
