#!/usr/bin/env bash
# Measures the registry server's cold start, N times (default 5), in S3 mode
# on the stack's versitygw:
#   - Lambda: the emulator is up but has not started the function; the time
#     from posting the first event (GET /health, payload 2.0) until its
#     answer covers exec, start-up (storage, password hashing) and the event.
#   - process: from exec until the first answered GET /health.
# Usage: bash scripts/stack.sh start && . .stack/env && bash scripts/lambda-coldstart.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
: "${REGISTRY_SERVER_BIN:?source .stack/env first (scripts/stack.sh start)}"
N=${1:-5}
rie=$(bash scripts/tools.sh path aws-lambda-rie)
work=$(mktemp -d)
pid=
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

s3_env=(USE_S3=1 S3_BUCKET_NAME=registry-coldstart USE_SQLITE=0 STORAGE_FALLBACK=0
  AWS_REGION=us-east-1 AWS_ENDPOINT_URL_S3="$VERSITYGW_ENDPOINT"
  AWS_ACCESS_KEY_ID="$VERSITYGW_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$VERSITYGW_SECRET_KEY"
  TOKEN_SECRET=coldstart-secret ENVIRONMENT=production LOG_LEVEL=ERROR)
event='{"version":"2.0","routeKey":"$default","rawPath":"/health","headers":{"host":"127.0.0.1"},"requestContext":{"http":{"method":"GET","path":"/health","sourceIp":"127.0.0.1"}},"isBase64Encoded":false}'
ms() { echo $(( ($2 - $1) / 1000000 )); }

for i in $(seq 1 "$N"); do
  port=$(free_port); api=$(free_port)
  env -i PATH="$PATH" HOME="$HOME" "${s3_env[@]}" "$rie" --log-level info \
    --runtime-interface-emulator-address "127.0.0.1:$port" --runtime-api-address "127.0.0.1:$api" \
    "$REGISTRY_SERVER_BIN" >"$work/rie.log" 2>&1 &
  pid=$!
  # Up when it answers a request that is not an invocation.
  until curl -s -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.05; done
  t0=$(date +%s%N)
  out=$(curl -s -X POST "http://127.0.0.1:$port/2015-03-31/functions/function/invocations" -d "$event")
  t1=$(date +%s%N)
  grep -q '"statusCode":200' <<<"$out" || { echo "lambda: first event failed: $out" >&2; cat "$work/rie.log" >&2; exit 1; }
  init=$(grep -o 'INIT REPORT(durationMs: [0-9.]*' "$work/rie.log" | grep -o '[0-9.]*$' || true)
  echo "lambda  run $i: first event answered after $(ms "$t0" "$t1") ms (the emulator's INIT REPORT: ${init} ms)"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=

  port=$(free_port)
  t0=$(date +%s%N)
  env -i PATH="$PATH" HOME="$HOME" "${s3_env[@]}" ADDR="127.0.0.1:$port" "$REGISTRY_SERVER_BIN" >"$work/proc.log" 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$port/health"; do sleep 0.005; done
  t1=$(date +%s%N)
  echo "process run $i: first request answered after $(ms "$t0" "$t1") ms"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
done
