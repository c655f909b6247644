#!/usr/bin/env bash
# Starts and stops, for a person, the stack the tests start by themselves
# (internal/teststack, the same Go code), all on 127.0.0.1 with free ports:
#   - the registry server on SQLite, with a small page size so that
#     pagination is exercised (REGISTRY_ENDPOINT)
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
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
# STACK_DIR lets several stacks run side by side (default .stack).
STATE=${STACK_DIR:-$PWD/.stack}

case "${1:-}" in
  start)
    stack_stop "$STATE"
    rm -rf "$STATE"
    stack_start "$STATE" "$STATE/env"
    ;;
  stop) stack_stop "$STATE" ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
