// Package prereq decides what a test does when something it needs is not
// there (a variable the stack sets, a tool, a server that authenticates):
// skip, so that `go test ./...` on a laptop without the stack stays green,
// or, with REGISTRY_ACC_STRICT=1 as in CI, fail, so that a test that did
// not run can never pass unnoticed.
package prereq

import (
	"fmt"
	"os"
	"testing"
)

// StrictEnv names the variable that turns a missing prerequisite into a
// test failure.
const StrictEnv = "REGISTRY_ACC_STRICT"

// Strict reports whether a missing prerequisite fails the test.
func Strict() bool { return os.Getenv(StrictEnv) == "1" }

// Missing ends t: a skip with msg, or in strict mode a failure with msg.
// msg names what is missing and where it comes from.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if Strict() {
		t.Fatal(strictMessage(msg))
		return // for a testing.TB whose Fatal returns
	}
	t.Skip(msg)
}

// Partly reports a prerequisite that only part of t needs: a log line, or
// in strict mode a failure (t goes on, so every missing one is listed).
func Partly(t testing.TB, msg string) {
	t.Helper()
	if Strict() {
		t.Error(strictMessage(msg))
		return
	}
	t.Log(msg)
}

// Getenv returns the variable name, or ends t through Missing when it is
// empty, with "name is not set: why".
func Getenv(t testing.TB, name, why string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		Missing(t, name+" is not set: "+why)
	}
	return v
}

func strictMessage(msg string) string {
	return fmt.Sprintf("%s (%s=1: a missing prerequisite fails the test; unset it to skip instead)", msg, StrictEnv)
}
