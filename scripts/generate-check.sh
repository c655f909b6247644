#!/usr/bin/env bash
# Fails when the committed generated code differs from a fresh generation:
# runs `go generate` (the wire types of internal/wire, from api/ with the
# pinned oapi-codegen) and shows the difference. Run
# `go generate ./internal/wire/` and commit the result to fix it.
set -euo pipefail
cd "$(dirname "$0")/.."

go generate ./internal/wire/
untracked=$(git ls-files --others --exclude-standard -- internal/wire/)
if ! git diff --quiet -- internal/wire/ || [[ -n "$untracked" ]]; then
  echo "generate: internal/wire/ is out of date with api/ or its generator configuration." >&2
  echo "Run 'go generate ./internal/wire/' and commit the result. Differences:" >&2
  git --no-pager diff -- internal/wire/ >&2
  [[ -z "$untracked" ]] || printf 'new files, not in git:\n%s\n' "$untracked" >&2
  exit 1
fi
echo "generate: up to date"
