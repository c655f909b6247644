#!/usr/bin/env bash
# Generates docs/ from the provider's schemas, templates/ and examples/ with
# the pinned tfplugindocs (installed into .tools/bin on first use).
#
# Offline: tfplugindocs needs a terraform binary to read the provider schema.
# Without --tf-version it takes the first terraform on PATH and downloads one
# only when there is none; this script refuses to run without terraform on
# PATH, so no download happens. It builds the provider from this tree
# (`go build`, from the module cache) and runs `terraform init -plugin-dir`,
# so no registry is contacted either.
set -euo pipefail
cd "$(dirname "$0")/.."

TFPLUGINDOCS_VERSION=v0.24.0

TOOLS_BIN="$PWD/.tools/bin"
stamp="$TOOLS_BIN/.tfplugindocs.version"
if [[ ! -x "$TOOLS_BIN/tfplugindocs" || "$(cat "$stamp" 2>/dev/null)" != "$TFPLUGINDOCS_VERSION" ]]; then
  mkdir -p "$TOOLS_BIN"
  echo "docs: installing tfplugindocs $TFPLUGINDOCS_VERSION into .tools/bin" >&2
  GOBIN="$TOOLS_BIN" GOFLAGS=-mod=mod go install "github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs@$TFPLUGINDOCS_VERSION"
  echo "$TFPLUGINDOCS_VERSION" >"$stamp"
fi

if ! command -v terraform >/dev/null 2>&1; then
  echo "docs: terraform is not on PATH; install Terraform 1.10 or newer (tfplugindocs would otherwise download one)" >&2
  exit 1
fi

exec "$TOOLS_BIN/tfplugindocs" generate \
  --provider-name registry \
  --rendered-provider-name "Trustworthy Model Registry" \
  "$@"
