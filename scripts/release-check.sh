#!/usr/bin/env bash
# Builds a signed snapshot release with a throwaway GPG key and checks what
# the Terraform Registry checks: a zip per platform, a SHA256SUMS file that
# lists the zips and the manifest (and nothing else), and a detached signature
# that verifies against it. Everything happens in a temporary folder: ./dist
# (a real release's output) is never touched.
#   release-check.sh                  all eight platforms of .goreleaser.yml (make release-check)
#   release-check.sh --single-target  only this machine's platform (make test; about a minute)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

single=false
case "${1:-}" in
  --single-target) single=true ;;
  "") ;;
  *) echo "usage: $0 [--single-target]" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
trap 'gpgconf --homedir "$tmp/gnupg" --kill all >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
export GNUPGHOME="$tmp/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key "Release check <release-check@example.invalid>" rsa2048 sign 1d 2>/dev/null
GPG_FINGERPRINT=$(gpg --list-secret-keys --with-colons | awk -F: '/^fpr/ {print $10; exit}')
export GPG_FINGERPRINT

# The configuration as it is, with the output in $tmp/dist and, for a single
# target, the build's platform lists replaced by this machine's (goreleaser's
# --single-target exists for `build` only, which neither archives nor signs).
goos=$(go env GOOS)
goarch=$(go env GOARCH)
dist="$tmp/dist"
awk -v single="$single" -v goos="$goos" -v goarch="$goarch" -v dist="$dist" '
  skipping && /^[[:space:]]+- / { next }
  { skipping = 0 }
  single == "true" && /^[[:space:]]+goos:[[:space:]]*$/ { print; sub(/goos:.*/, ""); print $0 "  - " goos; skipping = 1; next }
  single == "true" && /^[[:space:]]+goarch:[[:space:]]*$/ { print; sub(/goarch:.*/, ""); print $0 "  - " goarch; skipping = 1; next }
  { print }
  END { print "dist: " dist }
' .goreleaser.yml >"$tmp/goreleaser.yml"

want=8
$single && want=1
echo "release: signed snapshot release for $([[ $want -eq 1 ]] && echo "$goos/$goarch only" || echo "8 platforms") (log: shown on failure)"
# goreleaser's top-level steps ("• building binaries", "• signing artifacts")
# are the progress lines; the rest goes to the log.
log="$tmp/goreleaser.log"
release() {
  bash scripts/goreleaser.sh release --snapshot --clean --skip=publish --config "$tmp/goreleaser.yml" 2>&1 |
    tee "$log" | { grep --line-buffered -E '^  • ' || true; }
  return "${PIPESTATUS[0]}"
}
if ! with_progress "release" release; then
  echo "release: goreleaser failed; its log:" >&2
  cat "$log" >&2
  exit 1
fi

sums=$(ls "$dist"/*_SHA256SUMS)
gpg --batch --verify "$sums.sig" "$sums" 2>/dev/null || { echo "release: the signature of $sums does not verify" >&2; exit 1; }
# The manifest is uploaded from the repository under its release name; the
# zips are in dist/.
manifest=$(awk '/_manifest\.json$/ {print $2}' "$sums")
cp terraform-registry-manifest.json "$dist/$manifest"
(cd "$dist" && sha256sum --quiet -c "$(basename "$sums")") || { echo "release: $sums does not match the files" >&2; exit 1; }
listed=$(awk '{print $2}' "$sums" | sort)
expected=$(cd "$dist" && ls -- terraform-provider-registry_*.zip *_manifest.json | sort)
if [[ "$listed" != "$expected" ]]; then
  echo "release: $sums lists"; echo "$listed"; echo "but the release has"; echo "$expected"
  exit 1
fi
zips=$(ls "$dist"/terraform-provider-registry_*.zip | wc -l)
if [[ "$zips" -ne $want ]]; then
  if $single; then
    echo "release: $zips zip archives, want 1 ($goos/$goarch)" >&2
  else
    echo "release: $zips zip archives, want 8 (linux, darwin, windows, freebsd x amd64, arm64)" >&2
  fi
  exit 1
fi
echo "release: $zips signed archive(s) and the manifest, SHA256SUMS signature verified"
# The registry server's Lambda zips (provided.al2023), in their own archive
# set: an executable bootstrap at the root, built for its architecture.
lambda_archs="amd64 arm64"
if $single; then
  lambda_archs=$goarch
  [[ $goos == linux ]] || lambda_archs=""
fi
for arch in $lambda_archs; do
  zip=$(ls "$dist"/registry-server-lambda_*_linux_"$arch".zip 2>/dev/null || true)
  [[ -n "$zip" ]] || { echo "release: no Lambda zip for linux/$arch" >&2; exit 1; }
  listing=$(zipinfo "$zip")
  grep -qE '^-rwx.* bootstrap$' <<<"$listing" || { echo "release: $zip has no executable bootstrap at its root:" >&2; echo "$listing" >&2; exit 1; }
  [[ $(zipinfo -1 "$zip" | wc -l) -eq 1 ]] || { echo "release: $zip holds more than bootstrap:" >&2; zipinfo -1 "$zip" >&2; exit 1; }
  # ELF e_machine (bytes 18-19): 0x3e x86-64, 0xb7 aarch64.
  machine=$([[ $arch == amd64 ]] && echo "3e 00" || echo "b7 00")
  unzip -p "$zip" bootstrap >"$tmp/bootstrap-$arch"
  got=$(od -An -tx1 -j18 -N2 "$tmp/bootstrap-$arch" | xargs)
  [[ "$got" == "$machine" ]] || { echo "release: $zip's bootstrap is not a linux/$arch executable (ELF machine $got)" >&2; exit 1; }
  echo "release: Lambda zip for linux/$arch: $(basename "$zip"), an executable bootstrap"
done
