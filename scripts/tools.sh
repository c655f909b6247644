#!/usr/bin/env bash
# The pinned tools, compiled once per machine and version and cached outside
# the clone, so that a fresh clone (as CI uses) does not compile them again:
#   ${XDG_CACHE_HOME:-~/.cache}/terraform-provider-registry/tools/<tool>@<version>/<tool>
# (TOOLS_CACHE overrides that folder).
#
# Go tools are declared with Go's `tool` directive, one module per tool in
# tools/<tool>/go.mod (one module each, so that one tool's dependencies never
# move another's by minimal version selection); `cd tools/goreleaser && go tool
# goreleaser --version` runs one by hand. OpenTofu and Terraform cannot be
# built that way (their go.mod files have replace directives), so they are
# built from their module source.
#
#   scripts/tools.sh              checks the machine's tools and builds every pinned one
#   scripts/tools.sh path TOOL    prints TOOL's binary, building it first if needed
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

TOOLS_CACHE=${TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-registry/tools}

# The Go tools: name, then the module whose version in tools/<name>/go.mod
# names the build, and a rough first-build time on 2 cores.
go_tool_module() {
  case $1 in
    versitygw) echo "github.com/versity/versitygw 3min" ;;
    tfplugindocs) echo "github.com/hashicorp/terraform-plugin-docs 1min" ;;
    golangci-lint) echo "github.com/golangci/golangci-lint/v2 2min" ;;
    goreleaser) echo "github.com/goreleaser/goreleaser/v2 3min" ;;
    aws-lambda-rie) echo "github.com/aws/aws-lambda-runtime-interface-emulator 30s" ;;
    oapi-codegen) echo "github.com/oapi-codegen/oapi-codegen/v2 1min" ;;
    *) return 1 ;;
  esac
}
GO_TOOLS=(versitygw tfplugindocs golangci-lint goreleaser aws-lambda-rie oapi-codegen)

# The CLIs the acceptance tests run besides the machine's terraform (see
# scripts/test.sh): name, module, version, package, and a rough first-build
# time on 2 cores.
cli_module() {
  case $1 in
    tofu) echo "github.com/opentofu/opentofu v1.12.6 ./cmd/tofu 3min" ;;
    terraform) echo "github.com/hashicorp/terraform v1.15.0 . 3min" ;;
    *) return 1 ;;
  esac
}
CLIS=(tofu terraform)

# tool_key NAME prints <name>@<version>: the version of the tool's module, and
# for Go tools a hash of its go.mod, so that a changed dependency builds anew.
tool_key() {
  local name=$1 mod version
  if read -r _ version _ < <(cli_module "$name"); then
    echo "$name@$version"
    return
  fi
  read -r mod _ < <(go_tool_module "$name") || { echo "tools: unknown tool '$name'" >&2; return 1; }
  version=$(cd "tools/$name" && GOWORK=off go list -m -f '{{.Version}}' "$mod") ||
    { echo "tools: tools/$name/go.mod does not require $mod" >&2; return 1; }
  echo "$name@$version-$(sha256sum "tools/$name/go.mod" | cut -c1-8)"
}

build_go_tool() {
  local name=$1 out=$2
  # GOWORK=off: a go.work around the clone must not change the tool's build.
  (cd "tools/$name" && GOWORK=off GOBIN="$out" go install tool)
}

