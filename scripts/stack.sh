#!/usr/bin/env bash
# Starts and stops the stack the acceptance tests run against, all on
# 127.0.0.1 with free ports:
#   - moto_server (S3 with AWS semantics)
#   - versitygw, posix backend (a real S3-compatible server)
#   - registry-server on SQLite (REGISTRY_ENDPOINT), with a small page size
#     so that the acceptance tests follow pagination
#   - registry-server in S3 mode against versitygw (REGISTRY_S3_ENDPOINT)
#   - registry-server as a Lambda function: run by the Lambda Runtime
#     Interface Emulator, in S3 mode against versitygw, behind
#     lambda-gateway, which plays API Gateway's HTTP API
#     (REGISTRY_LAMBDA_ENDPOINT)
#   - upstream-replay: recorded Hugging Face / GitHub answers, both servers' HF_ENDPOINT and GITHUB_API_URL (UPSTREAM_REPLAY_URL)
# `stack.sh start` prints nothing but writes .stack/env (endpoints,
# credentials and an empty CLI configuration for terraform and tofu), which
# the caller sources; `stack.sh stop` ends every process it started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# STACK_DIR lets several stacks run side by side (default .stack).
STATE=${STACK_DIR:-$ROOT/.stack}
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

VGW_ACCESS=stackaccesskey
VGW_SECRET=stacksecretkey0123456789
S3_MODE_BUCKET=registry-acc-artifacts
LAMBDA_BUCKET=registry-acc-lambda
# Routes of the HTTP API besides $default, as examples/storage-for-lambda
# declares them: names are path parameters, so that encoded slashes survive.
LAMBDA_ROUTE='ANY /artifact/byName/{name}'


# start NAME CMD...: runs CMD in the background with its log in .stack.
start_proc() {
  local name=$1; shift
  "$@" >"$STATE/$name.log" 2>&1 &
  echo $! >"$STATE/$name.pid"
}


