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
expected=$(cd dist && ls *.zip *_manifest.json | sort)
if [[ "$listed" != "$expected" ]]; then
  echo "release: $sums lists"; echo "$listed"; echo "but the release has"; echo "$expected"
  exit 1
fi
zips=$(ls dist/*.zip | wc -l)
[[ "$zips" -eq 8 ]] || { echo "release: $zips zip archives, want 8 (linux, darwin, windows, freebsd x amd64, arm64)" >&2; exit 1; }
echo "release: $zips signed archives and the manifest, SHA256SUMS signature verified"
