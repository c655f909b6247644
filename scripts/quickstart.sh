#!/usr/bin/env bash
# The newcomer's first command: starts the registry server on its embedded
# SQLite default, builds this provider for the local terraform and applies
# examples/quickstart against it. The server keeps running afterwards (stop it
# with `make quickstart-down`), unless --down-after is given. It writes
# QUICKSTART_DIR/env, which a new shell sources to run terraform against it.
#   REGISTRY_ADDR   where the server listens (default 127.0.0.1:8000)
#   QUICKSTART_DIR  its working folder: database, state, logs, env (default .quickstart)
#   HF_ENDPOINT, GITHUB_API_URL  where the server reads the facts it rates models
#                   from; when neither is set (offline, as on this project's
#                   machines) the quickstart starts cmd/upstream-replay, recorded
#                   answers written to the documented shapes, and uses it for both
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
  if [[ -f "$QS/server.pid" ]]; then
    local pid
    pid=$(cat "$QS/server.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$QS/server.pid"
    echo "quickstart: registry server stopped"
  fi
  if [[ -f "$QS/replay.pid" ]]; then
    kill "$(cat "$QS/replay.pid")" 2>/dev/null || true
    rm -f "$QS/replay.pid"
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

mkdir -p "$QS/bin" "$QS/work"
touch "$QS/$MARKER"
bash scripts/dev-overrides.sh "$QS/provider"

port_hint() {
  echo "quickstart: $ADDR is taken by another program. Stop it, or choose another address, e.g.:" >&2
  echo "  REGISTRY_ADDR=127.0.0.1:$((${ADDR##*:} + 1)) $(make_cmd quickstart)" >&2
}

if [[ -f "$QS/server.pid" ]] && kill -0 "$(cat "$QS/server.pid")" 2>/dev/null; then
  echo "quickstart: registry server already running (pid $(cat "$QS/server.pid"))"
else
  # Something else answering on the address would take our requests (and
  # the server could not bind it): say so before starting.
  if curl -s -o /dev/null --max-time 2 "http://$ADDR/"; then
    port_hint
    exit 1
  fi
  go build -o "$QS/bin/registry-server" ./cmd/registry-server
  if [[ -z "${HF_ENDPOINT:-}" && -z "${GITHUB_API_URL:-}" ]]; then
    go build -o "$QS/bin/upstream-replay" ./cmd/upstream-replay
    replay_port=$(free_port)
    "$QS/bin/upstream-replay" -addr "127.0.0.1:$replay_port" >"$QS/replay.log" 2>&1 &
    echo $! >"$QS/replay.pid"
    wait_http "the upstream replay" "http://127.0.0.1:$replay_port/api/models/google-bert/bert-base-uncased" "$QS/replay.pid" "$QS/replay.log"
    export HF_ENDPOINT="http://127.0.0.1:$replay_port" GITHUB_API_URL="http://127.0.0.1:$replay_port"
    echo "quickstart: offline, so ratings read the recorded upstream answers of cmd/upstream-replay ($HF_ENDPOINT)"
  fi
  # The embedded default: SQLite in a file, so what you create survives restarts.
  env USE_SQLITE=1 SQLALCHEMY_DATABASE_URL="sqlite:///$QS/registry.db" ADDR="$ADDR" \
    ENVIRONMENT=development LOG_LEVEL=INFO \
    "$QS/bin/registry-server" >"$QS/server.log" 2>&1 &
  echo $! >"$QS/server.pid"
  if ! wait_http "the registry server" "http://$ADDR/health" "$QS/server.pid" "$QS/server.log" "$REGISTRY_HEALTHY"; then
    if grep -q 'address already in use' "$QS/server.log"; then
      port_hint
    fi
    down >/dev/null
    exit 1
  fi
  echo "quickstart: registry server on http://$ADDR (log: $QS/server.log)"
fi

# What a new shell needs to run terraform against this registry: the
# endpoint, the credentials and the CLI configuration with the provider's
# dev_overrides.
(
  umask 077
  {
    echo "# The quickstart's registry; source this file, then run terraform."
    echo "export REGISTRY_ENDPOINT=$(shell_quote "http://$ADDR")"
    echo "export REGISTRY_USERNAME=$(shell_quote "$REGISTRY_ADMIN_USER")"
    echo "# The server's default admin; REGISTRY_ADMIN_PASSWORD changes its password."
    echo "export REGISTRY_PASSWORD=$(shell_quote "$REGISTRY_ADMIN_DEFAULT_PASSWORD")"
    echo "# This provider from $QS/provider (dev_overrides), without terraform init."
    echo "export TF_CLI_CONFIG_FILE=$(shell_quote "$QS/provider/terraformrc")"
  } >"$QS/env"
)

cp examples/quickstart/*.tf "$QS/work/"
# shellcheck disable=SC1091
source "$QS/env"
terraform -chdir="$QS/work" apply -auto-approve -input=false
echo "quickstart: done. The registry server keeps running on http://$ADDR (log: $QS/server.log)."
echo "Next, in your shell (any new one too):"
echo "  source $(shell_quote "$QS/env")"
echo "  terraform -chdir=$(shell_quote "$QS/work") plan    # no changes expected"
echo "Edit $QS/work/main.tf and apply again with: terraform -chdir=$(shell_quote "$QS/work") apply"
echo "Stop the server:  $(make_cmd quickstart-down)"
echo "Start over:       $(make_cmd quickstart-reset)    (also deletes $QS: database, state, logs)"
