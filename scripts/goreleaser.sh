#!/usr/bin/env bash
# Runs the pinned goreleaser (installed into .tools/bin on first use) with the
# given arguments, e.g.
#   scripts/goreleaser.sh check
#   scripts/goreleaser.sh release --snapshot --clean --skip=sign,publish
set -euo pipefail
cd "$(dirname "$0")/.."

# v2.15.x put the signature file into the SHA256SUMS it signs (goreleaser
# issue 6514), which breaks the registry's signature check.
GORELEASER_VERSION=v2.16.0

TOOLS_BIN="$PWD/.tools/bin"
stamp="$TOOLS_BIN/.goreleaser.version"
if [[ ! -x "$TOOLS_BIN/goreleaser" || "$(cat "$stamp" 2>/dev/null)" != "$GORELEASER_VERSION" ]]; then
  mkdir -p "$TOOLS_BIN"
  echo "goreleaser: installing $GORELEASER_VERSION into .tools/bin (compiles once, takes a few minutes)" >&2
  GOBIN="$TOOLS_BIN" GOFLAGS=-mod=mod go install "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION"
  echo "$GORELEASER_VERSION" >"$stamp"
fi
exec "$TOOLS_BIN/goreleaser" "$@"
