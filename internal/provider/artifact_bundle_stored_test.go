package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
)

// The bundles our registry stores, end to end: the registry server ingests
// from the upstream replay, Terraform records what it reports, and the
// bytes served from download_url (and by the replay) are checked.

// Artifacts the replay serves bundles of, used only by these tests.
const (
	replayCodeURL    = "https://github.com/google-research/bert"
	replayTarballOf  = "google-research/bert"
	replayWhisperURL = "https://huggingface.co/openai/whisper-tiny"
)

// digestOf is the lowercase hex SHA-256 of b, as the registry reports it.
func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// downloadBundle fetches download_url with a token of the registry's
// credentials (those the provider uses), following a redirect to a
// presigned S3 link.
func downloadBundle(ctx context.Context, c *client.Client, url string) ([]byte, error) {
	token, err := c.Token(ctx)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Authorization", token)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %.200s", url, resp.Status, body)
	}
	return body, nil
}

// replayTarball is the archive the replay serves for the code artifact,
// through its GitHub endpoint, as the registry's ingest fetches it.
func replayTarball(t *testing.T) []byte {
	t.Helper()
	base := teststack.Getenv(t, "UPSTREAM_REPLAY_URL", "the test compares the stored bundle with the replay's")
	resp, err := http.Get(base + "/repos/" + replayTarballOf + "/tarball") //nolint:noctx // a test's one-off read
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the replay's tarball of %s: %s (%v)", replayTarballOf, resp.Status, err)
	}
	return b
}

// servesBundle is a state check that download_url of address serves bytes
// whose SHA-256 and size are the state's sha256 and size_bytes (and, when
// want is set, that digest).
func servesBundle(c *client.Client, address string, want *string) statecheck.StateCheck {
	return stateCheckFunc(func(state *tfjson.State) error {
		attrs := attributes(state, address)
		url, _ := attrs["download_url"].(string)
		sha, _ := attrs["sha256"].(string)
		size, err := stateNumber(attrs["size_bytes"])
		if err != nil {
			return fmt.Errorf("%s: size_bytes: %w", address, err)
		}
		if url == "" || sha == "" {
			return fmt.Errorf("%s: download_url %q, sha256 %q: want both", address, url, sha)
		}
		body, err := downloadBundle(context.Background(), c, url)
		if err != nil {
			return fmt.Errorf("%s: %w", address, err)
		}
		if got := digestOf(body); got != sha || float64(len(body)) != size {
			return fmt.Errorf("%s: download_url serves %d bytes with SHA-256 %s; the state says %v bytes, %s", address, len(body), got, size, sha)
		}
		if want != nil && sha != *want {
			return fmt.Errorf("%s: sha256 %s, want %s", address, sha, *want)
		}
		return nil
	})
}

// replayArtifactsConfig declares the code artifact, pinned to pin, and the
// model whose bundles the replay serves.
func replayArtifactsConfig(pin string) string {
	return fmt.Sprintf(`
resource "registry_artifact" "code" {
  type            = "code"
  url             = %q
  expected_sha256 = %q
}

resource "registry_artifact" "model" {
  type = "model"
  url  = %q
}
`, replayCodeURL, pin, replayWhisperURL)
}

// TestAccArtifactResource_storedBundle runs testAccStoredBundle against the
// stack's registry (SQLite); TestAccLambda runs it against the Lambda one.
func TestAccArtifactResource_storedBundle(t *testing.T) {
	testAccStoredBundle(t)
}

