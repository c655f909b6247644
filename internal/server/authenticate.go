package server

import (
	"net/http"

	"golang.org/x/crypto/bcrypt"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

func (s *Server) handleAuthenticate(w http.ResponseWriter, r *http.Request) {
	var req wire.AuthenticationRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	// No user has an empty name or password: either is a malformed request.
	if req.User.Name == "" || req.Secret.Password == "" {
		writeError(w, http.StatusBadRequest, "authentication request needs user.name and secret.password")
		return
	}
	if !s.checkName(w, "user.name", req.User.Name) {
		return
	}
	done, ok := s.throttle.attempt(w, r, req.User.Name, s.cfg.Now())
	if !ok {
		return
	}
	u, known := s.users[req.User.Name]
	hash := s.dummyHash
	if known {
		hash = u.hash
	}
	// Compare even for an unknown user so that timing does not tell names.
	valid, ran := s.throttle.checkPassword(r.Context(), func() bool {
		return bcrypt.CompareHashAndPassword(hash, []byte(req.Secret.Password)) == nil
	})
	if !ran {
		done(true) // the client went away before its password was checked
		return
	}
	done(known && valid)
	if !known || !valid {
		writeError(w, http.StatusUnauthorized, "the user or password is invalid")
		return
	}
	tok, err := s.issueFor(r.Context(), req.User.Name, s.cfg.Now())
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, "bearer "+tok)
}
