#!/usr/bin/env bash
# Runs the pinned golangci-lint (installed into .tools/bin on first use) with
# .golangci.yml. Arguments replace the default package pattern, e.g.
#   scripts/lint.sh ./internal/provider/...
set -euo pipefail
cd "$(dirname "$0")/.."

GOLANGCI_LINT_VERSION=v2.15.0

TOOLS_BIN="$PWD/.tools/bin"
stamp="$TOOLS_BIN/.golangci-lint.version"
if [[ ! -x "$TOOLS_BIN/golangci-lint" || "$(cat "$stamp" 2>/dev/null)" != "$GOLANGCI_LINT_VERSION" ]]; then
  mkdir -p "$TOOLS_BIN"
  echo "lint: installing golangci-lint $GOLANGCI_LINT_VERSION into .tools/bin (compiles once, takes a few minutes)" >&2
  GOBIN="$TOOLS_BIN" GOFLAGS=-mod=mod go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_LINT_VERSION"
  echo "$GOLANGCI_LINT_VERSION" >"$stamp"
fi

if [[ $# -eq 0 ]]; then
  set -- ./...
fi
exec "$TOOLS_BIN/golangci-lint" run "$@"
