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
