#!/usr/bin/env bash
# The whole test suite, as CI runs it: static checks, then every Go test with
# TF_ACC=1 under the newest Terraform (each test package starts the stack its
# tests ask for from its TestMain, internal/teststack, and stops it at the
# end), the provider's acceptance tests again under the oldest supported
# Terraform (the machine's) and under OpenTofu, a short fuzzing of each fuzz target,
# the benchmarks (smoke), then the examples, the docs, the generated wire
# types, lint,
# the release configuration (a signed single-platform snapshot; all eight
# platforms: make release-check) and the quickstart. The Go tests run with
# REGISTRY_ACC_STRICT=1, so a test whose prerequisite is missing fails
# instead of skipping (internal/prereq); a test for a feature that a CLI lacks
# skips under that CLI (naming the version), but not under the newest. A CLI's
# run also fails when no acceptance test ran. Every step prints its time, and
# steps that take longer than 30s print a line every 30s.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

steps=()
step_name=""
step_start=$SECONDS
end_step() {
  [[ -n $step_name ]] && steps+=("$(printf '%4ds  %s' $((SECONDS - step_start)) "$step_name")")
  return 0
}
step() {
  end_step
  step_name=$*
  step_start=$SECONDS
  printf '\n==> %s\n' "$*"
}

# check_acc LOG LABEL [SKIPS] fails when no acceptance test in LOG ran
# (without TF_ACC, terraform-plugin-testing skips them all; a skip for any
# other missing prerequisite is already a failure in strict mode), and, with
# SKIPS=none, when any test skipped: under the newest CLI every test runs.
check_acc() {
  local log=$1 label=$2 skips=${3:-} passed skipped
  passed=$(grep -cE '^\s*--- PASS: TestAcc' "$log" || true)
  skipped=$(grep -E '^\s*--- SKIP: ' "$log" || true)
  if [[ "$passed" -eq 0 ]]; then
    echo "$label: no acceptance test (TestAcc*) ran: check TF_ACC and the CLI" >&2
    exit 1
  fi
  if [[ $skips == none && -n $skipped ]]; then
    echo "$label: these tests skipped, but under the newest CLI every test runs:" >&2
    echo "$skipped" >&2
    exit 1
  fi
  echo "$label: acceptance tests passed: $passed; skipped (a feature this CLI lacks): $(grep -c . <<<"$skipped" || true)"
}

# cli_version CLI prints the CLI's first version line. With an existing
# (empty) CLI configuration: with a missing one (TF_CLI_CONFIG_FILE may name
# one), OpenTofu prints a warning before its version.
cli_version() {
  TF_CLI_CONFIG_FILE=/dev/null "$1" version | head -n 1
}

# go_test LOG ARGS... runs go test with ARGS, its output shown and kept in
# LOG. A failed package keeps its stack's folder and prints the end of its
# logs ("the stack's folder is kept: ...").
go_test() {
  local log=$1 status
  shift
  set +e
  go test "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  set -e
  if [[ $status -ne 0 ]]; then
    echo "go test failed (exit $status); the output is in $log" >&2
    exit "$status"
  fi
}

step "tools (built once per machine and version, then cached)"
bash scripts/tools.sh
tofu=$(bash scripts/tools.sh path tofu)
terraform_newest=$(bash scripts/tools.sh path terraform)
terraform_oldest=$(command -v terraform)

