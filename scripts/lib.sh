# Shared by the stack, quickstart and test scripts (sourced, not run).

# The registry server's default admin. The password is the API spec's
# example: quotes, a backtick and SQL, on purpose.
REGISTRY_ADMIN_USER=ece30861defaultadminuser
REGISTRY_ADMIN_DEFAULT_PASSWORD='correcthorsebatterystaple123(!__+@**(A'"'"'"`;DROP TABLE artifacts;'

# REGISTRY_HEALTHY matches the body of our registry server's GET /health.
REGISTRY_HEALTHY='"status": *"ok"'

# free_port prints a TCP port that is free on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http NAME URL PIDFILE LOGFILE [PATTERN] waits up to 30s until URL
# answers (with a body matching the extended regex PATTERN, when given: then
# another program answering on that port does not count), and fails with the
# tail of LOGFILE when the process in PIDFILE exits first or the time runs
# out.
wait_http() {
  local name=$1 url=$2 pidfile=$3 logfile=$4 pattern=${5:-}
  local body
  for _ in $(seq 1 150); do
    if body=$(curl -s --max-time 2 "$url"); then
      if [[ -z $pattern ]] || grep -qE "$pattern" <<<"$body"; then
        return 0
      fi
    fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "$name exited during start-up; its log:" >&2
      tail -n 40 "$logfile" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "$name did not answer at $url within 30s; its log:" >&2
  tail -n 40 "$logfile" >&2
  return 1
}

# with_progress LABEL CMD...: runs CMD and, while it runs, prints
# "LABEL: still running (1m30s)" every 30s, so that no long step is silent;
# then how long it took.
with_progress() {
  local label=$1 me=$BASHPID ticker status=0 start=$SECONDS
  shift
  (
    t=0
    while sleep 30 >/dev/null 2>&1; do
      t=$((t + 30))
      kill -0 "$me" 2>/dev/null || exit 0
      printf '%s: still running (%dm%02ds)\n' "$label" $((t / 60)) $((t % 60))
    done
  ) &
  ticker=$!
  "$@" || status=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  if [[ $status -eq 0 ]]; then
    printf '%s: done in %ds\n' "$label" $((SECONDS - start))
  fi
  return "$status"
}

# shell_quote WORD prints WORD in single quotes, for files that sh, bash or
# zsh source.
shell_quote() {
  local q="'\\''"
  printf "'%s'" "${1//\'/$q}"
}
