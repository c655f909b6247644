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
# Several clones on one machine (the tool cache is shared) may lint at once;
# without this, the second one fails with "parallel golangci-lint is running".
exec "$golangci_lint" run --allow-parallel-runners "$@"
