#!/usr/bin/env bash
# Starts and stops, for a person, the stack the tests start by themselves
# (internal/teststack, the same Go code), all on 127.0.0.1 with free ports:
#   - the registry server on SQLite, in the stack's process, with a small
#     page size so that pagination is exercised (REGISTRY_ENDPOINT)
#   - moto_server (S3 with AWS semantics) and versitygw (posix backend)
#   - the registry server in S3 mode against versitygw (REGISTRY_S3_ENDPOINT)
#   - the registry server as a Lambda function, run by the Lambda Runtime
#     Interface Emulator in S3 mode, behind an API Gateway HTTP API
#     (REGISTRY_LAMBDA_ENDPOINT)
#   - recorded Hugging Face / GitHub answers, the servers' HF_ENDPOINT and
#     GITHUB_API_URL (UPSTREAM_REPLAY_URL)
# `stack.sh start` returns once everything answers and writes .stack/env
# (endpoints, credentials, an empty CLI configuration), which the caller
# sources; `stack.sh stop` ends every process it started. Logs: .stack/*.log.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# STACK_DIR lets several stacks run side by side (default .stack).
STATE=${STACK_DIR:-$ROOT/.stack}

stop() {
  [[ -f "$STATE/stack.pid" ]] || return 0
  local pid
  pid=$(cat "$STATE/stack.pid")
  # SIGTERM: the stack stops its processes; the registry drains requests.
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$STATE/stack.pid"
}

start() {
  stop
  rm -rf "$STATE"
  mkdir -p "$STATE/bin"
  go build -o "$STATE/bin/stack" ./internal/teststack/cmd/stack
  "$STATE/bin/stack" -dir "$STATE" -env "$STATE/env" >"$STATE/stack.log" 2>&1 &
  echo $! >"$STATE/stack.pid"
  # The first start may build versitygw and the emulator (minutes).
  for _ in $(seq 1 6000); do
    [[ -f "$STATE/env" ]] && return 0
    if ! kill -0 "$(cat "$STATE/stack.pid")" 2>/dev/null; then
      echo "the stack did not start:" >&2
      cat "$STATE/stack.log" >&2
      rm -f "$STATE/stack.pid"
      return 1
    fi
    sleep 0.1
  done
  echo "the stack did not start within 10 minutes; $STATE/stack.log:" >&2
  cat "$STATE/stack.log" >&2
  stop
  return 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
