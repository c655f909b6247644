#!/usr/bin/env bash
# Fails when the committed docs/ differ from a fresh generation: regenerates
# docs/ in the tree (scripts/docs.sh) and shows the difference. Run
# `make docs` and commit the result to fix it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/docs.sh >/dev/null
# The layout and front matter the Terraform Registry requires.
if ! out=$("$(bash scripts/tools.sh path tfplugindocs)" validate --provider-name registry 2>&1); then
  echo "$out" | grep -v '\[DEBUG\]' >&2
  echo "docs: tfplugindocs validate failed" >&2
  exit 1
fi

# Compare with the git index (what is committed, on CI's fresh clone), and
# catch new, untracked pages and deleted ones too.
untracked=$(git ls-files --others --exclude-standard -- docs/)
if ! git diff --quiet -- docs/ || [[ -n "$untracked" ]]; then
  echo "docs: docs/ is out of date with the provider's schemas, templates/ or examples/." >&2
  echo "Run 'make docs' and commit the result. Differences:" >&2
  git --no-pager diff --stat -- docs/ >&2
  git --no-pager diff -- docs/ >&2
  if [[ -n "$untracked" ]]; then
    echo "new pages, not in git:" >&2
    echo "$untracked" >&2
  fi
  exit 1
fi
# The README's Layout section names every Go package folder in git (and so
# every binary), one line each.
entries=$(sed -n '/^## Layout/,/^## [^L]/p' README.md | awk '{print $1}')
missing=$(git ls-files '*.go' | xargs -n1 dirname | sort -u | grep -v -e '^\.$' -e '/testdata' |
  while read -r dir; do grep -qxF "$dir/" <<<"$entries" || echo "$dir/"; done)
if [[ -n "$missing" ]]; then
  echo "docs: README.md's Layout section does not list these package folders; add a line for each:" >&2
  echo "$missing" >&2
  exit 1
fi
echo "docs: up to date"