# build_cli NAME OUT builds a CLI from its own module source (from the module
# cache or the proxy, checked against go.sum's database like any module),
# which builds with its replace directives.
build_cli() {
  local name=$1 out=$2 mod version pkg dir src
  read -r mod version pkg _ < <(cli_module "$name")
  # From a neutral folder, so that this repository's go.mod plays no part.
  dir=$(cd / && GOWORK=off GOFLAGS=-mod=mod go mod download "$mod@$version" &&
    GOWORK=off GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' "$mod@$version")
  src="$out/src"
  cp -r "$dir" "$src"
  chmod -R u+w "$src"
  if [[ $name == terraform ]]; then
    strip_terraform_backends "$src"
  fi
  # version.dev=no as in their own release builds: `tofu version` says
  # 1.12.6, not 1.12.6-dev.
  (cd "$src" && GOWORK=off GOFLAGS=-mod=mod go build -ldflags "-s -w -X $mod/version.dev=no" -o "$out/$name" "$pkg")
  rm -rf "$src"
}

# strip_terraform_backends SRC removes from Terraform's source the remote-state
# backends other than http and inmem (the tests use the local backend): their
# nested modules, which go.mod replaces with folders, are not in the module
# zip. Their imports and backends-map lines go from init.go, their require and
# replace lines (and those of internal/legacy, also a nested module) from go.mod.
strip_terraform_backends() {
  local src=$1 init=$1/internal/backend/init/init.go
  local gone='azure|consul|cos|gcs|kubernetes|oci|oss|pg|s3' aliases
  aliases=$(grep -E "internal/backend/remote-state/($gone)\"\$" "$init" | awk '{print $1}' | paste -sd'|')
  [[ $(tr '|' '\n' <<<"$aliases" | wc -l) -eq 9 ]] ||
    { echo "tools: $init does not import the nine backends this script removes (found: $aliases)" >&2; return 1; }
  sed -i -E "/internal\/backend\/remote-state\/($gone)\"\$/d; /return ($aliases)\.New\(/d" "$init"
  sed -i -E "/github.com\/hashicorp\/terraform\/internal\/(backend\/remote-state\/($gone)|legacy) /d" "$src/go.mod"
}

# tool_path NAME prints the cached binary of NAME, building it first when this
# machine has not built this version yet. Concurrent callers (several clones,
# parallel scripts) wait for one build.
tool_path() {
  local name=$1 key dir est
  key=$(tool_key "$name")
  dir="$TOOLS_CACHE/$key"
  if [[ -x "$dir/$name" ]]; then
    echo "$dir/$name"
    return
  fi
  mkdir -p "$TOOLS_CACHE"
  (
    flock 9
    [[ -x "$dir/$name" ]] && exit 0
    read -r _ _ _ est < <(cli_module "$name") || read -r _ est < <(go_tool_module "$name")
    local tmp
    tmp=$(mktemp -d "$TOOLS_CACHE/.build.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    echo "tools: building $key into $TOOLS_CACHE (once per machine and version; about $est on 2 cores)" >&2
    if cli_module "$name" >/dev/null; then
      with_progress "tools: $key" build_cli "$name" "$tmp" >&2
    else
      with_progress "tools: $key" build_go_tool "$name" "$tmp" >&2
    fi
    mv "$tmp" "$dir"
  ) 9>"$TOOLS_CACHE/.$name.lock"
  [[ -x "$dir/$name" ]] || { echo "tools: building $key failed" >&2; return 1; }
  echo "$dir/$name"
}

need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "tools: '$1' is not on PATH. $2" >&2
    exit 1
  fi
}

case "${1:-all}" in
  path)
    tool_path "${2:?usage: $0 path TOOL}"
    ;;
  all)
    need terraform "Install Terraform 1.10 or newer (for example: apt-get install terraform from HashiCorp's apt repository, or unzip the release into /usr/local/bin); the acceptance tests and docs run the real CLI."
    need moto_server "Install moto's server (pip install 'moto[server]'); the storage acceptance tests use it as an S3 server with AWS semantics."
    need unzip "Install unzip (apt-get install unzip); the release check lists the Lambda zips with zipinfo."
    need gpg "Install GnuPG (apt-get install gnupg); the release check signs a snapshot release with a throwaway key."
    need flock "Install util-linux (apt-get install util-linux); the tool cache uses flock so that parallel builds wait for each other."
    for t in "${GO_TOOLS[@]}" "${CLIS[@]}"; do
      echo "tools: $t: $(tool_path "$t")"
    done
    ;;
  *)
    echo "usage: $0 [all | path TOOL]" >&2
    exit 2
    ;;
esac
