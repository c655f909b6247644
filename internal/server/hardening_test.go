package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/store"
	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// The reliability suite of the attacks and faults that once broke the
// server (issue 11). Times are asserted with generous bounds only: each
// bound is far below what the unbounded behaviour takes.

// frozenClock stops the server's clock at the start of the test: it moves
// only by what the test adds to off, so that a slow machine cannot expire
// a token or refill a bucket behind the test's back.
func frozenClock(off *atomic.Int64) harnessOption {
	base := time.Now()
	return func(c *Config) { c.Now = func() time.Time { return base.Add(time.Duration(off.Load())) } }
}

// Urls, names and patterns over their limits are refused with 400 before
// anything is stored or scanned.
func TestInputBounds(t *testing.T) {
	h := newHarness(t, newLocation(t, "memory"), func(c *Config) {
		c.Limits = Limits{MaxURLBytes: 200, MaxNameBytes: 40, MaxRegexBytes: 30}
	})
	tok := h.login(defaultadmin.Name, adminPassword)
	a := h.create(tok, "model", "https://huggingface.co/org/short")
	long := "https://huggingface.co/org/" + strings.Repeat("m", 200)
	for _, c := range []struct {
		method, path string
		body         any
		want         string
	}{
		{http.MethodPost, "/artifact/model", map[string]string{"url": long}, "url is 227 bytes long, more than the limit of 200 bytes"},
		{http.MethodPost, "/artifact/model", map[string]string{"url": "https://huggingface.co/org/" + strings.Repeat("n", 41)}, "the name derived from the url is 41 bytes long, more than the limit of 40 bytes"},
		{http.MethodPut, string("/artifacts/model/" + a.Metadata.ID), map[string]any{"metadata": a.Metadata, "data": map[string]string{"url": long}}, "data.url is 227 bytes long"},
		{http.MethodGet, "/artifact/byName/" + strings.Repeat("x", 41), nil, "the artifact name is 41 bytes long"},
		{http.MethodPost, "/artifact/byRegEx", map[string]string{"regex": strings.Repeat("a", 31)}, "regex is 31 bytes long, more than the limit of 30 bytes"},
		{http.MethodPost, "/artifact/byRegEx", map[string]string{"regex": "[a-z]{999}[0-9]"}, "too costly"},
		{http.MethodPut, "/authenticate", authBody(strings.Repeat("u", 41), "x"), "user.name is 41 bytes long"},
	} {
		res := h.do(c.method, c.path, c.body, tok)
		if res.status != http.StatusBadRequest || !strings.Contains(res.errorMessage(t), c.want) {
			t.Errorf("%s %s: %d %s, want 400 saying %q", c.method, c.path, res.status, res.body, c.want)
		}
	}
	res := h.do(http.MethodPost, "/artifacts", `[{"name":"*"}]`, tok)
	var all []wire.ArtifactMetadata
	res.decode(t, &all)
	if len(all) != 1 {
		t.Errorf("refused creates stored something: %s", res.body)
	}
}

// costlyRegistry stores n artifacts whose names and READMEs are at the
// limits, and returns a pattern within the limits that is slow on them.
func costlyRegistry(t *testing.T, h *harness, n int) string {
	t.Helper()
	name := strings.Repeat("a", DefaultLimits.MaxNameBytes)
	readme := strings.Repeat("a", DefaultLimits.MaxReadmeBytes)
	for i := range n {
		_, err := h.st.Create(context.Background(), store.Record{
			Metadata: wire.ArtifactMetadata{Name: name, Type: "model"}, URL: fmt.Sprintf("https://huggingface.co/org/m%d", i),
			HFData: []map[string]any{{"readme_text": readme}}, CreatedAt: time.Now(), CreatedBy: defaultadmin.Name,
		}, wire.ArtifactAuditEntry{Action: store.ActionCreate})
		if err != nil {
			t.Fatal(err)
		}
	}
	// About 490 instructions: some 0.25 s per artifact on these texts, 15 s
	// for 60 of them.
	return `[a-z]{488}[0-9]`
}

