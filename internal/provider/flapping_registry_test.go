package provider

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// flappingStore makes a registry behave like one whose store is a file
// rewritten in place without a lock (issue 19): a DELETE of an artifact is
// answered with the registry's JSON 404 without deleting anything, and for
// flap afterwards GETs of the artifact answer 404 too; then it is back.
// The first DELETE of each artifact flaps, or every DELETE (forever) until
// the test turns it off.
type flappingStore struct {
	next    http.Handler
	flap    time.Duration
	forever atomic.Bool
	off     atomic.Bool

	mu sync.Mutex
	// hiddenUntil is when GETs of a path find the artifact again.
	hiddenUntil map[string]time.Time
	// flaps counts the DELETEs answered 404 without deleting, by path.
	flaps map[string]int
}

func newFlappingStore(flap time.Duration, forever bool) *flappingStore {
	f := &flappingStore{flap: flap, hiddenUntil: map[string]time.Time{}, flaps: map[string]int{}}
	f.forever.Store(forever)
	return f
}

func (f *flappingStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.off.Load() || !strings.HasPrefix(r.URL.Path, "/artifacts/") {
		f.next.ServeHTTP(w, r)
		return
	}
	f.mu.Lock()
	missing := false
	switch r.Method {
	case http.MethodDelete:
		if f.forever.Load() || f.flaps[r.URL.Path] == 0 {
			f.flaps[r.URL.Path]++
			f.hiddenUntil[r.URL.Path] = time.Now().Add(f.flap)
			missing = true
		}
	case http.MethodGet:
		missing = time.Now().Before(f.hiddenUntil[r.URL.Path])
	}
	f.mu.Unlock()
	if !missing {
		f.next.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	_, _ = io.WriteString(w, `{"description":"Artifact does not exist."}`)
}

// flapped is how many artifacts had a DELETE answered 404 without deleting.
func (f *flappingStore) flapped() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.flaps)
}

func flappingConfig(endpoint string, urls []string) string {
	var b strings.Builder
	b.WriteString(inProcessProviderConfig(endpoint, ""))
	for i, url := range urls {
		fmt.Fprintf(&b, `
resource "registry_artifact" "m%d" {
  type = "model"
  url  = %q
}
`, i, url)
	}
	return b.String()
}

// A registry whose store flaps once per artifact during destroy (the JSON
// 404 to the DELETE, 404s to GETs for 300 ms, then the artifact is back):
// destroy sends the DELETE again and succeeds, and the registry is empty
// afterwards. Before issue 19, the DELETE's 404 and one GET's 404 emptied
// the state while the registry still held every artifact.
func TestAccFlappingStore_destroyRetriesAndEmptiesRegistry(t *testing.T) {
	flap := newFlappingStore(300*time.Millisecond, false)
	reg := startInProcessRegistry(t, 100, func(h http.Handler) http.Handler {
		flap.next = h
		return flap
	})
	var urls, want []string
	for range 3 {
		url, _ := testAccURL("model")
		urls = append(urls, url)
		want = append(want, "model "+url)
	}
	config := flappingConfig(reg.URL, urls)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			if n := flap.flapped(); n != len(urls) {
				return fmt.Errorf("the store flapped for %d artifacts, want %d: the test did not test the flapping", n, len(urls))
			}
			return reg.checkHolds(t)
		},
		Steps: []resource.TestStep{{
			Config:            config,
			ConfigStateChecks: []statecheck.StateCheck{reg.holdsExactly(t, want...)},
		}},
	})
}

// A registry whose store flaps on every DELETE: destroy fails with an
// error that names the artifact and says the answers disagree, the
// artifact stays in state (the next plan is empty), and once the registry
// behaves, destroy empties it.
func TestAccFlappingStore_forever(t *testing.T) {
	flap := newFlappingStore(300*time.Millisecond, true)
	reg := startInProcessRegistry(t, 100, func(h http.Handler) http.Handler {
		flap.next = h
		return flap
	})
	url, _ := testAccURL("model")
	config := flappingConfig(reg.URL, []string{url})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             reg.emptyAfterDestroy(t),
		Steps: []resource.TestStep{
			{
				Config:            config,
				ConfigStateChecks: []statecheck.StateCheck{reg.holdsExactly(t, "model "+url)},
			},
			{
				Config:  config,
				Destroy: true,
				ExpectError: regexp.MustCompile(`(?s)Cannot delete registry_artifact.*artifact\s+model/\S+\s+keep\s+disagreeing.*` +
					`stays\s+in\s+the\s+Terraform\s+state`),
			},
			{
				// Still in state and in the registry: nothing to do.
				PreConfig: func() { flap.off.Store(true) },
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{reg.holdsExactly(t, "model "+url)},
			},
		},
	})
}
