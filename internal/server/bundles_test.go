package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// storeBundle gives artifact id of st the bundle data, as an ingest does
// (Blobs.Put, then the record names it).
func storeBundle(t *testing.T, st store.Store, id string, data []byte) store.Bundle {
	t.Helper()
	ctx := context.Background()
	rec, err := st.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.Blobs().Put(ctx, id, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	rec.Bundle, rec.BundleNotStored = &b, ""
	if err := st.Update(ctx, rec, nil); err != nil {
		t.Fatal(err)
	}
	return b
}

// bundleBytes is n bytes that differ from offset to offset, starting
// from seed.
func bundleBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*31+i/256)
	}
	return b
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// getArtifact reads the artifact and checks its data.bundle.
func (h *harness) bundleOf(tok, typ, id string) *wire.ArtifactBundle {
	h.t.Helper()
	res := h.do(http.MethodGet, "/artifacts/"+typ+"/"+id, nil, tok)
	if res.status != http.StatusOK {
		h.t.Fatalf("GET %s: %d %s", id, res.status, res.body)
	}
	var a wire.Artifact
	res.decode(h.t, &a)
	return a.Data.Bundle
}

// download GETs /download/id with extra headers, without following a
// redirect.
func (h *harness) download(tok, id string, header ...string) *http.Response {
	h.t.Helper()
	req := newRequest(h.t, http.MethodGet, "/download/"+id, "")
	req.Header.Set("X-Authorization", tok)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return serveRecorder(h, req).Result()
}

func readBody(t *testing.T, res *http.Response) []byte {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// On memory and SQLite the server serves the bundle itself: the bytes
// stored, with Content-Length, Repr-Digest, an ETag of the digest, Range
// and conditional requests; GET reports the same digest and size; every
// download is audited; and a delete removes the bundle.
func TestDownloadServesStoredBundle(t *testing.T) {
	for _, backend := range []string{"memory", "sqlite"} {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, newLocation(t, backend))
			tok := h.login(defaultadmin.Name, adminPassword)
			id := string(h.create(tok, "model", "https://huggingface.co/org/served").Metadata.ID)
			data := bundleBytes(100_000, 1)
			b := storeBundle(t, h.st, id, data)

			got := h.bundleOf(tok, "model", id)
			if got == nil || got.Sha256 != sha256Hex(data) || got.SizeBytes != int64(len(data)) || !got.StoredAt.Equal(b.StoredAt.Truncate(time.Second)) && !got.StoredAt.Equal(b.StoredAt) {
				t.Fatalf("data.bundle = %+v, want sha256 %s, size %d, stored_at %s", got, sha256Hex(data), len(data), b.StoredAt)
			}

			res := h.download(tok, id)
			body := readBody(t, res)
			sum := sha256.Sum256(data)
			if res.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
				t.Fatalf("download: %d, %d bytes, want 200 and the %d stored", res.StatusCode, len(body), len(data))
			}
			for name, want := range map[string]string{
				"Content-Length":  strconv.Itoa(len(data)),
				"Repr-Digest":     "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":",
				"ETag":            `"` + sha256Hex(data) + `"`,
				"Registry-Bundle": "stored",
				"Content-Type":    "application/octet-stream",
				"Accept-Ranges":   "bytes",
			} {
				if g := res.Header.Get(name); g != want {
					t.Errorf("%s: %q, want %q", name, g, want)
				}
			}

			res = h.download(tok, id, "Range", "bytes=1000-1999")
			if body := readBody(t, res); res.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[1000:2000]) ||
				res.Header.Get("Content-Range") != "bytes 1000-1999/100000" {
				t.Errorf("Range: %d %q, %d bytes", res.StatusCode, res.Header.Get("Content-Range"), len(body))
			}
			res = h.download(tok, id, "Range", "bytes=-10")
			if body := readBody(t, res); res.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[len(data)-10:]) {
				t.Errorf("suffix Range: %d, %d bytes", res.StatusCode, len(body))
			}
			res = h.download(tok, id, "If-None-Match", `"`+sha256Hex(data)+`"`)
			if readBody(t, res); res.StatusCode != http.StatusNotModified {
				t.Errorf("If-None-Match with the digest: %d, want 304", res.StatusCode)
			}

			var trail []wire.ArtifactAuditEntry
			h.do(http.MethodGet, "/artifact/model/"+id+"/audit", nil, tok).decode(t, &trail)
			downloads := 0
			for _, e := range trail {
				if e.Action == store.ActionDownload {
					downloads++
				}
			}
			if downloads != 4 {
				t.Errorf("%d DOWNLOAD entries, want 4", downloads)
			}

			if res := h.do(http.MethodDelete, "/artifacts/model/"+id, nil, tok); res.status != http.StatusOK {
				t.Fatalf("delete: %d", res.status)
			}
			if _, err := h.st.Blobs().Stat(context.Background(), b); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the bundle after its artifact's delete: %v, want gone", err)
			}
		})
	}
}