// A search that outlasts SEARCH_TIMEOUT answers 503 with a JSON error and
// stops: 60 costly artifacts take many seconds to scan, the answer comes
// within a fraction of that.
func TestSearchDeadline(t *testing.T) {
	var logs captureLog
	h := newHarness(t, newLocation(t, "memory"), func(c *Config) {
		c.Limits = Limits{SearchTimeout: 300 * time.Millisecond}
		c.Logger = logs.logger()
	})
	pattern := costlyRegistry(t, h, 60)
	tok := h.login(defaultadmin.Name, adminPassword)
	req := newRequest(t, http.MethodPost, "/artifact/byRegEx", `{"regex":"`+pattern+`"}`)
	req.Header.Set("X-Authorization", tok)
	start := time.Now()
	rec := serveRecorder(h, req) // h.do refuses every 5xx
	took := time.Since(start)
	res := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	if res.status != http.StatusServiceUnavailable || !strings.Contains(res.errorMessage(t), "longer than the limit of 300ms") {
		t.Fatalf("costly search: %d %s, want 503", res.status, res.body)
	}
	t.Logf("answered 503 after %v", took)
	if took > 5*time.Second {
		t.Errorf("the search answered after %v: it did not stop at its 300ms deadline", took)
	}
	if !logs.has("WARN", "search stopped at its deadline") {
		t.Errorf("the stopped search is not logged")
	}
}

// A client that goes away stops its search: the handler returns soon after
// the connection closes, although the search deadline is far away.
func TestSearchStopsForGoneClient(t *testing.T) {
	h := newHarness(t, newLocation(t, "memory"), func(c *Config) {
		c.Limits = Limits{SearchTimeout: 10 * time.Minute}
	})
	pattern := costlyRegistry(t, h, 60)
	tok := h.login(defaultadmin.Name, adminPassword)
	handlerDone := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(handlerDone)
		h.srv.Handler().ServeHTTP(w, r)
	}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/artifact/byRegEx", strings.NewReader(`{"regex":"`+pattern+`"}`))
	req.Header.Set("X-Authorization", tok)
	errc := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			err = fmt.Errorf("answered %d before the client went away", res.StatusCode)
		}
		errc <- err
	}()
	time.Sleep(300 * time.Millisecond)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("client: %v", err)
	}
	gone := time.Now()
	select {
	case <-handlerDone:
		t.Logf("handler returned %v after the client went away", time.Since(gone))
	case <-time.After(5 * time.Second):
		t.Fatal("the search still runs 5s after its client went away")
	}
}

// A token names its user's password (credential version) and the reset
// generation: a server restarted with a new password for the user, on the
// same data and TOKEN_SECRET, refuses that user's earlier tokens and keeps
// the others'. A reset revokes every token, also across a restart.
func TestTokenRevocation(t *testing.T) {
	for _, backend := range []string{"sqlite", "s3"} { // memory does not outlive a restart
		t.Run(backend, func(t *testing.T) { testTokenRevocation(t, newLocation(t, backend)) })
	}
}

func testTokenRevocation(t *testing.T, loc location) {
	secret := []byte("shared token secret")
	withUsers := func(users []UserSpec) harnessOption {
		return func(c *Config) { c.TokenSecret = secret; c.Users = users }
	}
	first := newHarness(t, loc, withUsers(testUsers))
	admin := first.login(defaultadmin.Name, adminPassword)
	alice := first.login(userName, userPassword)

	rotated := []UserSpec{testUsers[0], {Name: userName, Password: "alice's new password"}}
	second := newHarness(t, loc, withUsers(rotated))
	if res := second.do(http.MethodPost, "/artifacts", `[{"name":"*"}]`, alice); res.status != http.StatusForbidden || !strings.Contains(res.errorMessage(t), "revoked") {
		t.Errorf("alice's token after her password changed: %d %s, want 403 revoked", res.status, res.body)
	}
	if res := second.do(http.MethodPost, "/artifacts", `[{"name":"*"}]`, admin); res.status != http.StatusOK {
		t.Errorf("the admin's token (password unchanged) after a restart: %d %s, want 200", res.status, res.body)
	}
	alice = second.login(userName, "alice's new password")
	if res := second.do(http.MethodPost, "/artifacts", `[{"name":"*"}]`, alice); res.status != http.StatusOK {
		t.Errorf("alice's new token: %d %s", res.status, res.body)
	}

	if res := second.do(http.MethodDelete, "/reset", nil, admin); res.status != http.StatusOK {
		t.Fatalf("reset: %d %s", res.status, res.body)
	}
	third := newHarness(t, loc, withUsers(rotated))
	for who, tok := range map[string]string{"admin": admin, "alice": alice} {
		if res := third.do(http.MethodPost, "/artifacts", `[{"name":"*"}]`, tok); res.status != http.StatusForbidden {
			t.Errorf("%s's token of before the reset, after a restart: %d, want 403", who, res.status)
		}
	}
	if res := third.do(http.MethodPost, "/artifacts", `[{"name":"*"}]`, third.login(defaultadmin.Name, adminPassword)); res.status != http.StatusOK {
		t.Errorf("a token issued after the reset: %d %s", res.status, res.body)
	}
}

