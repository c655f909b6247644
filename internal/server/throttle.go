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

	"golang.org/x/time/rate"
)

// Throttle limits password guessing on PUT /authenticate and, when asked,
// the request rate of each token. A zero field takes its default.
//
// Guesses are throttled, not accounts (OWASP's Authentication Cheat Sheet
// warns that a lockout must not let anyone lock other users out): failed
// attempts count per client address and user name, and per client address
// over all names; a correct password never counts. So a stranger guessing
// the admin's password from another address never makes the admin wait,
// and however many correct logins run at once, none is refused.
type Throttle struct {
	// Off turns the failure limits of /authenticate off (they are on by
	// default); the bound on concurrent bcrypt work stays.
	Off bool
	// UserFailures is how many failed attempts for one user name one client
	// address may make in a burst before 429 (5).
	UserFailures int
	// AddressFailures is how many failed attempts one client address may
	// make in a burst, whatever the names (20).
	AddressFailures int
	// FailureRefill is how often one more failure is allowed again, per
	// address and name and per address (10s): after a burst, one guess per
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

// limiters are rate limiters by key, each full when first used.
type limiters struct {
	mu    sync.Mutex
	limit rate.Limit
	burst int
	m     map[string]*rate.Limiter
}

// maxLimiterKeys bounds the memory of one limiters: past it, the keys
// whose limiter is full again (they would start afresh anyway) are
// forgotten, and if none is, one key chosen at random.
const maxLimiterKeys = 10000

func newLimiters(limit rate.Limit, burst int) *limiters {
	return &limiters{limit: limit, burst: burst, m: map[string]*rate.Limiter{}}
}

// get is the limiter of key.
func (ls *limiters) get(key string, now time.Time) *rate.Limiter {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if l, ok := ls.m[key]; ok {
		return l
	}
	if len(ls.m) >= maxLimiterKeys {
		for k, l := range ls.m {
			if l.TokensAt(now) >= float64(ls.burst) {
				delete(ls.m, k)
			}
		}
		for k := range ls.m {
			if len(ls.m) < maxLimiterKeys {
				break
			}
			delete(ls.m, k)
		}
	}
	l := rate.NewLimiter(ls.limit, ls.burst)
	ls.m[key] = l
	return l
}

// wait is how long until key has one event left (0: it has one now).
func (ls *limiters) wait(key string, now time.Time) time.Duration {
	l := ls.get(key, now)
	tokens := l.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) / float64(l.Limit()) * float64(time.Second))
}

// spend uses one event of key, going into debt if there is none left (a
// guess that was let through while others used the last one).
func (ls *limiters) spend(key string, now time.Time) {
	ls.get(key, now).ReserveN(now, 1)
}

// throttler holds the state of Throttle.
type throttler struct {
	cfg       Throttle
	guesses   *limiters // per client address and user name
	addresses *limiters // per client address
	tokens    *limiters // nil: no per-token limit
	bcrypt    chan struct{}
}

func newThrottler(t Throttle) *throttler {
	t = t.withDefaults()
	refill := rate.Every(t.FailureRefill)
	th := &throttler{
		cfg:       t,
		guesses:   newLimiters(refill, t.UserFailures),
		addresses: newLimiters(refill, t.AddressFailures),
		bcrypt:    make(chan struct{}, t.BcryptConcurrency),
	}
	if t.TokenRate > 0 {
		th.tokens = newLimiters(rate.Limit(t.TokenRate), t.TokenBurst)
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

// verify runs check, the password check of name, for the client of r. It
// answers 429 itself, without running check, when that client has no
// failure left for name or at all; a failed check counts against both,
// a successful one against nothing. ok is false when verify answered or
// the client went away.
func (th *throttler) verify(w http.ResponseWriter, r *http.Request, name string, now func() time.Time, check func() bool) (valid, ok bool) {
	addr := clientAddress(r)
	guess := addr + "\x00" + name // addresses hold no NUL: keys are unambiguous
	refused := func() bool {
		if th.cfg.Off {
			return false
		}
		t := now()
		if wait := th.guesses.wait(guess, t); wait > 0 {
			tooMany(w, wait, "too many failed authentication attempts for this user from this address")
			return true
		}
		if wait := th.addresses.wait(addr, t); wait > 0 {
			tooMany(w, wait, "too many failed authentication attempts from this address")
			return true
		}
		return false
	}
	if refused() {
		return false, false
	}
	checked := false
	valid, ran := th.checkPassword(r.Context(), func() bool {
		// Asked again once a check may run: the guesses checked meanwhile
		// may have used up what was left. So at most BcryptConcurrency-1
		// guesses pass the limit.
		if refused() {
			return false
		}
		checked = true
		return check()
	})
	if !ran || !checked {
		return false, false
	}
	if !valid && !th.cfg.Off {
		t := now()
		th.guesses.spend(guess, t)
		th.addresses.spend(addr, t)
	}
	return valid, true
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
	res := th.tokens.get(token, now).ReserveN(now, 1)
	if wait := res.DelayFrom(now); wait > 0 {
		res.CancelAt(now)
		tooMany(w, wait, fmt.Sprintf("this token sent more than %g requests per second", th.cfg.TokenRate))
		return false
	}
	return true
}

// tooMany answers 429 with Retry-After in whole seconds (at least 1).
func tooMany(w http.ResponseWriter, wait time.Duration, why string) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeError(w, http.StatusTooManyRequests, fmt.Sprintf("%s: try again in %d s", why, secs))
}
