#!/usr/bin/env bash
# The whole test suite, as CI runs it: static checks, then every Go test with
# TF_ACC=1 against the running stack (scripts/stack.sh), then a short fuzzing
# of each fuzz target, the benchmarks (smoke), the examples, the docs, lint,
# the release configuration and the quickstart. Fails when an acceptance test
# was skipped or none ran.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

step() { printf '\n==> %s\n' "$*"; }

step "tools"
bash scripts/tools.sh

step "gofmt and go vet"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.tools/*'))
if [[ -n "$unformatted" ]]; then
  echo "gofmt: these files need formatting (run gofmt -w):" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...

step "stack"
trap 'bash scripts/stack.sh stop' EXIT
bash scripts/stack.sh start
# shellcheck disable=SC1091
source .stack/env
echo "registry (SQLite): $REGISTRY_ENDPOINT; registry (S3): $REGISTRY_S3_ENDPOINT; versitygw: $VERSITYGW_ENDPOINT; moto: $MOTO_ENDPOINT"

step "go test (TF_ACC=1)"
log="$ROOT/.stack/go-test.log"
set +e
TF_ACC=1 go test -v -count=1 -timeout 45m ./... 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [[ $status -ne 0 ]]; then
  echo "go test failed (exit $status); stack logs are in .stack/*.log" >&2
  for f in .stack/*.log; do [[ "$f" == "$log" ]] || { echo "--- $f (tail)"; tail -n 20 "$f"; }; done
  exit "$status"
fi
passed=$(grep -cE '^\s*--- PASS: TestAcc' "$log" || true)
skipped=$(grep -E '^\s*--- SKIP: ' "$log" || true)
if [[ -n "$skipped" ]]; then
  echo "tests were skipped; every test must run here (the stack sets every variable they need):" >&2
  echo "$skipped" >&2
  exit 1
fi
if [[ "$passed" -eq 0 ]]; then
  echo "no acceptance test (TestAcc*) ran: check TF_ACC and the terraform CLI" >&2
  exit 1
fi
echo "acceptance tests passed: $passed"

step "fuzz (each target for ${FUZZ_TIME:=10s})"
# Bounded: the seed corpora already ran in go test; this explores a little
# further. A failing input is saved under internal/server/testdata/fuzz.
for target in FuzzRequests FuzzRegex; do
  flog="$ROOT/.stack/fuzz-$target.log"
  go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZ_TIME" -parallel 2 ./internal/server/ >"$flog" 2>&1 || { cat "$flog"; exit 1; }
  echo "$target: $(grep -E '^fuzz: elapsed' "$flog" | tail -n 1)"
done

step "benchmarks (smoke: each runs a few iterations)"
go test -run '^$' -bench . -benchtime 20x ./internal/... >"$ROOT/.stack/bench.log" 2>&1 || { cat "$ROOT/.stack/bench.log"; exit 1; }
grep -E '^(Benchmark|ok|FAIL)' "$ROOT/.stack/bench.log"

step "examples"
bash scripts/examples-check.sh

step "docs are up to date"
bash scripts/docs-check.sh

step "lint"
bash scripts/lint.sh

step "release: goreleaser check, and a signed snapshot release verified"
bash scripts/goreleaser.sh check
bash scripts/release-check.sh

step "quickstart"
# On a free port and in its own folder, so that a quickstart of yours that is
# still running is left alone.
REGISTRY_ADDR="127.0.0.1:$(free_port)" \
  QUICKSTART_DIR="$ROOT/.stack/quickstart" bash scripts/quickstart.sh --down-after

echo
echo "all checks passed"
