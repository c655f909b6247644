#!/usr/bin/env bash
# Generates docs/ from the provider's schemas, templates/ and examples/ with
# the pinned tfplugindocs (tools/tfplugindocs, built once per machine by
# scripts/tools.sh).
#
# Offline: tfplugindocs needs a terraform binary to read the provider schema.
# Without --tf-version it takes the first terraform on PATH and downloads one
# only when there is none; this script refuses to run without terraform on
# PATH, so no download happens. It builds the provider from this tree
# (`go build`, from the module cache) and runs `terraform init -plugin-dir`,
# so no registry is contacted either.
set -euo pipefail
cd "$(dirname "$0")/.."

# The environment table of cmd/registry-server/README.md, from the struct in
# internal/serverconfig (checked by its TestReadmeTableIsGenerated too).
readme=cmd/registry-server/README.md
table=$(go run ./cmd/registry-server -help-markdown)
TABLE=$table awk '
  index($0, "<!-- environment table:") == 1 { print; print ENVIRON["TABLE"]; skip = 1; next }
  index($0, "<!-- end of the environment table") == 1 { skip = 0 }
  !skip { print }' "$readme" >"$readme.tmp"
mv "$readme.tmp" "$readme"

tfplugindocs=$(bash scripts/tools.sh path tfplugindocs)

if ! command -v terraform >/dev/null 2>&1; then
  echo "docs: terraform is not on PATH; install Terraform 1.10 or newer (tfplugindocs would otherwise download one)" >&2
  exit 1
fi

exec "$tfplugindocs" generate \
  --provider-name registry \
  --rendered-provider-name "Trustworthy Model Registry" \
  "$@"
