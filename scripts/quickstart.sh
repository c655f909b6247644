#!/usr/bin/env bash
# The newcomer's first command: starts the registry server on its embedded
# SQLite default, builds this provider for the local terraform and applies
# examples/quickstart against it. The server keeps running afterwards (stop it
# with `make quickstart-down`), unless --down-after is given.
#   REGISTRY_ADDR   where the server listens (default 127.0.0.1:8000)
#   QUICKSTART_DIR  its working folder: database, state, logs (default .quickstart)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
QS=${QUICKSTART_DIR:-$ROOT/.quickstart}
ADDR=${REGISTRY_ADDR:-127.0.0.1:8000}

down() {
  if [[ -f "$QS/server.pid" ]]; then
    kill "$(cat "$QS/server.pid")" 2>/dev/null || true
    rm -f "$QS/server.pid"
    echo "quickstart: registry server stopped"
  fi
}

if [[ "${1:-}" == "--down" ]]; then
  down
  exit 0
fi
if [[ "${1:-}" == "--down-after" ]]; then
  trap down EXIT
fi

if ! command -v terraform >/dev/null 2>&1; then
  echo "quickstart: terraform is not on PATH; install Terraform 1.10 or newer first" >&2
  exit 1
fi

mkdir -p "$QS/bin" "$QS/work"
bash scripts/dev-overrides.sh "$QS/provider"
export TF_CLI_CONFIG_FILE="$QS/provider/terraformrc"

if [[ -f "$QS/server.pid" ]] && kill -0 "$(cat "$QS/server.pid")" 2>/dev/null; then
  echo "quickstart: registry server already running (pid $(cat "$QS/server.pid"))"
else
  go build -o "$QS/bin/registry-server" ./cmd/registry-server
  # The embedded default: SQLite in a file, so what you create survives restarts.
  env USE_SQLITE=1 SQLALCHEMY_DATABASE_URL="sqlite:///$QS/registry.db" ADDR="$ADDR" \
    ENVIRONMENT=development LOG_LEVEL=INFO \
    "$QS/bin/registry-server" >"$QS/server.log" 2>&1 &
  echo $! >"$QS/server.pid"
  wait_http "the registry server" "http://$ADDR/health" "$QS/server.pid" "$QS/server.log"
  echo "quickstart: registry server on http://$ADDR (log: .quickstart/server.log)"
fi

cp examples/quickstart/*.tf "$QS/work/"
export REGISTRY_ENDPOINT="http://$ADDR"
export REGISTRY_USERNAME=$REGISTRY_ADMIN_USER
# The server's default admin; REGISTRY_ADMIN_PASSWORD changes its password.
export REGISTRY_PASSWORD=$REGISTRY_ADMIN_DEFAULT_PASSWORD
terraform -chdir="$QS/work" apply -auto-approve -input=false
echo
echo "quickstart: done. Try 'terraform -chdir=.quickstart/work plan' (no changes expected),"
echo "            edit .quickstart/work/main.tf and apply again; 'make quickstart-down' stops the server."