// On S3 a download is a redirect to a presigned url of the bundle, valid
// without the registry's token; the bytes there are the ones stored.
func TestDownloadRedirectsToPresignedBundleOnS3(t *testing.T) {
	loc := newLocation(t, "s3")
	h := newHarness(t, loc, func(c *Config) { c.PresignTTL = time.Minute })
	tok := h.login(defaultadmin.Name, adminPassword)
	id := string(h.create(tok, "dataset", "https://huggingface.co/datasets/org/presigned").Metadata.ID)
	data := bundleBytes(9<<20, 2) // a multipart upload
	b := storeBundle(t, h.st, id, data)
	if got := h.bundleOf(tok, "dataset", id); got == nil || got.Sha256 != sha256Hex(data) || got.SizeBytes != int64(len(data)) {
		t.Fatalf("data.bundle = %+v, want sha256 %s", got, sha256Hex(data))
	}
	if want := "artifacts/" + id + "/files/"; len(b.Key) <= len(want) || b.Key[:len(want)] != want {
		t.Errorf("bundle key %q, want under %s as the guide lays the bucket out", b.Key, want)
	}
	// metadata.json keeps the guide's fields and names the bundle in data.
	out, err := loc.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(loc.bucket), Key: aws.String(store.MetadataKey(id))})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Data struct {
			URL    string           `json:"url"`
			HFData []map[string]any `json:"hf_data"`
			Bundle map[string]any   `json:"bundle"`
		} `json:"data"`
		CreatedAt string `json:"created_at"`
		CreatedBy string `json:"created_by"`
	}
	err = json.NewDecoder(out.Body).Decode(&doc)
	out.Body.Close()
	if err != nil || doc.Data.URL == "" || doc.Data.HFData == nil || doc.CreatedAt == "" || doc.CreatedBy != defaultadmin.Name {
		t.Errorf("metadata.json lost the guide's fields: %+v %v", doc, err)
	}
	if bb := doc.Data.Bundle; bb["sha256"] != sha256Hex(data) || bb["size_bytes"] != float64(len(data)) || bb["key"] != b.Key || bb["stored_at"] == nil {
		t.Errorf("data.bundle in metadata.json = %v, want sha256, size_bytes, stored_at and key", bb)
	}

	res := h.download(tok, id)
	readBody(t, res)
	loc302 := res.Header.Get("Location")
	if res.StatusCode != http.StatusFound || res.Header.Get("Registry-Bundle") != "presigned" || loc302 == "" {
		t.Fatalf("download: %d %q to %q, want 302 to a presigned url", res.StatusCode, res.Header.Get("Registry-Bundle"), loc302)
	}
	if got := fetchURL(t, loc302, ""); !bytes.Equal(got, data) {
		t.Errorf("the presigned url served %d bytes (sha256 %s), want the %d stored (%s)", len(got), sha256Hex(got), len(data), sha256Hex(data))
	}
	if got := fetchURL(t, loc302, "bytes=5-9"); !bytes.Equal(got, data[5:10]) {
		t.Errorf("Range on the presigned url: %v, want %v", got, data[5:10])
	}

	if res := h.do(http.MethodDelete, "/artifacts/dataset/"+id, nil, tok); res.status != http.StatusOK {
		t.Fatalf("delete: %d", res.status)
	}
	left, err := loc.client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(loc.bucket), Prefix: aws.String("artifacts/" + id + "/")})
	if err != nil || len(left.Contents) != 0 {
		t.Errorf("objects left under artifacts/%s/ after the delete: %v (%v)", id, left, err)
	}
}

// fetchURL GETs u as any client would (no registry token), with a Range
// header when rng is set, and expects 200 or 206.
func fetchURL(t *testing.T, u, rng string) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusPartialContent {
		t.Fatalf("GET %s: %d %s", u, res.StatusCode, body)
	}
	return body
}