// testAccStoredBundle: the registry at REGISTRY_ENDPOINT ingests a code
// artifact (the replay's GitHub archive) and a model (the replay's Hugging
// Face files); the sha256 in state is that of the bytes download_url
// serves with the provider's credentials, for the code artifact also that
// of the replay's archive, which its pin names; the data source reads the
// same. An artifact whose source the registry cannot fetch has null
// sha256 and size_bytes, and bundle_not_stored says why.
func testAccStoredBundle(t *testing.T) {
	testAccPreCheck(t)
	api := testAccClient(t)
	unstoredURL, _ := testAccURL("dataset")
	// The replayed urls cannot be made unique: what an interrupted run left
	// is removed first.
	for _, a := range [][2]string{{"code", replayCodeURL}, {"model", replayWhisperURL}} {
		left, err := api.FindArtifactByURL(context.Background(), a[0], a[1])
		if err != nil {
			t.Fatalf("looking for a leftover %s %s: %v", a[0], a[1], err)
		}
		if left != nil {
			if err := api.DeleteArtifact(context.Background(), a[0], string(left.Metadata.ID)); err != nil {
				t.Fatalf("removing the leftover %s %s: %v", a[0], a[1], err)
			}
		}
	}
	tarball := digestOf(replayTarball(t))
	config := replayArtifactsConfig(tarball) + fmt.Sprintf(`
resource "registry_artifact" "unstored" {
  type = "dataset"
  url  = %q
}

data "registry_artifact" "model" {
  type = "model"
  id   = registry_artifact.model.id
}
`, unstoredURL)
	sameDigest := statecheck.CompareValuePairs("registry_artifact.model", tfjsonpath.New("sha256"),
		"data.registry_artifact.model", tfjsonpath.New("sha256"), compare.ValuesSame())
	sameSize := statecheck.CompareValuePairs("registry_artifact.model", tfjsonpath.New("size_bytes"),
		"data.registry_artifact.model", tfjsonpath.New("size_bytes"), compare.ValuesSame())

	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             testAccCheckArtifactsDestroyed(t),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					servesBundle(api, "registry_artifact.code", &tarball),
					servesBundle(api, "registry_artifact.model", nil),
					statecheck.ExpectKnownValue("registry_artifact.code", tfjsonpath.New("bundle_not_stored"), knownvalue.Null()),
					statecheck.ExpectKnownValue("registry_artifact.model", tfjsonpath.New("bundle_not_stored"), knownvalue.Null()),
					sameDigest, sameSize,
					statecheck.ExpectKnownValue("registry_artifact.unstored", tfjsonpath.New("sha256"), knownvalue.Null()),
					statecheck.ExpectKnownValue("registry_artifact.unstored", tfjsonpath.New("size_bytes"), knownvalue.Null()),
					statecheck.ExpectKnownValue("registry_artifact.unstored", tfjsonpath.New("bundle_not_stored"), knownvalue.NotNull()),
				},
			},
			{
				ResourceName:            "registry_artifact.code",
				ImportState:             true,
				ImportStateIdFunc:       importIDOf("registry_artifact.code"),
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"expected_sha256"},
			},
		},
	})
}

// bundleServer is a registry server process of a test's own, whose stored
// bundles the test can overwrite behind its back.
type bundleServer struct {
	url, password string
	// overwrite replaces the stored bundle whose digest is sha256 with body.
	overwrite func(t *testing.T, id, sha256 string, body []byte)
}

// startBundleServer starts the server binary on SQLite (its database and
// bundles in a folder of the test) or on S3 (a new versitygw bucket),
// ingesting from the stack's upstream replay.
func startBundleServer(t *testing.T, backend string) bundleServer {
	t.Helper()
	teststack.Getenv(t, "TF_ACC", "acceptance tests run only with TF_ACC=1")
	replay := teststack.Getenv(t, "UPSTREAM_REPLAY_URL", "the registry ingests from the upstream replay")
	password := acctest.RandString(24)
	env := []string{"INGEST=1", "HF_ENDPOINT=" + replay, "GITHUB_API_URL=" + replay, "REGISTRY_ADMIN_PASSWORD=" + password, "LOG_LEVEL=INFO"}
	srv := bundleServer{password: password}
	switch backend {
	case "sqlite":
		dir := t.TempDir()
		env = append(env, "USE_SQLITE=1", "SQLALCHEMY_DATABASE_URL=sqlite:///"+filepath.Join(dir, "registry.db"))
		srv.overwrite = func(t *testing.T, _, sha string, body []byte) {
			t.Helper()
			// Wherever the registry keeps its bundle files: the one with
			// this content.
			var found []string
			err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || !d.Type().IsRegular() {
					return err
				}
				b, err := os.ReadFile(p)
				if err == nil && digestOf(b) == sha {
					found = append(found, p)
				}
				return err
			})
			if err != nil || len(found) != 1 {
				t.Fatalf("the bundle file with SHA-256 %s under %s: %v (%v)", sha, dir, found, err)
			}
			if err := os.WriteFile(found[0], body, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	case "s3":
		s3env := teststack.VersitygwServerEnv(t, "acc-bundles")
		env = append(env, s3env...)
		var bucket string
		for _, kv := range s3env {
			if b, ok := strings.CutPrefix(kv, "S3_BUCKET_NAME="); ok {
				bucket = b
			}
		}
		s3c := teststack.VersitygwClient(t)
		srv.overwrite = func(t *testing.T, id, _ string, body []byte) {
			t.Helper()
			ctx := context.Background()
			prefix := "artifacts/" + id + "/files/"
			out, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
			if err != nil || len(out.Contents) != 1 {
				t.Fatalf("the bundle object under s3://%s/%s: %v (%v)", bucket, prefix, out, err)
			}
			key := out.Contents[0].Key
			if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: key, Body: strings.NewReader(string(body))}); err != nil {
				t.Fatalf("overwriting s3://%s/%s: %v", bucket, aws.ToString(key), err)
			}
		}
	}
	proc := teststack.StartServer(t, "", env...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the %s registry server's output:\n%s", backend, proc.Output())
		}
	})
	srv.url = proc.URL
	return srv
}

