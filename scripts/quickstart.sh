#!/usr/bin/env bash
# The newcomer's first command: starts the registry server on its embedded
# SQLite default, builds this provider for the local terraform and applies
# examples/quickstart against it. The server keeps running afterwards (stop it
# with `make quickstart-down`), unless --down-after is given.
#   REGISTRY_ADDR   where the server listens (default 127.0.0.1:8000)
#   QUICKSTART_DIR  its working folder: database, state, logs (default .quickstart)
#   HF_ENDPOINT, GITHUB_API_URL  where the server reads the facts it rates models
#                   from; when neither is set (offline, as on this project's
#                   machines) the quickstart starts cmd/upstream-replay, recorded
#                   answers written to the documented shapes, and uses it for both
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
  if [[ -f "$QS/replay.pid" ]]; then
    kill "$(cat "$QS/replay.pid")" 2>/dev/null || true
    rm -f "$QS/replay.pid"
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
# The model's rating, computed by the server's trust pipeline on this first read.
model_id=$(terraform -chdir="$QS/work" output -json model | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
python3 - "$REGISTRY_ENDPOINT" "$model_id" <<'PY'
import json, os, sys, urllib.error, urllib.request
base, mid = sys.argv[1], sys.argv[2]
auth = {"user": {"name": os.environ["REGISTRY_USERNAME"], "is_admin": True},
        "secret": {"password": os.environ["REGISTRY_PASSWORD"]}}
req = urllib.request.Request(base + "/authenticate", json.dumps(auth).encode(), method="PUT")
token = json.load(urllib.request.urlopen(req))
try:
    r = json.load(urllib.request.urlopen(urllib.request.Request(
        base + "/artifact/model/" + mid + "/rate", headers={"X-Authorization": token})))
except urllib.error.HTTPError as e:
    sys.exit("quickstart: GET /artifact/model/%s/rate answered %d: %s" % (mid, e.code, e.read().decode()))
print("quickstart: rating of %s (%s): net_score %.2f, license %.2f, ramp_up_time %.2f, bus_factor %.2f"
      % (r["name"], mid, r["net_score"], r["license"], r["ramp_up_time"], r["bus_factor"]))
PY
echo "quickstart: done. Try 'terraform -chdir=.quickstart/work plan' (no changes expected),"
echo "            edit .quickstart/work/main.tf and apply again; 'make quickstart-down' stops the server."
