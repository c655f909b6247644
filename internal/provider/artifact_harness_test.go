package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/s3bucket"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

func testAccArtifactConfig(typ, url string) string {
	return fmt.Sprintf(`
resource "registry_artifact" "test" {
  type = %q
  url  = %q
}
`, typ, url)
}

// testAccCheckNoArtifact fails the test when the registry holds an artifact
// of artifactType at url; why says how it should not have been created.
func testAccCheckNoArtifact(t *testing.T, c *client.Client, artifactType, url, why string) {
	t.Helper()
	a, err := c.FindArtifactByURL(context.Background(), artifactType, url)
	if err != nil {
		t.Fatal(err)
	}
	if a != nil {
		t.Fatalf("an artifact was created %s: %+v", why, a)
	}
}

// testAccCheckArtifactsDestroyed checks that every registry_artifact of the
// final state is gone from the registry.
func testAccCheckArtifactsDestroyed(t *testing.T) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		c := testAccClient(t)
		for _, rs := range s.RootModule().Resources {
			if rs.Type != "registry_artifact" {
				continue
			}
			typ, id := rs.Primary.Attributes["type"], rs.Primary.ID
			_, err := c.GetArtifact(context.Background(), typ, id)
			if err == nil {
				return fmt.Errorf("artifact %s/%s still exists after destroy", typ, id)
			}
			if !client.IsNotFound(err) {
				return fmt.Errorf("checking artifact %s/%s: %w", typ, id, err)
			}
		}
		return nil
	}
}

// artifactInRegistry checks through the API that the artifact with *id has
// the given type, url and name.
func artifactInRegistry(address string, id *string, typ, url, name string) statecheck.StateCheck {
	return registryCheck(func(ctx context.Context, c *client.Client) error {
		a, err := c.GetArtifact(ctx, typ, *id)
		if err != nil {
			return fmt.Errorf("%s: reading %s/%s from the registry: %w", address, typ, *id, err)
		}
		if a.Data.URL != url || a.Metadata.Name != name || a.Metadata.Type != typ {
			return fmt.Errorf("%s: the registry holds %+v, want type %s, url %s, name %s", address, a, typ, url, name)
		}
		return nil
	})
}

// s3MetadataCheck reads artifacts/<id>/metadata.json from the bucket.
type s3MetadataCheck struct {
	env                  map[string]string
	id                   *string
	name, url, typ, user string
}

func (c s3MetadataCheck) CheckState(ctx context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = c.check(ctx)
}

