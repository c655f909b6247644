#!/usr/bin/env bash
# Installs the pinned tools the tests need into .tools/bin and checks the ones
# that come with the machine image. Versions are exact so that every machine
# builds the same tools; the provider's go.mod does not carry them.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSITYGW_VERSION=v1.8.0
# The Lambda Runtime Interface Emulator has no tagged releases as a Go module;
# this pseudo-version is the commit the Lambda-mode tests are run with.
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d

TOOLS_BIN="$PWD/.tools/bin"
mkdir -p "$TOOLS_BIN"

# go_install MODULE/PATH VERSION BINARY: installs once per version.
go_install() {
  local pkg=$1 version=$2 bin=$3
  local stamp="$TOOLS_BIN/.$bin.version"
  if [[ -x "$TOOLS_BIN/$bin" && "$(cat "$stamp" 2>/dev/null)" == "$version" ]]; then
    return
  fi
  echo "tools: installing $bin $version" >&2
  GOBIN="$TOOLS_BIN" GOFLAGS=-mod=mod go install "$pkg@$version"
  echo "$version" >"$stamp"
}

need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "tools: '$1' is not on PATH. $2" >&2
    exit 1
  fi
}

need terraform "Install Terraform 1.10 or newer (for example: apt-get install terraform from HashiCorp's apt repository, or unzip the release into /usr/local/bin); the acceptance tests and docs run the real CLI."
need moto_server "Install moto's server (pip install 'moto[server]'); the storage acceptance tests use it as an S3 server with AWS semantics."
need python3 "Install python3; the stack script uses it to pick free loopback ports."
need curl "Install curl (apt-get install curl)."
need unzip "Install unzip (apt-get install unzip); the release check lists the Lambda zips with zipinfo."
need gpg "Install GnuPG (apt-get install gnupg); the release check signs a snapshot release with a throwaway key."

go_install github.com/versity/versitygw/cmd/versitygw "$VERSITYGW_VERSION" versitygw
go_install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie "$RIE_VERSION" aws-lambda-rie