// TestAccArtifactResource_bundleChanged, on SQLite and on S3 (versitygw):
// a wrong pin fails the create with both digests and leaves nothing in
// the registry or in state; then, with the right pin, the stored bundles
// are overwritten in the registry's storage: the next plan shows the
// unpinned artifact's new digest as a change outside Terraform and
// replaces the pinned one, whose new ingest has the pinned content again.
func TestAccArtifactResource_bundleChanged(t *testing.T) {
	for _, backend := range []string{"sqlite", "s3"} {
		t.Run(backend, func(t *testing.T) { testAccBundleChanged(t, backend) })
	}
}

func testAccBundleChanged(t *testing.T, backend string) {
	srv := startBundleServer(t, backend)
	api, err := client.New(client.Config{Endpoint: srv.url, Username: defaultadmin.Name, Password: srv.password, IsAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	tarball := digestOf(replayTarball(t))
	wrong := digestOf([]byte("not the bundle"))
	provider := fmt.Sprintf(`
provider "registry" {
  endpoint = %q
  username = %q
  password = %q
}
`, srv.url, defaultadmin.Name, srv.password)
	config := func(pin string) string { return provider + replayArtifactsConfig(pin) }
	var codeID, modelID, codeSHA, modelSHA string
	tampered := []byte("tampered bundle, written behind the registry's back\n")
	newModelSHA := digestOf(tampered)
	newID := statecheck.CompareValue(compare.ValuesDiffer())

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      config(wrong),
				ExpectError: wordsRE(pinMismatchSummary, "SHA-256 "+tarball, "not the expected "+wrong, "deleted again", "nothing is left"),
			},
			{
				PreConfig: func() {
					if a, err := api.FindArtifactByURL(context.Background(), "code", replayCodeURL); err != nil || a != nil {
						t.Fatalf("after the failed create the registry holds %+v (%v), want nothing", a, err)
					}
				},
				Config: config(tarball),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					// The code artifact failed its create: it is not in state.
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("registry_artifact.code", plancheck.ResourceActionCreate),
						plancheck.ExpectResourceAction("registry_artifact.model", plancheck.ResourceActionNoop),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					servesBundle(api, "registry_artifact.code", &tarball),
					servesBundle(api, "registry_artifact.model", nil),
					stateValue("registry_artifact.code", "id", &codeID),
					stateValue("registry_artifact.model", "id", &modelID),
					stateValue("registry_artifact.code", "sha256", &codeSHA),
					stateValue("registry_artifact.model", "sha256", &modelSHA),
					newID.AddStateValue("registry_artifact.code", tfjsonpath.New("id")),
				},
			},
			{
				PreConfig: func() {
					srv.overwrite(t, codeID, codeSHA, tampered)
					srv.overwrite(t, modelID, modelSHA, tampered)
				},
				Config: config(tarball),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						expectDrift{"registry_artifact.model", "sha256", &modelSHA, &newModelSHA},
						plancheck.ExpectResourceAction("registry_artifact.model", plancheck.ResourceActionNoop),
						plancheck.ExpectResourceAction("registry_artifact.code", plancheck.ResourceActionDestroyBeforeCreate),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					// Registered again from the replay: the pinned content.
					servesBundle(api, "registry_artifact.code", &tarball),
					newID.AddStateValue("registry_artifact.code", tfjsonpath.New("id")),
					servesBundle(api, "registry_artifact.model", &newModelSHA),
				},
			},
		},
	})
}
