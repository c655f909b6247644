package client

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/prereq"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// TestLiveRegistry runs the client against a running registry (the stack's
// REGISTRY_ENDPOINT): every call once, end to end.
func TestLiveRegistry(t *testing.T) {
	endpoint := teststack.Getenv(t, "REGISTRY_ENDPOINT", "no running registry to test against")
	c, err := New(Config{
		Endpoint: endpoint,
		Username: os.Getenv("REGISTRY_USERNAME"),
		Password: os.Getenv("REGISTRY_PASSWORD"),
		IsAdmin:  true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	if err := c.Health(ctx); err != nil {
		t.Fatalf("Health: %v", err)
	}
	if _, err := c.Token(ctx); err != nil {
		t.Fatalf("Token: %v", err)
	}

	suffix := time.Now().UnixNano()
	urls := []string{
		fmt.Sprintf("https://github.com/client-live-test/repo-%d", suffix),
		fmt.Sprintf("https://github.com/client-live-test/repo-%d-b", suffix),
		fmt.Sprintf("https://github.com/client-live-test/repo-%d-c", suffix),
	}
	var created []*wire.Artifact
	for _, u := range urls {
		res, err := c.CreateArtifact(ctx, "code", u)
		if err != nil {
			t.Fatalf("CreateArtifact(%s): %v", u, err)
		}
		if res.Artifact == nil {
			t.Fatalf("CreateArtifact(%s): no artifact in %+v", u, res)
		}
		created = append(created, res.Artifact)
	}
	t.Cleanup(func() {
		for _, a := range created {
			_ = c.DeleteArtifact(context.Background(), a.Metadata.Type, string(a.Metadata.ID))
		}
	})

	all, err := c.ListArtifacts(ctx, []wire.ArtifactQuery{{Name: "*", Types: []string{"code"}}})
	if err != nil {
		t.Fatalf("ListArtifacts: %v", err)
	}
	for _, a := range created {
		if !slices.Contains(all, a.Metadata) {
			t.Errorf("ListArtifacts (%d artifacts) misses %+v", len(all), a.Metadata)
		}
	}

	first := created[0]
	byName, err := c.ArtifactsByName(ctx, first.Metadata.Name)
	if err != nil || !slices.Contains(byName, first.Metadata) {
		t.Errorf("ArtifactsByName(%s): %+v, %v", first.Metadata.Name, byName, err)
	}
	byRegex, err := c.ArtifactsByRegex(ctx, fmt.Sprintf("^repo-%d", suffix))
	if err != nil || len(byRegex) != 3 {
		t.Errorf("ArtifactsByRegex: %+v, %v", byRegex, err)
	}
	if none, err := c.ArtifactsByName(ctx, fmt.Sprintf("no-such-%d", suffix)); err != nil || len(none) != 0 {
		t.Errorf("ArtifactsByName(missing): %+v, %v", none, err)
	}

	found, err := c.FindArtifactByURL(ctx, "code", urls[1])
	if err != nil || found == nil || found.Metadata.ID != created[1].Metadata.ID {
		t.Errorf("FindArtifactByURL: %+v, %v", found, err)
	}

	updated := *first
	updated.Data.URL = urls[0] + "-renamed"
	if err := c.UpdateArtifact(ctx, updated); err != nil {
		t.Fatalf("UpdateArtifact: %v", err)
	}
	got, err := c.GetArtifact(ctx, "code", string(first.Metadata.ID))
	if err != nil || got.Data.URL != updated.Data.URL {
		t.Errorf("GetArtifact after update: %+v, %v", got, err)
	}

	if err := c.DeleteArtifact(ctx, "code", string(first.Metadata.ID)); err != nil {
		t.Fatalf("DeleteArtifact: %v", err)
	}
	if _, err := c.GetArtifact(ctx, "code", string(first.Metadata.ID)); !IsNotFound(err) {
		t.Errorf("GetArtifact after delete: %v, want not found", err)
	}
	if err := c.DeleteArtifact(ctx, "code", string(first.Metadata.ID)); !IsNotFound(err) {
		t.Errorf("second DeleteArtifact: %v, want not found", err)
	}
}

// TestLiveWrongPassword checks the error of a wrong password against the
// running registry.
func TestLiveWrongPassword(t *testing.T) {
	endpoint := teststack.Getenv(t, "REGISTRY_ENDPOINT", "no running registry to test against")
	const wrong = "not-the-password-4711"
	c, err := New(Config{Endpoint: endpoint, Username: os.Getenv("REGISTRY_USERNAME"), Password: wrong, IsAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListArtifacts(context.Background(), []wire.ArtifactQuery{{Name: "*"}})
	if err == nil {
		prereq.Missing(t, "the registry accepted the call: it has no authentication")
	}
	if StatusCode(err) != 401 {
		t.Fatalf("err = %v, want 401", err)
	}
	t.Log(err)
}