// TOKEN_TTL is honoured to the nanosecond, not rounded down to the second.
func TestSubSecondTokenTTL(t *testing.T) {
	var off atomic.Int64
	h := newHarness(t, newLocation(t, "memory"), frozenClock(&off), func(c *Config) { c.TokenTTL = 300 * time.Millisecond })
	tok := h.login(defaultadmin.Name, adminPassword)
	for _, c := range []struct {
		at   time.Duration
		want int
	}{{0, http.StatusOK}, {290 * time.Millisecond, http.StatusOK}, {300 * time.Millisecond, http.StatusForbidden}} {
		off.Store(int64(c.at))
		if res := h.do(http.MethodPost, "/artifacts", `[{"name":"*"}]`, tok); res.status != c.want {
			t.Errorf("token of a 300ms TTL at +%v: %d, want %d", c.at, res.status, c.want)
		}
	}
}

// Failed attempts are limited per user name and per client address: past
// the configured number, 429 with Retry-After, and no password check, so
// even the right password waits. Another user is not affected, and the
// limit lifts as the bucket refills.
func TestAuthenticateThrottle(t *testing.T) {
	var off atomic.Int64
	h := newHarness(t, newLocation(t, "memory"), frozenClock(&off), func(c *Config) {
		c.Throttle = Throttle{UserFailures: 3, AddressFailures: 6, FailureRefill: time.Minute}
	})
	wrong := func(name string) response {
		return h.do(http.MethodPut, "/authenticate", authBody(name, "not the password"), "")
	}
	for i := range 3 {
		if res := wrong(defaultadmin.Name); res.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, res.status)
		}
	}
	for _, res := range []response{wrong(defaultadmin.Name), h.do(http.MethodPut, "/authenticate", authBody(defaultadmin.Name, adminPassword), "")} {
		retry, _ := strconv.Atoi(res.header.Get("Retry-After"))
		if res.status != http.StatusTooManyRequests || retry < 1 || retry > 60 || !strings.Contains(res.errorMessage(t), "too many failed authentication attempts") {
			t.Fatalf("after 3 failures: %d Retry-After %q %s, want 429 with Retry-After 1..60", res.status, res.header.Get("Retry-After"), res.body)
		}
	}
	// Alice is a separate name, but the address has 3 failures left.
	h.login(userName, userPassword)
	for i := range 3 {
		if res := wrong(fmt.Sprintf("guess-%d", i)); res.status != http.StatusUnauthorized {
			t.Fatalf("failure %d of the address: %d, want 401", 4+i, res.status)
		}
	}
	if res := wrong("guess-x"); res.status != http.StatusTooManyRequests {
		t.Errorf("7th failure from one address: %d, want 429", res.status)
	}
	// A successful login gives its reservation back: it never counts.
	off.Store(int64(time.Minute))
	h.login(defaultadmin.Name, adminPassword)
	h.login(defaultadmin.Name, adminPassword)
	if res := wrong(defaultadmin.Name); res.status != http.StatusUnauthorized {
		t.Errorf("a minute later: %d, want 401 (one failure allowed again)", res.status)
	}
}

