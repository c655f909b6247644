#!/usr/bin/env bash
# Builds the provider into DIR and writes DIR/terraformrc, a Terraform CLI
# configuration whose dev_overrides point trustworthy-registry/registry at that
# build, so the local terraform uses it offline without `terraform init`.
# Usage: scripts/dev-overrides.sh DIR   (then export TF_CLI_CONFIG_FILE=DIR/terraformrc)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mkdir -p "$1" && cd "$1" && pwd)
go build -o "$dir/terraform-provider-registry" .
cat >"$dir/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "trustworthy-registry/registry" = "$dir"
  }
  # Every other provider would need a download, which this setup does not do.
  direct {}
}
RC
