# Shared by the scripts (sourced, not run).

# stack_start DIR ENVFILE FLAGS... runs internal/teststack/cmd/stack (built
# into DIR/bin) in the background with -dir DIR -env ENVFILE FLAGS, its pid
# in DIR/stack.pid and its output in DIR/stack.log, and returns once it has
# written ENVFILE (everything answers). When it ends first, it prints its
# log and returns its exit status. The first start may build versitygw and
# the emulator (minutes); the stack bounds every other wait itself.
stack_start() {
  local dir=$1 env=$2 pid status=0
  shift 2
  rm -f "$env"
  mkdir -p "$dir/bin"
  go build -o "$dir/bin/stack" ./internal/teststack/cmd/stack
  "$dir/bin/stack" -dir "$dir" -env "$env" "$@" >"$dir/stack.log" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/stack.pid"
  until [[ -f $env ]]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" || status=$?
      rm -f "$dir/stack.pid"
      cat "$dir/stack.log" >&2
      return $((status == 0 ? 1 : status))
    fi
    sleep 0.1
  done
}

# stack_pid DIR prints the pid of the stack started in DIR while it runs,
# and fails otherwise (also for a pid that another program has taken since).
stack_pid() {
  local pid
  pid=$(cat "$1/stack.pid" 2>/dev/null) || return 1
  [[ $(ps -o args= -p "$pid" 2>/dev/null) == "$1/bin/stack "* ]] || return 1
  echo "$pid"
}

# stack_stop DIR stops the stack started in DIR, if it runs: SIGTERM, so
# that it stops its processes and the registry drains its requests.
stack_stop() {
  local pid
  if pid=$(stack_pid "$1"); then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$1/stack.pid"
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
