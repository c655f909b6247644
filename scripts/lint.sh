#!/usr/bin/env bash
# Runs the pinned golangci-lint (tools/golangci-lint, built once per machine by
# scripts/tools.sh) with .golangci.yml. Arguments replace the default package pattern, e.g.
#   scripts/lint.sh ./internal/provider/...
set -euo pipefail
cd "$(dirname "$0")/.."

golangci_lint=$(bash scripts/tools.sh path golangci-lint)
if [[ $# -eq 0 ]]; then
  set -- ./...
fi
exec "$golangci_lint" run "$@"