stop() {
  [[ -d "$STATE" ]] || return 0
  for pidfile in "$STATE"/*.pid; do
    [[ -e "$pidfile" ]] || continue
    local pid
    pid=$(cat "$pidfile")
    # SIGTERM first: the registry server drains in-flight requests.
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

start() {
  stop
  rm -rf "$STATE"
  mkdir -p "$STATE/bin" "$STATE/vgw/root" "$STATE/vgw/versions" "$STATE/sqlite"
  go build -o "$STATE/bin/registry-server" ./cmd/registry-server
  go build -o "$STATE/bin/lambda-gateway" ./internal/lambdaproxy/cmd/lambda-gateway
  go build -o "$STATE/bin/upstream-replay" ./cmd/upstream-replay
  local versitygw
  versitygw=$(bash scripts/tools.sh path versitygw)

  local moto_port vgw_port reg_port reg_s3_port replay_port
  # Recorded Hugging Face / GitHub answers (no internet here): the trust
  # pipeline's HF_ENDPOINT and GITHUB_API_URL.
  replay_port=$(free_port)
  start_proc upstream-replay "$STATE/bin/upstream-replay" -addr "127.0.0.1:$replay_port"
  wait_http upstream-replay "http://127.0.0.1:$replay_port/api/models/google-bert/bert-base-uncased" "$STATE/upstream-replay.pid" "$STATE/upstream-replay.log"
  moto_port=$(free_port)
  start_proc moto moto_server -H 127.0.0.1 -p "$moto_port"

  vgw_port=$(free_port)
  start_proc versitygw env ROOT_ACCESS_KEY="$VGW_ACCESS" ROOT_SECRET_KEY="$VGW_SECRET" \
    "$versitygw" --port "127.0.0.1:$vgw_port" --quiet \
    posix --versioning-dir "$STATE/vgw/versions" "$STATE/vgw/root"

  wait_http moto "http://127.0.0.1:$moto_port/" "$STATE/moto.pid" "$STATE/moto.log"
  wait_http versitygw "http://127.0.0.1:$vgw_port/" "$STATE/versitygw.pid" "$STATE/versitygw.log"

  reg_port=$(free_port)
  start_proc registry env -i PATH="$PATH" HOME="$HOME" \
    USE_SQLITE=1 SQLALCHEMY_DATABASE_URL="sqlite:///$STATE/sqlite/registry.db" \
    PAGE_SIZE=7 \
    HF_ENDPOINT="http://127.0.0.1:$replay_port" GITHUB_API_URL="http://127.0.0.1:$replay_port" \
    ENVIRONMENT=development LOG_LEVEL=INFO ADDR="127.0.0.1:$reg_port" \
    "$STATE/bin/registry-server"

  reg_s3_port=$(free_port)
  start_proc registry-s3 env -i PATH="$PATH" HOME="$HOME" \
    USE_S3=1 S3_BUCKET_NAME="$S3_MODE_BUCKET" USE_SQLITE=0 STORAGE_FALLBACK=0 \
    AWS_REGION=us-east-1 AWS_ENDPOINT_URL_S3="http://127.0.0.1:$vgw_port" \
    AWS_ACCESS_KEY_ID="$VGW_ACCESS" AWS_SECRET_ACCESS_KEY="$VGW_SECRET" \
    HF_ENDPOINT="http://127.0.0.1:$replay_port" GITHUB_API_URL="http://127.0.0.1:$replay_port" \
    ENVIRONMENT=production LOG_LEVEL=INFO ADDR="127.0.0.1:$reg_s3_port" \
    "$STATE/bin/registry-server"

  # The emulator starts the function (our binary as its bootstrap) on the
  # first event, with the emulator's environment plus AWS_LAMBDA_RUNTIME_API.
  local rie_port rie_api_port gw_port rie
  rie=$(bash scripts/tools.sh path aws-lambda-rie)
  rie_port=$(free_port)
  rie_api_port=$(free_port)
  start_proc registry-lambda env -i PATH="$PATH" HOME="$HOME" \
    USE_S3=1 S3_BUCKET_NAME="$LAMBDA_BUCKET" USE_SQLITE=0 STORAGE_FALLBACK=0 \
    AWS_REGION=us-east-1 AWS_ENDPOINT_URL_S3="http://127.0.0.1:$vgw_port" \
    AWS_ACCESS_KEY_ID="$VGW_ACCESS" AWS_SECRET_ACCESS_KEY="$VGW_SECRET" \
    HF_ENDPOINT="http://127.0.0.1:$replay_port" GITHUB_API_URL="http://127.0.0.1:$replay_port" \
    TOKEN_SECRET="stack-lambda-token-secret" AWS_LAMBDA_FUNCTION_TIMEOUT=29 \
    ENVIRONMENT=production LOG_LEVEL=INFO \
    "$rie" \
    --runtime-interface-emulator-address "127.0.0.1:$rie_port" \
    --runtime-api-address "127.0.0.1:$rie_api_port" \
    "$STATE/bin/registry-server"
  gw_port=$(free_port)
  start_proc lambda-gateway "$STATE/bin/lambda-gateway" -listen "127.0.0.1:$gw_port" \
    -invoke "http://127.0.0.1:$rie_port/2015-03-31/functions/function/invocations" \
    -route "$LAMBDA_ROUTE"

  wait_http registry "http://127.0.0.1:$reg_port/health" "$STATE/registry.pid" "$STATE/registry.log" "$REGISTRY_HEALTHY"
  wait_http registry-s3 "http://127.0.0.1:$reg_s3_port/health" "$STATE/registry-s3.pid" "$STATE/registry-s3.log" "$REGISTRY_HEALTHY"

  # The first event starts the function: a cold start.
  wait_http registry-lambda "http://127.0.0.1:$gw_port/health" "$STATE/registry-lambda.pid" "$STATE/registry-lambda.log" "$REGISTRY_HEALTHY"

  # The CLI configuration of the acceptance tests: one that exists (OpenTofu
  # prints a warning before its version about a missing one, and the test
  # framework then cannot read the version) and is empty, so that a
  # developer's own settings stay out.
  : >"$STATE/cli.tfrc"

  {
    printf 'export TF_CLI_CONFIG_FILE=%q\n' "$STATE/cli.tfrc"
    printf 'export REGISTRY_ENDPOINT=%q\n' "http://127.0.0.1:$reg_port"
    printf 'export REGISTRY_USERNAME=%q\n' "$REGISTRY_ADMIN_USER"
    printf 'export REGISTRY_PASSWORD=%q\n' "$REGISTRY_ADMIN_DEFAULT_PASSWORD"
    printf 'export REGISTRY_S3_ENDPOINT=%q\n' "http://127.0.0.1:$reg_s3_port"
    printf 'export REGISTRY_S3_BUCKET=%q\n' "$S3_MODE_BUCKET"
    printf 'export REGISTRY_LAMBDA_ENDPOINT=%q\n' "http://127.0.0.1:$gw_port"
    printf 'export REGISTRY_LAMBDA_INVOKE_URL=%q\n' "http://127.0.0.1:$rie_port/2015-03-31/functions/function/invocations"
    printf 'export REGISTRY_LAMBDA_BUCKET=%q\n' "$LAMBDA_BUCKET"
    printf 'export VERSITYGW_ENDPOINT=%q\n' "http://127.0.0.1:$vgw_port"
    printf 'export VERSITYGW_ACCESS_KEY=%q\n' "$VGW_ACCESS"
    printf 'export VERSITYGW_SECRET_KEY=%q\n' "$VGW_SECRET"
    printf 'export MOTO_ENDPOINT=%q\n' "http://127.0.0.1:$moto_port"
    printf 'export REGISTRY_SERVER_BIN=%q\n' "$STATE/bin/registry-server"
    printf 'export UPSTREAM_REPLAY_URL=%q\n' "http://127.0.0.1:$replay_port"
  } >"$STATE/env"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
