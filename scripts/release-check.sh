#!/usr/bin/env bash
# Builds a signed snapshot release with a throwaway GPG key and checks what
# the Terraform Registry checks: a zip per platform, a SHA256SUMS file that
# lists the zips and the manifest (and nothing else), and a detached signature
# that verifies against it.
set -euo pipefail
cd "$(dirname "$0")/.."

GNUPGHOME=$(mktemp -d)
export GNUPGHOME
trap 'rm -rf "$GNUPGHOME" dist' EXIT
gpg --batch --quiet --passphrase '' --quick-gen-key "Release check <release-check@example.invalid>" rsa2048 sign 1d 2>/dev/null
GPG_FINGERPRINT=$(gpg --list-secret-keys --with-colons | awk -F: '/^fpr/ {print $10; exit}')
export GPG_FINGERPRINT

bash scripts/goreleaser.sh release --snapshot --clean --skip=publish >dist.log 2>&1 || { cat dist.log >&2; rm -f dist.log; exit 1; }
rm -f dist.log

sums=$(ls dist/*_SHA256SUMS)
gpg --batch --verify "$sums.sig" "$sums" 2>/dev/null || { echo "release: the signature of $sums does not verify" >&2; exit 1; }
# The manifest is uploaded from the repository under its release name; the
# zips are in dist/.
manifest=$(awk '/_manifest\.json$/ {print $2}' "$sums")
cp terraform-registry-manifest.json "dist/$manifest"
(cd dist && sha256sum --quiet -c "$(basename "$sums")") || { echo "release: $sums does not match the files" >&2; exit 1; }
listed=$(awk '{print $2}' "$sums" | sort)
expected=$(cd dist && ls terraform-provider-registry_*.zip *_manifest.json | sort)
if [[ "$listed" != "$expected" ]]; then
  echo "release: $sums lists"; echo "$listed"; echo "but the release has"; echo "$expected"
  exit 1
fi
zips=$(ls dist/terraform-provider-registry_*.zip | wc -l)
[[ "$zips" -eq 8 ]] || { echo "release: $zips zip archives, want 8 (linux, darwin, windows, freebsd x amd64, arm64)" >&2; exit 1; }
echo "release: $zips signed archives and the manifest, SHA256SUMS signature verified"
# The registry server's Lambda zips (provided.al2023): an executable
# bootstrap at the root, built for that architecture.
for arch in amd64 arm64; do
  zip=$(ls dist/registry-server-lambda_*_linux_"$arch".zip 2>/dev/null || true)
  [[ -n "$zip" ]] || { echo "release: no Lambda zip for linux/$arch in dist/" >&2; exit 1; }
  listing=$(zipinfo "$zip")
  grep -qE '^-rwx.* bootstrap$' <<<"$listing" || { echo "release: $zip has no executable bootstrap at its root:" >&2; echo "$listing" >&2; exit 1; }
  [[ $(zipinfo -1 "$zip" | wc -l) -eq 1 ]] || { echo "release: $zip holds more than bootstrap:" >&2; zipinfo -1 "$zip" >&2; exit 1; }
  # ELF e_machine (bytes 18-19): 0x3e x86-64, 0xb7 aarch64.
  want=$([[ $arch == amd64 ]] && echo "3e 00" || echo "b7 00")
  unzip -p "$zip" bootstrap >"dist/bootstrap-$arch"
  got=$(od -An -tx1 -j18 -N2 "dist/bootstrap-$arch" | xargs)
  [[ "$got" == "$want" ]] || { echo "release: $zip's bootstrap is not a linux/$arch executable (ELF machine $got)" >&2; exit 1; }
done
echo "release: Lambda zips for linux/amd64 and linux/arm64, each an executable bootstrap"
