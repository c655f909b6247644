package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/defaultadmin"
)

// UserSpec is one user as REGISTRY_USERS_FILE lists them: a JSON array of
// {"name": ..., "password": ..., "is_admin": ...}.
type UserSpec struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	IsAdmin  bool   `json:"is_admin"`
}

// LoadUsers returns the default admin (with adminPassword, or the spec's
// example password when it is empty) followed by the users of usersFile
// (none when it is empty).
func LoadUsers(adminPassword, usersFile string) ([]UserSpec, error) {
	if adminPassword == "" {
		adminPassword = defaultadmin.Password
	}
	users := []UserSpec{{Name: defaultadmin.Name, Password: adminPassword, IsAdmin: true}}
	if usersFile == "" {
		return users, nil
	}
	b, err := os.ReadFile(usersFile)
	if err != nil {
		return nil, fmt.Errorf("REGISTRY_USERS_FILE: %w", err)
	}
	var extra []UserSpec
	if err := json.Unmarshal(b, &extra); err != nil {
		return nil, fmt.Errorf("REGISTRY_USERS_FILE %s: want a JSON array of {\"name\", \"password\", \"is_admin\"}: %w", usersFile, err)
	}
	return append(users, extra...), nil
}

type user struct {
	hash    []byte
	isAdmin bool
	// version names the user's current password (see tokenSigner): a token
	// issued under another password is revoked.
	version string
}

// hashUsers checks and bcrypt-hashes the users' passwords.
func hashUsers(specs []UserSpec, tokens tokenSigner) (map[string]user, error) {
	out := make(map[string]user, len(specs))
	for i, u := range specs {
		if u.Name == "" || u.Password == "" {
			return nil, fmt.Errorf("user %d: name and password are required", i+1)
		}
		if _, dup := out[u.Name]; dup {
			return nil, fmt.Errorf("user %q is defined twice (the default admin's password is set with REGISTRY_ADMIN_PASSWORD)", u.Name)
		}
		h, err := bcrypt.GenerateFromPassword([]byte(u.Password), bcrypt.DefaultCost)
		if err != nil {
			// bcrypt takes at most 72 bytes; say so without echoing it.
			return nil, fmt.Errorf("user %q: password not usable: %w", u.Name, err)
		}
		out[u.Name] = user{hash: h, isAdmin: u.IsAdmin, version: tokens.credentialVersion(u.Name, u.Password)}
	}
	return out, nil
}

// tokenSigner issues and checks HMAC-SHA256 signed tokens:
// base64url(claims JSON) "." base64url(HMAC(secret, first part)).
//
// Revocation without a token table: a token names the user's credential
// version (an HMAC of the name and password under the secret, so it
// changes with the password and reveals nothing of it) and the storage's
// reset generation. A new password (REGISTRY_ADMIN_PASSWORD or the users
// file, read at start) or a DELETE /reset makes every earlier token fail.
type tokenSigner struct {
	secret []byte
	ttl    time.Duration
}

// tokenClaims times are Unix nanoseconds: a TOKEN_TTL under a second is
// honoured exactly.
type tokenClaims struct {
	User       string `json:"sub"`
	Credential string `json:"cv"`
	Generation int64  `json:"gen"`
	Issued     int64  `json:"iat_ns"`
	Expires    int64  `json:"exp_ns"`
}

// RandomSecret returns a fresh 32-byte secret: tokens signed with it die
// with the process.
func RandomSecret() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return b
}

func (t tokenSigner) sign(payload string) string {
	m := hmac.New(sha256.New, t.secret)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// credentialVersion names a password of name without revealing it.
func (t tokenSigner) credentialVersion(name, password string) string {
	m := hmac.New(sha256.New, t.secret)
	m.Write([]byte("credential\x00" + name + "\x00" + password))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12])
}

func (t tokenSigner) issue(name, credential string, generation int64, now time.Time) string {
	b, _ := json.Marshal(tokenClaims{User: name, Credential: credential, Generation: generation,
		Issued: now.UnixNano(), Expires: now.Add(t.ttl).UnixNano()})
	payload := base64.RawURLEncoding.EncodeToString(b)
	return payload + "." + t.sign(payload)
}

var errBadToken = errors.New("invalid or expired token")

// verify checks the signature and the expiry and returns the claims; the
// caller checks the credential version and the generation.
func (t tokenSigner) verify(tok string, now time.Time) (tokenClaims, error) {
	payload, sig, ok := strings.Cut(tok, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(t.sign(payload))) {
		return tokenClaims{}, errBadToken
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return tokenClaims{}, errBadToken
	}
	var c tokenClaims
	if err := json.Unmarshal(b, &c); err != nil || c.User == "" {
		return tokenClaims{}, errBadToken
	}
	if now.UnixNano() >= c.Expires {
		return tokenClaims{}, errBadToken
	}
	return c, nil
}

// GenerationMaxAge is how long a server trusts the reset generation it
// last read from the storage when it checks a token: a reset through
// another server sharing the storage revokes the tokens on this one within
// that time (SQLite and this server's own resets: at once).
const GenerationMaxAge = time.Second

// issueFor issues a token of a configured user under the current
// credential version and the reset generation read now, so that a token
// issued just after a reset elsewhere is not revoked by it.
func (s *Server) issueFor(ctx context.Context, name string, now time.Time) (string, error) {
	gen, err := s.store.Generation(ctx, 0)
	if err != nil {
		return "", err
	}
	return s.tokens.issue(name, s.users[name].version, gen, now), nil
}

// tokenError is why a request's token is refused: the message of the 403.
type tokenError string

func (e tokenError) Error() string { return string(e) }

// principalFrom checks the request's token. Without a usable one it
// returns a tokenError; another error is the storage's, which could not
// say whether the token was revoked.
func (s *Server) principalFrom(r *http.Request) (principal, error) {
	tok := tokenFromHeaders(r.Header)
	if tok == "" {
		return principal{}, tokenError("missing authentication token: send the token from PUT /authenticate in the X-Authorization header")
	}
	c, err := s.tokens.verify(tok, s.cfg.Now())
	if err != nil {
		return principal{}, tokenError("authentication token is invalid or expired: authenticate again with PUT /authenticate")
	}
	u, ok := s.users[c.User]
	if !ok {
		return principal{}, tokenError("authentication token names an unknown user: authenticate again with PUT /authenticate")
	}
	gen, err := s.store.Generation(r.Context(), GenerationMaxAge)
	if err == nil && c.Generation != gen {
		// Issued after the generation this server last read (a reset
		// elsewhere), or revoked: read it afresh to tell which.
		gen, err = s.store.Generation(r.Context(), 0)
	}
	if err != nil {
		return principal{}, err
	}
	if c.Credential != u.version || c.Generation != gen {
		return principal{}, tokenError("authentication token was revoked (the password changed or the registry was reset): authenticate again with PUT /authenticate")
	}
	return principal{Name: c.User, IsAdmin: u.isAdmin, token: tok}, nil
}

// tokenFromHeaders reads X-Authorization (the spec's header) or
// Authorization, with or without the "bearer " prefix.
func tokenFromHeaders(h interface{ Get(string) string }) string {
	v := h.Get("X-Authorization")
	if v == "" {
		v = h.Get("Authorization")
	}
	v = strings.TrimSpace(v)
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		v = strings.TrimSpace(v[7:])
	}
	return v
}
