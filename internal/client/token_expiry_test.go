package client

import (
	"encoding/base64"
	"testing"
	"time"
)

func TestTokenExpiry(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		token  string
		issued time.Time
		want   time.Time
		ok     bool
	}{
		{"JWT with iat and exp", "bearer " + enc(`{"alg":"HS256","typ":"JWT"}`) + "." + enc(`{"sub":"u","iat":1893549845,"exp":1893553445}`) + ".sig",
			exp.Add(-time.Hour), exp, true},
		{"JWT without prefix and iat", enc(`{"alg":"HS256"}`) + "." + enc(`{"exp":1893553445}`) + ".sig", time.Time{}, exp, true},
		{"this registry's token", "bearer " + enc(`{"sub":"u","iat_ns":1893553444000000000,"exp_ns":1893553445000000001}`) + ".sig",
			exp.Add(-time.Second), exp.Add(1), true},
		{"JWT without exp (the spec's example)", "bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", time.Time{}, time.Time{}, false},
		{"opaque", "bearer abc.def", time.Time{}, time.Time{}, false},
		{"empty", "", time.Time{}, time.Time{}, false},
	} {
		issued, got, ok := TokenExpiry(tc.token)
		if ok != tc.ok || !got.Equal(tc.want) || !issued.Equal(tc.issued) {
			t.Errorf("%s: TokenExpiry = %v, %v, %v; want %v, %v, %v", tc.name, issued, got, ok, tc.issued, tc.want, tc.ok)
		}
	}
}
