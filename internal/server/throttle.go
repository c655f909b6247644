package server

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// Throttle limits password guessing on PUT /authenticate and, when asked,
// the request rate of each token. A zero field takes its default.
type Throttle struct {
	// Off turns the failure limits of /authenticate off (they are on by
	// default); the bound on concurrent bcrypt work stays.
	Off bool
	// UserFailures is how many failed attempts one user name may have in a
	// burst before 429 (5).
	UserFailures int
	// AddressFailures is the same per client address (20).
	AddressFailures int
	// FailureRefill is how often one more failure is allowed again, per
	// user name and per address (10s): after a burst, one guess per
	// FailureRefill.
	FailureRefill time.Duration
	// BcryptConcurrency bounds the password checks that run at once, so
	// that a flood of guesses cannot take every core (half of GOMAXPROCS,
	// at least 1).
	BcryptConcurrency int
	// TokenRate, when positive, limits each token to this many requests per
	// second on average (off by default).
	TokenRate float64
	// TokenBurst is how many requests a token may send at once above
	// TokenRate (default: TokenRate rounded up, at least 1).
	TokenBurst int
}

// DefaultThrottle is the throttling when none is configured.
var DefaultThrottle = Throttle{
	UserFailures:      5,
	AddressFailures:   20,
	FailureRefill:     10 * time.Second,
	BcryptConcurrency: max(1, runtime.GOMAXPROCS(0)/2),
}

func (t Throttle) withDefaults() Throttle {
	d := DefaultThrottle
	if t.UserFailures <= 0 {
		t.UserFailures = d.UserFailures
	}
	if t.AddressFailures <= 0 {
		t.AddressFailures = d.AddressFailures
	}
	if t.FailureRefill <= 0 {
		t.FailureRefill = d.FailureRefill
	}
	if t.BcryptConcurrency <= 0 {
		t.BcryptConcurrency = d.BcryptConcurrency
	}
	if t.TokenRate > 0 && t.TokenBurst <= 0 {
		t.TokenBurst = max(1, int(math.Ceil(t.TokenRate)))
	}
	return t
}

// buckets are token buckets by key: each holds up to capacity tokens and
// gains one every refill.
type buckets struct {
	mu       sync.Mutex
	capacity float64
	refill   time.Duration
	m        map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxBucketKeys bounds the memory of one buckets: past it, the keys whose
// bucket is full again (they would start afresh anyway) are forgotten, and
// if none is, one key chosen at random.
const maxBucketKeys = 10000

func newBuckets(capacity int, refill time.Duration) *buckets {
	return &buckets{capacity: float64(capacity), refill: refill, m: map[string]*bucket{}}
}

// level refills b up to now and returns its tokens; the caller holds mu.
func (bs *buckets) level(b *bucket, now time.Time) float64 {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = math.Min(bs.capacity, b.tokens+float64(d)/float64(bs.refill))
		b.at = now
	}
	return b.tokens
}

// take removes one token of key. When there is none it returns false and
// how long until there is one.
func (bs *buckets) take(key string, now time.Time) (bool, time.Duration) {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	b, ok := bs.m[key]
	if !ok {
		if len(bs.m) >= maxBucketKeys {
			for k, o := range bs.m {
				if bs.level(o, now) >= bs.capacity {
					delete(bs.m, k)
				}
			}
			for k := range bs.m {
				if len(bs.m) < maxBucketKeys {
					break
				}
				delete(bs.m, k)
			}
		}
		b = &bucket{tokens: bs.capacity, at: now}
		bs.m[key] = b
	}
	if t := bs.level(b, now); t < 1 {
		return false, time.Duration((1 - t) * float64(bs.refill))
	}
	b.tokens--
	return true, 0
}

// give returns a token taken from key.
func (bs *buckets) give(key string) {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if b, ok := bs.m[key]; ok {
		b.tokens = math.Min(bs.capacity, b.tokens+1)
	}
}

// throttler holds the state of Throttle.
type throttler struct {
	cfg       Throttle
	users     *buckets
	addresses *buckets
	tokens    *buckets // nil: no per-token limit
	bcrypt    chan struct{}
}

func newThrottler(t Throttle) *throttler {
	t = t.withDefaults()
	th := &throttler{
		cfg:       t,
		users:     newBuckets(t.UserFailures, t.FailureRefill),
		addresses: newBuckets(t.AddressFailures, t.FailureRefill),
		bcrypt:    make(chan struct{}, t.BcryptConcurrency),
	}
	if t.TokenRate > 0 {
		th.tokens = newBuckets(t.TokenBurst, time.Duration(float64(time.Second)/t.TokenRate))
	}
	return th
}

// clientAddress is the host of the connection's remote address. Proxy
// headers are not trusted: anyone could send them.
func clientAddress(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// attempt reserves one failure of name and of the client's address before
// a password check. When either has none left it answers 429 itself and
// returns ok false. Otherwise the caller calls done(success): a success
// gives the reservation back, a failure keeps it.
func (th *throttler) attempt(w http.ResponseWriter, r *http.Request, name string, now time.Time) (done func(success bool), ok bool) {
	if th.cfg.Off {
		return func(bool) {}, true
	}
	addr := clientAddress(r)
	okUser, waitUser := th.users.take(name, now)
	okAddr, waitAddr := th.addresses.take(addr, now)
	if !okUser || !okAddr {
		if okUser {
			th.users.give(name)
		}
		if okAddr {
			th.addresses.give(addr)
		}
		tooMany(w, max(waitUser, waitAddr), "too many failed authentication attempts for this user or from this address")
		return nil, false
	}
	return func(success bool) {
		if success {
			th.users.give(name)
			th.addresses.give(addr)
		}
	}, true
}

// checkPassword runs check with at most BcryptConcurrency others at once.
// It returns false without running check when ctx ends first.
func (th *throttler) checkPassword(ctx context.Context, check func() bool) (valid, ran bool) {
	select {
	case th.bcrypt <- struct{}{}:
	case <-ctx.Done():
		return false, false
	}
	defer func() { <-th.bcrypt }()
	return check(), true
}

// allowToken applies the per-token limit, answering 429 itself when the
// token has no request left.
func (th *throttler) allowToken(w http.ResponseWriter, token string, now time.Time) bool {
	if th.tokens == nil {
		return true
	}
	ok, wait := th.tokens.take(token, now)
	if !ok {
		tooMany(w, wait, fmt.Sprintf("this token sent more than %g requests per second", th.cfg.TokenRate))
	}
	return ok
}

// tooMany answers 429 with Retry-After in whole seconds (at least 1).
func tooMany(w http.ResponseWriter, wait time.Duration, why string) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeError(w, http.StatusTooManyRequests, fmt.Sprintf("%s: try again in %d s", why, secs))
}
