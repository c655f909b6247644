# Shared by the stack, quickstart and test scripts (sourced, not run).

# The registry server's default admin. The password is the API spec's
# example: quotes, a backtick and SQL, on purpose.
REGISTRY_ADMIN_USER=ece30861defaultadminuser
REGISTRY_ADMIN_DEFAULT_PASSWORD='correcthorsebatterystaple123(!__+@**(A'"'"'"`;DROP TABLE artifacts;'

# free_port prints a TCP port that is free on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http NAME URL PIDFILE LOGFILE waits up to 30s until URL answers, and
# fails with the tail of LOGFILE when the process in PIDFILE exits first or
# the time runs out.
wait_http() {
  local name=$1 url=$2 pidfile=$3 logfile=$4
  for _ in $(seq 1 150); do
    if curl -s -o /dev/null --max-time 2 "$url"; then
      return 0
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
