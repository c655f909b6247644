package prereq

import (
	"strings"
	"testing"
)

// recorder stands in for *testing.T, to see what Missing and Getenv do
// without ending the test that calls them.
type recorder struct {
	testing.TB
	skipped, failed string
	logged          string
}

func (r *recorder) Helper()           {}
func (r *recorder) Skip(args ...any)  { r.skipped = args[0].(string) }
func (r *recorder) Fatal(args ...any) { r.failed = args[0].(string) }
func (r *recorder) Error(args ...any) { r.failed = args[0].(string) }
func (r *recorder) Log(args ...any)   { r.logged = args[0].(string) }

func TestGetenv(t *testing.T) {
	t.Setenv("PREREQ_TEST_SET", "value")
	t.Setenv("PREREQ_TEST_UNSET", "")
	for _, strict := range []string{"", "1"} {
		t.Run("strict="+strict, func(t *testing.T) {
			t.Setenv(StrictEnv, strict)
			r := &recorder{}
			if got := Getenv(r, "PREREQ_TEST_SET", "why"); got != "value" || r.skipped != "" || r.failed != "" {
				t.Fatalf("a set variable: got %q, skipped %q, failed %q", got, r.skipped, r.failed)
			}
			Getenv(r, "PREREQ_TEST_UNSET", "the stack sets it")
			want := "PREREQ_TEST_UNSET is not set: the stack sets it"
			ended := r.skipped
			if strict == "1" {
				ended = r.failed
				if r.skipped != "" {
					t.Errorf("strict mode skipped: %q", r.skipped)
				}
				if !strings.Contains(r.failed, StrictEnv+"=1") {
					t.Errorf("the failure does not name %s: %q", StrictEnv, r.failed)
				}
			} else if r.failed != "" {
				t.Errorf("without strict mode the test failed: %q", r.failed)
			}
			if !strings.HasPrefix(ended, want) {
				t.Errorf("message = %q, want it to start with %q", ended, want)
			}
		})
	}
}

func TestPartly(t *testing.T) {
	t.Setenv(StrictEnv, "")
	r := &recorder{}
	Partly(r, "moto is missing")
	if r.logged != "moto is missing" || r.failed != "" {
		t.Errorf("without strict mode: logged %q, failed %q", r.logged, r.failed)
	}
	t.Setenv(StrictEnv, "1")
	r = &recorder{}
	Partly(r, "moto is missing")
	if !strings.HasPrefix(r.failed, "moto is missing") {
		t.Errorf("strict mode: failed %q", r.failed)
	}
}
