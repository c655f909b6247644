#!/usr/bin/env bash
# Generates docs/ from the provider's schemas, templates/ and examples/ with
# the pinned tfplugindocs (tools/tfplugindocs, built once per machine by
# scripts/tools.sh).
#
# Offline: tfplugindocs needs a terraform binary to read the provider schema.
# Without --tf-version it takes the first terraform on PATH and downloads one
# only when there is none; this script puts the pinned one there, so no
# download happens. It builds the provider from this tree
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

# tfplugindocs reads the provider's schema with `terraform providers schema
# -json`, which includes resource identities only from Terraform 1.12 and list
# resources and actions only from 1.14: the pinned Terraform (scripts/tools.sh)
# goes first on PATH, so the docs do not depend on the machine's terraform.
terraform=$(bash scripts/tools.sh path terraform)
export PATH="$(dirname "$terraform"):$PATH"

exec "$tfplugindocs" generate \
  --provider-name registry \
  --rendered-provider-name "Trustworthy Model Registry" \
  "$@"
