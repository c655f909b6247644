package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// Token returns the token the client sends, exactly as the registry issued
// it (e.g. "bearer eyJ..."). The first call authenticates with PUT
// /authenticate (unless Config.Token is set); concurrent and later calls
// share that token; a refusal of the credentials (401, 403) is likewise
// final for the Client, so that they are sent once. It is "" when
// /authenticate answers 501 (the registry has no authentication) and when no
// username or token is configured.
func (c *Client) Token(ctx context.Context) (string, error) {
	return c.currentToken(ctx)
}

func (c *Client) currentToken(ctx context.Context) (string, error) {
	c.authMu.Lock()
	if c.tokenKnown || c.authRefused != nil {
		tok, err := c.token, c.authRefused
		c.authMu.Unlock()
		return tok, err
	}
	c.authMu.Unlock()

	ch := c.authGroup.DoChan("authenticate", func() (any, error) {
		c.authMu.Lock()
		if c.tokenKnown || c.authRefused != nil {
			// Another call authenticated (or was refused) between our
			// check and here.
			tok, err := c.token, c.authRefused
			c.authMu.Unlock()
			return tok, err
		}
		c.authMu.Unlock()
		// Detached from this caller's cancellation because other callers
		// wait for the same result; RequestTimeout and MaxRetries bound it.
		tok, err := c.authenticate(context.WithoutCancel(ctx))
		if code := StatusCode(err); code == http.StatusUnauthorized || code == http.StatusForbidden {
			// The credentials are refused, and asking again with the same
			// ones cannot help: it would only lock the user out (a
			// registry counts failed logins) for every other client too.
			c.authMu.Lock()
			c.authRefused = err
			c.authMu.Unlock()
		}
		if err != nil {
			return "", err
		}
		c.authMu.Lock()
		c.token, c.tokenKnown = tok, true
		c.addSecretLocked(tok)
		c.authMu.Unlock()
		return tok, nil
	})
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		tok, ok := r.Val.(string)
		if !ok {
			return "", fmt.Errorf("authentication returned %T, not a token", r.Val)
		}
		return tok, nil
	}
}

// CredentialsUnused reports whether the client has a username and password
// that it does not use because the registry answered 501 to PUT
// /authenticate (a registry without authentication). It is false until the
// client has tried to authenticate.
func (c *Client) CredentialsUnused() bool {
	return c.authUnsupported.Load()
}

// invalidateToken forgets stale, the token a request was refused with, so
// that the next currentToken authenticates again. When another call has
// already replaced it, the newer token is kept.
func (c *Client) invalidateToken(stale string) {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	if c.tokenKnown && c.token == stale {
		c.token, c.tokenKnown = "", false
	}
}

// authenticate calls PUT /authenticate. It returns "" when the registry
// answers 501 (no authentication).
func (c *Client) authenticate(ctx context.Context) (string, error) {
	cl := call{
		method: http.MethodPut,
		path:   "/authenticate",
		body: wire.AuthenticationRequest{
			User:   wire.User{Name: c.username, IsAdmin: c.isAdmin},
			Secret: wire.UserAuthenticationInfo{Password: c.password},
		},
		idempotent: true,
		noAuth:     true,
	}
	resp, err := c.do(ctx, cl)
	switch StatusCode(err) {
	case 0:
		if err != nil {
			return "", fmt.Errorf("authenticating as user %q: %w", c.username, err)
		}
	case http.StatusNotImplemented:
		c.authUnsupported.Store(true)
		return "", nil
	case http.StatusUnauthorized, http.StatusForbidden:
		return "", fmt.Errorf("authenticating as user %q failed: wrong user name or password (%w; not asked again with "+
			"the same credentials during this run)", c.username, err)
	default:
		return "", fmt.Errorf("authenticating as user %q: %w", c.username, err)
	}

	// The spec's answer is a JSON string; accept plain text as well.
	var tok string
	if json.Unmarshal(bytes.TrimSpace(resp.body), &tok) != nil {
		tok = string(bytes.TrimSpace(resp.body))
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "", fmt.Errorf("authenticating as user %q: PUT /authenticate answered %d without a token", c.username, resp.status)
	}
	return tok, nil
}