// Throttle.Off turns the failure limits off.
func TestAuthenticateThrottleOff(t *testing.T) {
	h := newHarness(t, newLocation(t, "memory"), func(c *Config) { c.Throttle = Throttle{Off: true, UserFailures: 1} })
	for range 3 {
		if res := h.do(http.MethodPut, "/authenticate", authBody(defaultadmin.Name, "nope"), ""); res.status != http.StatusUnauthorized {
			t.Fatalf("with throttling off: %d, want 401", res.status)
		}
	}
}

// At most BcryptConcurrency password checks run at once, however many
// requests wait; a waiting check whose client is gone does not run.
func TestBcryptConcurrencyBound(t *testing.T) {
	th := newThrottler(Throttle{BcryptConcurrency: 2})
	var running, most atomic.Int32
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			th.checkPassword(context.Background(), func() bool {
				n := running.Add(1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(5 * time.Millisecond)
				running.Add(-1)
				return false
			})
		})
	}
	wg.Wait()
	if most.Load() > 2 {
		t.Errorf("%d password checks ran at once, want at most 2", most.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	th.bcrypt <- struct{}{}
	th.bcrypt <- struct{}{}
	if _, ran := th.checkPassword(ctx, func() bool { return true }); ran {
		t.Errorf("a check ran for a client that was gone")
	}
}

// The per-token limit is off by default; when set, a token past its burst
// gets 429 with Retry-After, and other tokens are not affected.
func TestTokenRateLimit(t *testing.T) {
	h := newHarness(t, newLocation(t, "memory"))
	tok := h.login(defaultadmin.Name, adminPassword)
	for i := range 50 {
		if res := h.do(http.MethodPost, "/artifacts", `[{"name":"*"}]`, tok); res.status != http.StatusOK {
			t.Fatalf("request %d without a per-token limit: %d", i+1, res.status)
		}
	}

	var off atomic.Int64
	h = newHarness(t, newLocation(t, "memory"), frozenClock(&off), func(c *Config) { c.Throttle = Throttle{TokenRate: 0.5, TokenBurst: 2} })
	tok = h.login(defaultadmin.Name, adminPassword)
	other := h.login(userName, userPassword)
	for i := range 2 {
		if res := h.do(http.MethodPost, "/artifacts", `[{"name":"*"}]`, tok); res.status != http.StatusOK {
			t.Fatalf("request %d within the burst: %d", i+1, res.status)
		}
	}
	res := h.do(http.MethodPost, "/artifacts", `[{"name":"*"}]`, tok)
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "2" {
		t.Errorf("past the burst: %d Retry-After %q %s, want 429 with Retry-After 2", res.status, res.header.Get("Retry-After"), res.body)
	}
	res.errorMessage(t)
	if res := h.do(http.MethodPost, "/artifacts", `[{"name":"*"}]`, other); res.status != http.StatusOK {
		t.Errorf("another token: %d, want 200", res.status)
	}
	off.Store(int64(2 * time.Second))
	if res := h.do(http.MethodPost, "/artifacts", `[{"name":"*"}]`, tok); res.status != http.StatusOK {
		t.Errorf("2s later: %d, want 200", res.status)
	}
}

// /health/components shows statuses to anyone, and where the data lives
// (here the SQLite file's path) only with a valid token.
func TestHealthDetailsNeedToken(t *testing.T) {
	loc := newLocation(t, "sqlite")
	h := newHarness(t, loc, func(c *Config) { c.Version = "v-secret-build" })
	anon := h.do(http.MethodGet, "/health/components", nil, "")
	var hc wire.HealthComponentCollection
	anon.decode(t, &hc)
	if len(hc.Components) != 2 || hc.Components[1].Status != "ok" {
		t.Errorf("statuses without a token: %s", anon.body)
	}
	for _, secret := range []string{loc.path, "v-secret-build"} {
		if strings.Contains(string(anon.body), secret) {
			t.Errorf("without a token, /health/components shows %q: %s", secret, anon.body)
		}
	}
	authed := h.do(http.MethodGet, "/health/components", nil, h.login(defaultadmin.Name, adminPassword))
	if !strings.Contains(string(authed.body), loc.path) {
		t.Errorf("with a token, the details are missing: %s", authed.body)
	}
	forged := h.do(http.MethodGet, "/health/components", nil, "bearer x.y")
	if strings.Contains(string(forged.body), loc.path) {
		t.Errorf("an invalid token shows the details: %s", forged.body)
	}
}

// Every write keeps its audit entry with it: after each create and update
// the trail holds exactly its entries, on every backend.
func TestWritesCarryTheirAuditEntry(t *testing.T) {
	forEachBackend(t, func(t *testing.T, loc location) {
		h := newHarness(t, loc)
		tok := h.login(userName, userPassword)
		a := h.create(tok, "dataset", "https://huggingface.co/datasets/org/d")
		if res := h.do(http.MethodPut, string("/artifacts/dataset/"+a.Metadata.ID), map[string]any{"metadata": a.Metadata, "data": map[string]string{"url": "https://huggingface.co/datasets/org/d/tree/main"}}, tok); res.status != http.StatusOK {
			t.Fatalf("update: %d %s", res.status, res.body)
		}
		var trail []wire.ArtifactAuditEntry
		h.do(http.MethodGet, string("/artifact/dataset/"+a.Metadata.ID+"/audit"), nil, tok).decode(t, &trail)
		if len(trail) != 2 || trail[0].Action != store.ActionCreate || trail[1].Action != store.ActionUpdate ||
			trail[0].Artifact != a.Metadata || trail[0].User.Name != userName || trail[1].Artifact != a.Metadata {
			t.Errorf("trail after a create and an update: %+v", trail)
		}
	})
}

// Every handler hands the request's context to the storage: a request
// whose client is already gone writes nothing and answers nothing (the
// memory store, which never waits, is left out).
func TestGoneClientWritesNothing(t *testing.T) {
	for _, backend := range []string{"sqlite", "s3"} {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, newLocation(t, backend))
			tok := h.login(defaultadmin.Name, adminPassword)
			a := h.create(tok, "model", "https://huggingface.co/org/kept")
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			for _, c := range []struct{ method, path, body string }{
				{http.MethodPost, "/artifact/model", `{"url":"https://huggingface.co/org/new"}`},
				{http.MethodPut, string("/artifacts/model/" + a.Metadata.ID), string(`{"metadata":{"name":"kept","id":"` + a.Metadata.ID + `","type":"model"},"data":{"url":"https://huggingface.co/org/moved"}}`)},
				{http.MethodDelete, string("/artifacts/model/" + a.Metadata.ID), ""},
				{http.MethodDelete, "/reset", ""},
				{http.MethodPost, "/artifacts", `[{"name":"*"}]`},
				{http.MethodPost, "/artifact/byRegEx", `{"regex":"kept"}`},
			} {
				req := newRequest(t, c.method, c.path, c.body).WithContext(ctx)
				req.Header.Set("X-Authorization", tok)
				if rec := serveRecorder(h, req); rec.Body.Len() > 0 {
					t.Errorf("%s %s for a gone client answered %d %s", c.method, c.path, rec.Code, rec.Body)
				}
			}
			var all []wire.ArtifactMetadata
			h.do(http.MethodPost, "/artifacts", `[{"name":"*"}]`, tok).decode(t, &all)
			if len(all) != 1 || all[0] != a.Metadata {
				t.Errorf("after requests of gone clients the registry holds %+v, want only %+v", all, a.Metadata)
			}
			var trail []wire.ArtifactAuditEntry
			h.do(http.MethodGet, string("/artifact/model/"+a.Metadata.ID+"/audit"), nil, tok).decode(t, &trail)
			if len(trail) != 1 {
				t.Errorf("audit trail after requests of gone clients: %+v", trail)
			}
		})
	}
}

// The buckets of the throttle forget keys past maxBucketKeys, so a spray
// of distinct user names cannot grow the server's memory without bound.
func TestThrottleMemoryBounded(t *testing.T) {
	bs := newBuckets(1, time.Hour)
	now := time.Now()
	for i := range maxBucketKeys + 500 {
		bs.take(fmt.Sprintf("name-%d", i), now) // each bucket left empty
	}
	if n := len(bs.m); n > maxBucketKeys {
		t.Errorf("%d keys kept, want at most %d", n, maxBucketKeys)
	}
}
