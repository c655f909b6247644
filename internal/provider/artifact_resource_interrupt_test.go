package provider

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/teststack"
)

// Terraform stopping gracefully (Ctrl-C) cancels the context of the
// operations in flight. A create that was already sent is seen through and
// its artifact goes into state; a create not yet sent is not sent (finding
// 1 of issue 19: canceled POSTs that the registry answered 201 left
// orphans).
func TestArtifactResourceCreateSurvivesStop(t *testing.T) {
	const url = "https://huggingface.co/o/x"
	var (
		posts   atomic.Int32
		posted  = make(chan struct{}, 1)
		stopped = make(chan struct{})
	)
	r, value, s := artifactResourceWith(t, func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost || req.URL.Path != "/artifact/model" {
			http.Error(w, "unexpected "+req.Method+" "+req.URL.Path, http.StatusBadRequest)
			return
		}
		posts.Add(1)
		posted <- struct{}{}
		// The registry answers after Terraform has stopped.
		<-stopped
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"metadata":{"name":"x","id":"42","type":"model"},"data":{"url":"`+url+`"}}`)
	})
	create := func(ctx context.Context) fwresource.CreateResponse { return createModel(ctx, r, value, s, url, nil) }

	t.Run("sent, then stopped: the answer reaches state", func(t *testing.T) {
		ctx, stop := context.WithCancel(context.Background())
		go func() {
			<-posted
			stop()
			close(stopped)
		}()
		resp := create(ctx)
		if resp.Diagnostics.HasError() {
			t.Fatalf("diagnostics %v, want none: the registry created the artifact", resp.Diagnostics)
		}
		var got artifactResourceModel
		resp.Diagnostics.Append(resp.State.Get(context.Background(), &got)...)
		if got.ID.ValueString() != "42" || got.Name.ValueString() != "x" {
			t.Errorf("state %+v, want the created artifact 42", got)
		}
	})
	t.Run("stopped before sending: nothing is sent", func(t *testing.T) {
		posts.Store(0)
		ctx, stop := context.WithCancel(context.Background())
		stop()
		resp := create(ctx)
		if !resp.Diagnostics.HasError() {
			t.Fatal("want an error")
		}
		if d := resp.Diagnostics.Errors()[0].Detail(); !strings.Contains(d, "was not registered: the request was never sent") {
			t.Errorf("detail %q does not say that nothing was sent", d)
		}
		if n := posts.Load(); n != 0 {
			t.Errorf("%d creates sent after the stop, want 0", n)
		}
		if !resp.State.Raw.IsNull() {
			t.Error("state set for an artifact never created")
		}
	})
}

// When nothing listens at the endpoint, the create says that it was never
// sent, not that whether the registry created the artifact is unknown
// (finding 4 of issue 19).
func TestAccArtifactResource_nothingSent(t *testing.T) {
	teststack.Getenv(t, "TF_ACC", "acceptance tests run only with TF_ACC=1")
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens there any more
	url, _ := testAccURL("model")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      inProcessProviderConfig(srv.URL, "max_retries = 0") + testAccArtifactConfig("model", url),
			ExpectError: wordsRE("Cannot create registry_artifact", "was not registered: the request was never sent", "connection refused"),
		}},
	})
}
