#!/usr/bin/env bash
# Checks the examples offline with the pinned Terraform: formatting of all
# of them, and `terraform validate` of every example that needs only this
# provider (with dev_overrides, so nothing is downloaded). Examples that need another
# provider (the AWS provider in storage-for-lambda) are only format-checked.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# The pinned Terraform (scripts/tools.sh): the examples use what Terraform
# 1.12 and 1.14 added (import by identity, list resources in .tfquery.hcl,
# actions), which the machine's terraform may not know.
terraform=$(bash scripts/tools.sh path terraform)
export PATH="$(dirname "$terraform"):$PATH"
terraform fmt -check -recursive -diff examples

work="$ROOT/.stack/examples"
rm -rf "$work"
bash scripts/dev-overrides.sh "$work/provider"
export TF_CLI_CONFIG_FILE="$work/provider/terraformrc"

checked=0
while IFS= read -r dir; do
  # Only our provider (and Terraform's built-ins) can be installed here.
  if grep -hoE '^\s*source\s*=\s*"[^"]+"' "$dir"/*.tf | grep -vq 'trustworthy-registry/registry'; then
    echo "examples: $dir needs another provider; format checked only"
    continue
  fi
  copy="$work/$(echo "${dir#examples/}" | tr / _)"
  mkdir -p "$copy"
  cp -r "$dir"/. "$copy"/
  # Doc snippets (examples/resources/...) leave out the terraform block, which
  # would make terraform look for hashicorp/registry.
  if ! grep -q required_providers "$dir"/*.tf; then
    printf 'terraform {\n  required_providers {\n    registry = { source = "trustworthy-registry/registry" }\n  }\n}\n' >"$copy/zz_required_providers.tf"
  fi
  terraform -chdir="$copy" validate -no-color >/dev/null || {
    echo "examples: terraform validate failed in $dir" >&2
    terraform -chdir="$copy" validate -no-color >&2 || true
    exit 1
  }
  checked=$((checked + 1))
done < <(find examples -name '*.tf' -printf '%h\n' | sort -u)
echo "examples: $checked validated"
