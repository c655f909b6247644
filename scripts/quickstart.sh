#!/usr/bin/env bash
# The newcomer's first command: starts the registry server on its embedded
# SQLite default, builds this provider for the local terraform and applies
# examples/quickstart against it. The server keeps running afterwards (stop it
# with `make quickstart-down`), unless --down-after is given. It writes
# QUICKSTART_DIR/env, which a new shell sources to run terraform against it.
#   REGISTRY_ADDR   where the server listens (default 127.0.0.1:8000; port 0: a free one)
#   QUICKSTART_DIR  its working folder: database, state, logs, env (default .quickstart)
#   HF_ENDPOINT, GITHUB_API_URL  where the server reads the facts it rates models
#                   from; when neither is set (offline, as on this project's
#                   machines) the server reads recorded answers written to the
#                   documented shapes (internal/replay, as cmd/upstream-replay serves them)
# Usage: quickstart.sh [--down | --reset | --down-after]
#   --down        stops the server
#   --reset       stops the server and deletes QUICKSTART_DIR (database, state), to start over
#   --down-after  stops the server when done (the test suite's run)
set -euo pipefail
# QUICKSTART_DIR is relative to where it was given, not to the repository.
QS=${QUICKSTART_DIR:-}
if [[ -n $QS && $QS != /* ]]; then
  QS=$PWD/$QS
fi
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
QS=${QS:-$ROOT/.quickstart}
ADDR=${REGISTRY_ADDR:-127.0.0.1:8000}
# Marks a folder this script made, so that --reset never deletes another.
MARKER=.registry-quickstart

# How to repeat a make command with the same settings as this run.
make_cmd() {
  local prefix=""
  [[ -n ${QUICKSTART_DIR:-} ]] && prefix+="QUICKSTART_DIR=$(shell_quote "$QS") "
  echo "${prefix}make $1"
}

down() {
  if stack_pid "$QS" >/dev/null; then
    stack_stop "$QS"
    echo "quickstart: registry server stopped"
  fi
}

case "${1:-}" in
  --down)
    down
    exit 0
    ;;
  --reset)
    down
    if [[ -e "$QS" ]]; then
      if [[ ! -f "$QS/$MARKER" ]]; then
        echo "quickstart: $QS was not made by the quickstart (no $MARKER file in it); not deleting it" >&2
        exit 1
      fi
      rm -rf "$QS"
      echo "quickstart: deleted $QS (database, Terraform state, logs); to start over: $(make_cmd quickstart)"
    fi
    exit 0
    ;;
  --down-after)
    trap down EXIT
    ;;
  "") ;;
  *)
    echo "usage: $0 [--down | --reset | --down-after]" >&2
    exit 2
    ;;
esac

if ! command -v terraform >/dev/null 2>&1; then
  echo "quickstart: terraform is not on PATH; install Terraform 1.10 or newer first" >&2
  exit 1
fi

mkdir -p "$QS/work"
touch "$QS/$MARKER"
bash scripts/dev-overrides.sh "$QS/provider"

if pid=$(stack_pid "$QS"); then
  echo "quickstart: registry server already running (pid $pid)"
else
  # The registry server as the test stack starts it (internal/teststack),
  # with the server's defaults, its SQLite database in $QS; offline it reads
  # recorded upstream answers (internal/replay).
  status=0
  stack_start "$QS" "$QS/env" -quickstart "$ADDR" -cli-config "$QS/provider/terraformrc" || status=$?
  if [[ $status -eq 3 ]]; then # cmd/stack: the address is taken
    echo "quickstart: $ADDR is taken by another program. Stop it, or choose another address, e.g.:" >&2
    echo "  REGISTRY_ADDR=127.0.0.1:$((${ADDR##*:} + 1)) $(make_cmd quickstart)" >&2
  fi
  [[ $status -eq 0 ]] || exit 1
  if [[ -z "${HF_ENDPOINT:-}" && -z "${GITHUB_API_URL:-}" ]]; then
    echo "quickstart: offline, so ratings read recorded Hugging Face and GitHub answers (internal/replay)"
  fi
fi
# shellcheck disable=SC1091
source "$QS/env"
echo "quickstart: registry server on $REGISTRY_ENDPOINT (log: $QS/registry.log)"

cp examples/quickstart/*.tf "$QS/work/"
terraform -chdir="$QS/work" apply -auto-approve -input=false
echo "quickstart: done. The registry server keeps running on $REGISTRY_ENDPOINT (log: $QS/registry.log)."
echo "Next, in your shell (any new one too):"
echo "  source $(shell_quote "$QS/env")"
echo "  terraform -chdir=$(shell_quote "$QS/work") plan    # no changes expected"
echo "Edit $QS/work/main.tf and apply again with: terraform -chdir=$(shell_quote "$QS/work") apply"
echo "Stop the server:  $(make_cmd quickstart-down)"
echo "Start over:       $(make_cmd quickstart-reset)    (also deletes $QS: database, state, logs)"
