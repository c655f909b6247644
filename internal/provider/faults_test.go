package provider

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// Fault modes of faultProxy, applied to every fifth request.
const (
	// faultDropAnswer forwards the request, then closes the connection
	// without answering: the registry acted, the client does not know.
	faultDropAnswer = "drop the answer"
	// faultReject answers 503 or resets the connection (alternately)
	// without forwarding: the registry did nothing.
	faultReject = "503 or reset before forwarding"
	// faultDelay holds the request past the client's request_timeout, then
	// forwards it anyway: the registry acts after the client gave up.
	faultDelay = "delay past request_timeout"
)

// faultProxy is a loopback HTTP proxy in front of a registry that injects
// one fault into every fifth request.
type faultProxy struct {
	upstream string
	mode     string
	delay    time.Duration
	requests atomic.Int64
	faults   atomic.Int64
	// createFaults counts the faulted creates (POST /artifact/{type}).
	createFaults atomic.Int64
}

const faultEvery = 5

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := p.requests.Add(1)
	faulty := n%faultEvery == 0
	body, _ := io.ReadAll(r.Body)
	if faulty {
		p.faults.Add(1)
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/artifact/") {
			p.createFaults.Add(1)
		}
		switch p.mode {
		case faultReject:
			if (n/faultEvery)%2 == 1 {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, `{"error":"injected: service unavailable"}`)
			} else {
				resetConnection(w)
			}
			return
		case faultDelay:
			time.Sleep(p.delay)
		}
	}
	// The registry acts even when the client has given up.
	resp, err := p.forward(context.WithoutCancel(r.Context()), r, body)
	if err != nil {
		http.Error(w, "proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if faulty && p.mode == faultDropAnswer {
		resetConnection(w)
		return
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
}

func (p *faultProxy) forward(ctx context.Context, r *http.Request, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, r.Method, p.upstream+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = r.Header.Clone()
	return http.DefaultTransport.RoundTrip(req)
}

// resetConnection closes the client's connection without an answer, with a
// TCP reset where the platform allows it.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// faultConfig is count artifacts of each type, with adopt_existing.
func faultConfig(endpoint string, urls map[string]string) string {
	var b strings.Builder
	b.WriteString(inProcessProviderConfig(endpoint, `request_timeout = "1s"
  max_retries     = 4`))
	for name, url := range urls {
		typ := strings.SplitN(name, "_", 2)[0]
		fmt.Fprintf(&b, `
resource "registry_artifact" %q {
  type           = %q
  url            = %q
  adopt_existing = true
}
`, name, typ, url)
	}
	return b.String()
}

// Under every fault mode, with every fifth request faulted, one apply
// creates each artifact exactly once (no duplicates, counted by url on the
// server), the next plan is empty, and destroy empties the registry
// (problems 5 and 6 of issue 8).
func TestAccFaults_applyConverges(t *testing.T) {
	for _, mode := range []string{faultDropAnswer, faultReject, faultDelay} {
		t.Run(strings.ReplaceAll(mode, " ", "_"), func(t *testing.T) {
			reg := startInProcessRegistry(t, 3, nil)
			proxy := &faultProxy{upstream: reg.URL, mode: mode, delay: 1500 * time.Millisecond}
			front := httptest.NewServer(proxy)
			t.Cleanup(front.Close)

			urls := map[string]string{}
			var want []string
			for i, typ := range []string{"model", "model", "dataset", "dataset", "code", "code"} {
				url, _ := testAccURL(typ)
				urls[fmt.Sprintf("%s_%d", typ, i)] = url
				want = append(want, typ+" "+url)
			}
			config := faultConfig(front.URL, urls)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy: func(*terraform.State) error {
					return reg.checkHolds(t)
				},
				Steps: []resource.TestStep{
					{
						Config:            config,
						ConfigStateChecks: []statecheck.StateCheck{reg.holdsExactly(t, want...)},
					},
					{
						Config: config,
						ConfigPlanChecks: resource.ConfigPlanChecks{
							PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
						},
						ConfigStateChecks: []statecheck.StateCheck{reg.holdsExactly(t, want...)},
					},
				},
			})
			// The apply authenticates once, then sends the six creates: the
			// fifth request is one of them.
			if proxy.createFaults.Load() == 0 {
				t.Fatalf("no create was faulted (%d faults in %d requests): the test did not test the create", proxy.faults.Load(), proxy.requests.Load())
			}
			t.Logf("%s: %d faults (%d of them on a create) in %d requests", mode, proxy.faults.Load(), proxy.createFaults.Load(), proxy.requests.Load())
		})
	}
}

// crashAfterCreate lets the registry commit the next create, then drops
// the connection without an answer and stays down (every connection
// closed) until restarted: a server that dies right after committing.
type crashAfterCreate struct {
	next  http.Handler
	armed atomic.Bool
	down  atomic.Bool
}

func (c *crashAfterCreate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c.down.Load() {
		resetConnection(w)
		return
	}
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/artifact/") && c.armed.Load() {
		rec := httptest.NewRecorder()
		c.next.ServeHTTP(rec, r)
		if rec.Code == http.StatusCreated {
			c.armed.Store(false)
			c.down.Store(true)
			resetConnection(w)
			return
		}
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	c.next.ServeHTTP(w, r)
}

// The registry commits a create and dies before answering (problem 5).
// The apply fails: whether the artifact exists cannot be known while the
// registry is down. Once it is back, with adopt_existing the next apply
// adopts the artifact (1 artifact in the registry, a clean plan after);
// without it, the apply fails with the import command.
func TestAccFaults_crashAfterCreate(t *testing.T) {
	for _, adopt := range []bool{true, false} {
		t.Run(fmt.Sprintf("adopt_existing=%t", adopt), func(t *testing.T) {
			crash := &crashAfterCreate{}
			crash.armed.Store(true)
			reg := startInProcessRegistry(t, 100, func(h http.Handler) http.Handler {
				crash.next = h
				return crash
			})
			url, _ := testAccURL("model")
			config := inProcessProviderConfig(reg.URL, `max_retries = 1`) + fmt.Sprintf(`
resource "registry_artifact" "test" {
  type           = "model"
  url            = %q
  adopt_existing = %t
}
`, url, adopt)
			restart := func() { crash.down.Store(false) }
			steps := []resource.TestStep{{
				Config:      config,
				ExpectError: regexp.MustCompile(`whether\s+the\s+registry\s+created\s+the\s+model\s+nonetheless\s+is\s+unknown`),
			}}
			if adopt {
				steps = append(steps,
					resource.TestStep{
						PreConfig:         restart,
						Config:            config,
						ConfigStateChecks: []statecheck.StateCheck{reg.holdsExactly(t, "model "+url)},
					},
					resource.TestStep{
						Config: config,
						ConfigPlanChecks: resource.ConfigPlanChecks{
							PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
						},
					})
			} else {
				steps = append(steps, resource.TestStep{
					PreConfig:   restart,
					Config:      config,
					ExpectError: regexp.MustCompile(`(?s)Artifact already exists.*terraform\s+import\s+registry_artifact.<name>\s+model/`),
				})
			}
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    steps,
			})
			want := []string{}
			if !adopt {
				// Not in state, so not destroyed: still the one artifact.
				want = append(want, "model "+url)
			}
			if err := reg.checkHolds(t, want...); err != nil {
				t.Error(err)
			}
		})
	}
}