func (c s3MetadataCheck) check(ctx context.Context) error {
	// The S3 client reads credentials from the SDK's chain; the test process
	// has no other use for them.
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":     c.env["VERSITYGW_ACCESS_KEY"],
		"AWS_SECRET_ACCESS_KEY": c.env["VERSITYGW_SECRET_KEY"],
	} {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	s3c, err := s3bucket.NewClient(ctx, s3bucket.ClientConfig{Region: "us-east-1", Endpoint: c.env["VERSITYGW_ENDPOINT"], UsePathStyle: true})
	if err != nil {
		return err
	}
	key := "artifacts/" + *c.id + "/metadata.json"
	out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.env["REGISTRY_S3_BUCKET"]), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("reading s3://%s/%s: %w", c.env["REGISTRY_S3_BUCKET"], key, err)
	}
	defer out.Body.Close()
	raw, err := io.ReadAll(out.Body)
	if err != nil {
		return err
	}
	var doc struct {
		Metadata  wire.ArtifactMetadata `json:"metadata"`
		Data      map[string]any        `json:"data"`
		CreatedAt string                `json:"created_at"`
		CreatedBy string                `json:"created_by"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%s is not the guide's JSON: %w: %s", key, err, raw)
	}
	want := wire.ArtifactMetadata{Name: c.name, ID: wire.ID(*c.id), Type: c.typ}
	if doc.Metadata != want {
		return fmt.Errorf("%s: metadata %+v, want %+v", key, doc.Metadata, want)
	}
	if doc.Data["url"] != c.url {
		return fmt.Errorf("%s: data.url %v, want %s", key, doc.Data["url"], c.url)
	}
	if !parsesAsTime(doc.CreatedAt) {
		return fmt.Errorf("%s: created_at %q is not an ISO 8601 time", key, doc.CreatedAt)
	}
	if doc.CreatedBy != c.user {
		return fmt.Errorf("%s: created_by %q, want %q", key, doc.CreatedBy, c.user)
	}
	return nil
}

// parsesAsTime accepts the guide's "2025-11-05T20:00:00" and RFC 3339.
func parsesAsTime(s string) bool {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// Unit tests (no TF_ACC) of the parts the running registry cannot provoke.

// fakeRegistry answers the artifact calls of one test through handler; the
// client authenticates with a token, so /authenticate is not involved.
func fakeRegistry(t *testing.T, handler http.HandlerFunc) *client.Client {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	c, err := client.New(client.Config{Endpoint: srv.URL, Token: "bearer test", MaxRetries: 0, RequestTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// artifactResourceWith returns a registry_artifact resource whose provider
// talks to handler, and a builder of its plan and state values.
func artifactResourceWith(t *testing.T, handler http.HandlerFunc) (*ArtifactResource, func(attrs map[string]tftypes.Value) tftypes.Value, rschema.Schema) {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	r := &ArtifactResource{data: &ProviderData{registry: registrySettings{
		Endpoint: srv.URL, Token: "bearer test", Timeout: 5 * time.Second,
		DeleteConfirmReads: defaultDeleteConfirmReads, DeleteConfirmWindow: 20 * time.Millisecond,
	}}}
	var sresp fwresource.SchemaResponse
	r.Schema(context.Background(), fwresource.SchemaRequest{}, &sresp)
	objType, ok := sresp.Schema.Type().TerraformType(context.Background()).(tftypes.Object)
	if !ok {
		t.Fatal("the schema's type is not an object")
	}
	value := func(attrs map[string]tftypes.Value) tftypes.Value {
		vals := map[string]tftypes.Value{}
		for name, typ := range objType.AttributeTypes {
			vals[name] = tftypes.NewValue(typ, nil)
			if v, ok := attrs[name]; ok {
				vals[name] = v
			}
		}
		return tftypes.NewValue(objType, vals)
	}
	return r, value, sresp.Schema
}

// createModel runs Create of r (from artifactResourceWith) for a model at
// url with ctx; extra sets further plan attributes (timeouts).
func createModel(ctx context.Context, r *ArtifactResource, value func(map[string]tftypes.Value) tftypes.Value, s rschema.Schema,
	url string, extra map[string]tftypes.Value,
) fwresource.CreateResponse {
	attrs := map[string]tftypes.Value{
		"id":                tftypes.NewValue(tftypes.String, tftypes.UnknownValue),
		"type":              tftypes.NewValue(tftypes.String, "model"),
		"url":               tftypes.NewValue(tftypes.String, url),
		"name":              tftypes.NewValue(tftypes.String, tftypes.UnknownValue),
		"download_url":      tftypes.NewValue(tftypes.String, tftypes.UnknownValue),
		"sha256":            tftypes.NewValue(tftypes.String, tftypes.UnknownValue),
		"size_bytes":        tftypes.NewValue(tftypes.Number, tftypes.UnknownValue),
		"bundle_not_stored": tftypes.NewValue(tftypes.String, tftypes.UnknownValue),
	}
	maps.Copy(attrs, extra)
	resp := fwresource.CreateResponse{State: tfsdk.State{Schema: s, Raw: tftypes.NewValue(s.Type().TerraformType(ctx), nil)}}
	r.Create(ctx, fwresource.CreateRequest{Plan: tfsdk.Plan{Schema: s, Raw: value(attrs)}}, &resp)
	return resp
}
