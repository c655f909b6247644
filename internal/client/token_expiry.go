package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// TokenExpiry reads when token was issued and expires from the token
// itself, where it says so: the "iat" and "exp" claims (Unix seconds) of a
// JWT, as the spec's example token is, or the "iat_ns" and "exp_ns" claims
// (Unix nanoseconds) of this project's registry, whose tokens are
// <payload>.<signature>. The "bearer " prefix is ignored. ok is false for a
// token that carries no expiry (an opaque one); issued is zero when the
// token does not say. The registry may still refuse a token at any time.
func TokenExpiry(token string) (issued, expiry time.Time, ok bool) {
	token = strings.TrimSpace(token)
	if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
		token = strings.TrimSpace(token[7:])
	}
	parts := strings.Split(token, ".")
	// The last part is the signature; a JWT's header has no expiry.
	for _, p := range parts[:len(parts)-1] {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(p, "="))
		if err != nil {
			continue
		}
		var claims struct {
			Iat   json.Number `json:"iat"`
			Exp   json.Number `json:"exp"`
			IatNs json.Number `json:"iat_ns"`
			ExpNs json.Number `json:"exp_ns"`
		}
		if json.Unmarshal(b, &claims) != nil {
			continue
		}
		if expiry = claimTime(claims.ExpNs, 1); expiry.IsZero() {
			expiry = claimTime(claims.Exp, time.Second)
		}
		if expiry.IsZero() {
			continue
		}
		if issued = claimTime(claims.IatNs, 1); issued.IsZero() {
			issued = claimTime(claims.Iat, time.Second)
		}
		return issued, expiry, true
	}
	return time.Time{}, time.Time{}, false
}

// claimTime is the time of a numeric claim that counts units since the
// Unix epoch; zero when absent or not positive.
func claimTime(n json.Number, unit time.Duration) time.Time {
	if i, err := n.Int64(); err == nil && i > 0 {
		return time.Unix(0, i*int64(unit))
	}
	if f, err := n.Float64(); err == nil && f > 0 {
		return time.Unix(0, int64(f*float64(unit)))
	}
	return time.Time{}
}

// TokenValidFor returns the token the client sends, with its expiry when
// the token carries one (see TokenExpiry). When that token expires within
// d, or within half its lifetime for a registry whose tokens live shorter
// than 2d, and the client has a username and password, it authenticates
// again first: a token handed to others then lives at least d, or half the
// registry's token lifetime.
func (c *Client) TokenValidFor(ctx context.Context, d time.Duration) (string, time.Time, error) {
	tok, err := c.Token(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	issued, exp, ok := TokenExpiry(tok)
	if !issued.IsZero() {
		d = min(d, exp.Sub(issued)/2)
	}
	if ok && time.Until(exp) < d && c.username != "" {
		c.invalidateToken(tok)
		if tok, err = c.Token(ctx); err != nil {
			return "", time.Time{}, err
		}
		_, exp, _ = TokenExpiry(tok)
	}
	return tok, exp, nil
}
