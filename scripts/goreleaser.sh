#!/usr/bin/env bash
# Runs the pinned goreleaser (tools/goreleaser, built once per machine by
# scripts/tools.sh) with the given arguments, e.g.
#   scripts/goreleaser.sh check
#   scripts/goreleaser.sh release --snapshot --clean --skip=sign,publish
set -euo pipefail
cd "$(dirname "$0")/.."

# The version is in tools/goreleaser/go.mod. v2.15.x put the signature file
# into the SHA256SUMS it signs (goreleaser issue 6514), which breaks the
# registry's signature check; v2.16.0 does not.
goreleaser=$(bash scripts/tools.sh path goreleaser)
exec "$goreleaser" "$@"