// A bundle overwritten behind the registry's back (same size, other
// bytes) shows its new digest on the next GET, which the record keeps,
// and the download serves the new bytes under the new digest.
func TestBundleChangedOutOfBandShowsNewDigest(t *testing.T) {
	for _, backend := range []string{"sqlite", "s3"} {
		t.Run(backend, func(t *testing.T) {
			loc := newLocation(t, backend)
			h := newHarness(t, loc)
			tok := h.login(defaultadmin.Name, adminPassword)
			id := string(h.create(tok, "code", "https://github.com/org/overwritten").Metadata.ID)
			data, changed := bundleBytes(4096, 3), bundleBytes(4096, 4)
			b := storeBundle(t, h.st, id, data)
			if got := h.bundleOf(tok, "code", id); got == nil || got.Sha256 != sha256Hex(data) {
				t.Fatalf("before: %+v", got)
			}

			switch backend {
			case "sqlite":
				writeFile(t, filepath.Join(store.DefaultBundleDir(loc.path), b.Key), string(changed))
			case "s3":
				if _, err := loc.client.PutObject(context.Background(), &s3.PutObjectInput{
					Bucket: aws.String(loc.bucket), Key: aws.String(b.Key), Body: bytes.NewReader(changed),
				}); err != nil {
					t.Fatal(err)
				}
			}
			if got := h.bundleOf(tok, "code", id); got == nil || got.Sha256 != sha256Hex(changed) || got.SizeBytes != int64(len(changed)) {
				t.Fatalf("GET after the overwrite: %+v, want sha256 %s", got, sha256Hex(changed))
			}
			rec, err := h.st.Get(context.Background(), id)
			if err != nil || rec.Bundle == nil || rec.Bundle.SHA256 != sha256Hex(changed) {
				t.Errorf("the record after the GET: %+v %v, want the new digest kept", rec.Bundle, err)
			}

			res := h.download(tok, id)
			body := readBody(t, res)
			if res.StatusCode == http.StatusFound {
				body = fetchURL(t, res.Header.Get("Location"), "")
			} else if res.Header.Get("ETag") != `"`+sha256Hex(changed)+`"` {
				t.Errorf("ETag %s, want the new digest", res.Header.Get("ETag"))
			}
			if !bytes.Equal(body, changed) {
				t.Errorf("download after the overwrite: sha256 %s, want %s", sha256Hex(body), sha256Hex(changed))
			}
		})
	}
}

// Without a stored bundle, GET says why and the download redirects to the
// source, saying so; a bundle removed behind the registry's back reads the
// same. Cost uses the stored bundle's size.
func TestDownloadWithoutBundleAndCost(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc)
		tok := h.login(defaultadmin.Name, adminPassword)
		const src = "https://huggingface.co/org/too-big"
		id := string(h.create(tok, "model", src).Metadata.ID)
		ctx := context.Background()
		rec, err := h.st.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		rec.BundleNotStored = "the bundle is larger than the size cap"
		if err := h.st.Update(ctx, rec, nil); err != nil {
			t.Fatal(err)
		}
		notStored := func(want string) {
			t.Helper()
			var a wire.Artifact
			h.do(http.MethodGet, "/artifacts/model/"+id, nil, tok).decode(t, &a)
			if a.Data.Bundle != nil || a.Data.BundleNotStored != want {
				t.Errorf("data: bundle %+v, bundle_not_stored %q; want none and %q", a.Data.Bundle, a.Data.BundleNotStored, want)
			}
			res := h.download(tok, id)
			readBody(t, res)
			if res.StatusCode != http.StatusFound || res.Header.Get("Location") != src || res.Header.Get("Registry-Bundle") != "not-stored" {
				t.Errorf("download: %d to %q (%s), want 302 to the source, not-stored", res.StatusCode, res.Header.Get("Location"), res.Header.Get("Registry-Bundle"))
			}
		}
		notStored("the bundle is larger than the size cap")

		data := bundleBytes(2_500_000, 5)
		b := storeBundle(t, h.st, id, data)
		var cost wire.ArtifactCost
		if res := h.do(http.MethodGet, "/artifact/model/"+id+"/cost", nil, tok); res.status != http.StatusOK {
			t.Fatalf("cost: %d %s", res.status, res.body)
		} else {
			res.decode(t, &cost)
		}
		if got := cost[id].TotalCost; got != 2.5 {
			t.Errorf("cost %v MB, want 2.5 (the stored bundle's size)", got)
		}

		if err := h.st.Blobs().Delete(ctx, b); err != nil {
			t.Fatal(err)
		}
		notStored(bundleMissing)
	})
}