step "gofmt and go vet"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.tools/*'))
if [[ -n "$unformatted" ]]; then
  echo "gofmt: these files need formatting (run gofmt -w):" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...

# Every go test below: a missing prerequisite (a variable, a tool, the CLI's
# version) fails its test instead of skipping it.
export REGISTRY_ACC_STRICT=1

LOGS=$ROOT/.test-logs
rm -rf "$LOGS"
mkdir -p "$LOGS"

# Three CLIs (the README says why): every Go test under the newest Terraform,
# which has every feature; the provider's acceptance tests again under the
# oldest supported Terraform (the machine's, also the one the examples, docs
# and quickstart steps below use) and under OpenTofu, except those whose
# subject is the registry or the provider's HTTP client rather than what the
# CLI does with the provider: the registry as a Lambda function, faults,
# flapping and other registries, the transport (TLS, proxy, headers), the
# client's authentication, S3 servers other than versitygw, paging, the
# asynchronous rating and the digests of stored bundles against the bytes
# served. -parallel 4: the provider's tests that run in
# parallel (resource.ParallelTest) overlap their terraform processes' waits.
cli_independent='^TestAccLambda$|^TestAccFaults_|^TestAccFlappingStore_|^TestAccOtherRegistry_|^TestAccSparseRegistry_'
cli_independent+='|^TestAccTransport_|^TestAccTrustDataSources_|^TestAccArtifactsDataSource_pagination$'
cli_independent+='|^TestAccProvider_(reauthenticatesWhenTheTokenExpires|wrongPassword|wrongPasswordAuthenticatesOnce|token|noCredentials)$'
cli_independent+='|^TestAccStorageResource_(moto|motoSettings|verifyAccessDenied)$'
cli_independent+='|^TestAccArtifactResource_ratingAsync$|^TestAccModelRatingDataSource_deferredRating$'
cli_independent+='|^TestAccArtifactResource_storedBundle$'
export TF_ACC=1
step "go test (TF_ACC=1, $(cli_version "$terraform_newest"))"
TF_ACC_TERRAFORM_PATH=$terraform_newest \
  with_progress "go test" go_test "$LOGS/go-test.log" -v -count=1 -timeout 45m -parallel 4 ./...
check_acc "$LOGS/go-test.log" "Terraform (newest)" none

# The two other CLIs run side by side: their tests spend most of their time
# waiting for terraform processes and servers, so the pair takes little
# longer than one. Each writes its own log; a failure shows the log's end.
# older_cli_test LOG CLI [ENV=VALUE...] runs the CLI-dependent acceptance
# tests under CLI; show_failure LABEL LOG prints what failed in LOG.
show_failure() {
  echo "go test under $1 failed; its failed tests and the end of $2:" >&2
  grep -E -B 20 -- '^\s*--- FAIL' "$2" >&2 || true
  tail -n 30 "$2" >&2
}
older_cli_test() {
  local log=$1 cli=$2
  shift 2
  env TF_ACC_TERRAFORM_PATH="$cli" "$@" go test -v -count=1 -timeout 45m -parallel 4 \
    -run '^TestAcc' -skip "$cli_independent" ./internal/provider/ >"$log" 2>&1
}
both_older_clis() {
  local oldest_log=$LOGS/go-test-terraform-oldest.log tofu_log=$LOGS/go-test-tofu.log status=0
  older_cli_test "$oldest_log" "$terraform_oldest" &
  local oldest_pid=$!
  older_cli_test "$tofu_log" "$tofu" TF_ACC_PROVIDER_HOST=registry.opentofu.org &
  local tofu_pid=$!
  wait "$oldest_pid" || { status=1; show_failure "$(cli_version "$terraform_oldest")" "$oldest_log"; }
  wait "$tofu_pid" || { status=1; show_failure "$(cli_version "$tofu")" "$tofu_log"; }
  return "$status"
}
step "provider acceptance tests under $(cli_version "$terraform_oldest") (the oldest supported) and $(cli_version "$tofu"), side by side"
with_progress "go test (oldest Terraform and OpenTofu)" both_older_clis
check_acc "$LOGS/go-test-terraform-oldest.log" "Terraform (oldest supported)"
check_acc "$LOGS/go-test-tofu.log" OpenTofu

step "fuzz (each target for ${FUZZ_TIME:=10s})"
# Bounded: the seed corpora already ran in go test; this explores a little
# further. A failing input is saved under internal/server/testdata/fuzz.
# fuzz_one TARGET LOG: the first run builds the instrumented test binary,
# which takes minutes on a cold build cache.
fuzz_one() {
  go test -run '^$' -fuzz "^$1\$" -fuzztime "$FUZZ_TIME" -parallel 2 ./internal/server/ >"$2" 2>&1
}
for target in FuzzRequests FuzzRegex; do
  flog="$LOGS/fuzz-$target.log"
  with_progress "fuzz $target" fuzz_one "$target" "$flog" || { cat "$flog"; exit 1; }
  echo "$target: $(grep -E '^fuzz: elapsed' "$flog" | tail -n 1)"
done

step "benchmarks (smoke: each runs a few iterations, at its smallest size)"
go test -short -run '^$' -bench . -benchtime 20x ./internal/... >"$LOGS/bench.log" 2>&1 || { cat "$LOGS/bench.log"; exit 1; }
grep -E '^(Benchmark|ok|FAIL)' "$LOGS/bench.log"

step "scale benchmark (smoke: 20 artifacts on SQLite and on S3; make bench runs 1,000)"
go run ./bench/scale -n 20 -backend sqlite
go run ./bench/scale -n 20 -backend s3

step "examples"
bash scripts/examples-check.sh

step "docs are up to date"
with_progress docs bash scripts/docs-check.sh

step "generated wire types are up to date"
bash scripts/generate-check.sh

step "lint"
with_progress lint bash scripts/lint.sh

step "release: goreleaser check, and a signed single-platform snapshot release verified"
bash scripts/goreleaser.sh check
bash scripts/release-check.sh --single-target

step "quickstart"
# On a free port and in its own folder, so that a quickstart of yours that is
# still running is left alone.
REGISTRY_ADDR=127.0.0.1:0 \
  QUICKSTART_DIR="$LOGS/quickstart" bash scripts/quickstart.sh --down-after

end_step
echo
echo "time per step:"
printf '%s\n' "${steps[@]}"
echo "all checks passed in $((SECONDS / 60))m$((SECONDS % 60))s"