// SQLite keeps bundles in <database file>.bundles/<id>/ by default.
func TestSQLiteBundleFolderBesideDatabase(t *testing.T) {
	loc := newLocation(t, "sqlite")
	h := newHarness(t, loc)
	tok := h.login(defaultadmin.Name, adminPassword)
	id := string(h.create(tok, "model", "https://huggingface.co/org/where").Metadata.ID)
	b := storeBundle(t, h.st, id, []byte("bundle"))
	if _, err := os.Stat(filepath.Join(filepath.Dir(loc.path), filepath.Base(loc.path)+".bundles", id, filepath.Base(b.Key))); err != nil {
		t.Errorf("bundle not in <database>.bundles/<id>/: %v", err)
	}
}

// The registry as a Lambda function redirects a download to a presigned
// url of the bundle (its responses are size-limited), which serves the
// stored bytes; deleting the artifact through it removes the bundle.
func TestLambdaDownloadRedirectsToPresignedBundle(t *testing.T) {
	r, st, tok := lambdaWithStore(t)
	var a wire.Artifact
	r.do(http.MethodPost, "/artifact/code", mustJSON(t, map[string]string{"url": "https://github.com/lambda/bundle-" + randomHex(t)}), tok).decode(t, &a)
	id := string(a.Metadata.ID)
	data := bundleBytes(7<<20, 6) // past Lambda's 6 MB response limit
	b := storeBundle(t, st, id, data)

	var got wire.Artifact
	r.do(http.MethodGet, "/artifacts/code/"+id, nil, tok).decode(t, &got)
	if got.Data.Bundle == nil || got.Data.Bundle.Sha256 != sha256Hex(data) {
		t.Fatalf("data.bundle through the Lambda: %+v, want sha256 %s", got.Data.Bundle, sha256Hex(data))
	}
	res := r.do(http.MethodGet, "/download/"+id, nil, tok)
	if res.status != http.StatusFound || res.header.Get("Registry-Bundle") != "presigned" {
		t.Fatalf("download through the Lambda: %d %q, want 302 to a presigned url", res.status, res.header.Get("Registry-Bundle"))
	}
	if body := fetchURL(t, res.header.Get("Location"), ""); !bytes.Equal(body, data) {
		t.Errorf("the presigned url served sha256 %s, want %s", sha256Hex(body), sha256Hex(data))
	}
	if res := r.do(http.MethodDelete, "/artifacts/code/"+id, nil, tok); res.status != http.StatusOK {
		t.Fatalf("delete through the Lambda: %d", res.status)
	}
	if _, err := st.Blobs().Stat(context.Background(), b); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the bundle after the delete: %v, want gone", err)
	}
}

// The plan path stays cheap on S3: a GET of an artifact costs one read of
// its metadata, plus one HEAD of its bundle when it has one.
func TestS3BundleCheckCostsOneHead(t *testing.T) {
	loc := newLocation(t, "s3")
	var calls s3Calls
	loc.client = countingClient(loc.client, &calls)
	h := newHarness(t, loc)
	tok := h.login(defaultadmin.Name, adminPassword)
	plain := string(h.create(tok, "code", "https://github.com/org/plain").Metadata.ID)
	bundled := string(h.create(tok, "code", "https://github.com/org/bundled").Metadata.ID)
	storeBundle(t, h.st, bundled, []byte("a small bundle"))

	for id, heads := range map[string]int{plain: 0, bundled: 1} {
		calls.reset()
		if res := h.do(http.MethodGet, "/artifacts/code/"+id, nil, tok); res.status != http.StatusOK {
			t.Fatalf("GET %s: %d", id, res.status)
		}
		if got := calls.get("GetObject"); got != 1 {
			t.Errorf("GET %s: %d object reads, want 1 (the metadata)", id, got)
		}
		if got := calls.get("HeadObject"); got != heads {
			t.Errorf("GET %s: %d HEADs, want %d", id, got, heads)
		}
	}
}
