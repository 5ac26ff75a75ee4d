#!/usr/bin/env bash
# Contract check of real responses: Prism's validating proxy sits between the tests and the daemon,
# checks every request and response against openapi.yaml and logs each mismatch as a "Violation" line.
#
#   scripts/prism-check.sh start   start `prism proxy` on 127.0.0.1:$PRISM_PORT in front of $UPSTREAM
#                                  and wait until it accepts connections
#   scripts/prism-check.sh check   list the violations in the log; exit 1 if any counts (see below)
#   scripts/prism-check.sh stop    stop the proxy started by `start` (by its PID file only)
#
# Environment (defaults in brackets):
#   PRISM_PORT [4011]  UPSTREAM [http://127.0.0.1:8080]  PRISM_SPEC [openapi.yaml]
#   PRISM_DIR [var/prism]: holds prism-$PRISM_PORT.pid and prism-$PRISM_PORT.log
#   PRISM_START_TIMEOUT [60] seconds
#   PRISM_STRICT_REQUESTS [0]: 1 makes request violations fail `check` too
#
# What `check` fails on:
#   - every error-level response violation (body, headers, media type);
#   - the warning "Unable to match the returned status code" (a status the document does not list);
#   - proxy errors ("Request terminated with error", e.g. upstream refused the connection);
#   - a log in which no request passed through at all.
# Request violations (a test sending a bad body, no token, a stale If-Match ... on purpose) are listed
# but do not fail unless PRISM_STRICT_REQUESTS=1. "Selected route not found" (a path or method the
# document lacks, e.g. a 405 test) is listed only; the route-table test covers missing routes.
#
# Prism is started with --errors=false (it forwards everything and only logs) and --cors=false (so
# the daemon's own CORS answers are what the tests see). It adds an `sl-violations` response header
# (JSON) to any response that had a violation, which a test may also inspect.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2

PRISM_PORT=${PRISM_PORT:-4011}
UPSTREAM=${UPSTREAM:-http://127.0.0.1:8080}
PRISM_SPEC=${PRISM_SPEC:-openapi.yaml}
PRISM_DIR=${PRISM_DIR:-$root/var/prism}
PRISM_START_TIMEOUT=${PRISM_START_TIMEOUT:-60}
PRISM_STRICT_REQUESTS=${PRISM_STRICT_REQUESTS:-0}
pidfile=$PRISM_DIR/prism-$PRISM_PORT.pid
logfile=$PRISM_DIR/prism-$PRISM_PORT.log
prism=$root/node_modules/.bin/prism

die() { echo "prism-check: $*" >&2; exit 1; }

running_pid() {
  # Prints the PID from our PID file if that process is alive.
  local pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  case $pid in '' | *[!0-9]*) return 1 ;; esac
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

port_open() {
  # bash's /dev/tcp: no curl or nc needed on a fresh machine.
  (exec 3<>"/dev/tcp/127.0.0.1/$PRISM_PORT") 2>/dev/null
}

cmd_start() {
  [ -x "$prism" ] || die "$prism is missing; run 'npm ci' first"
  [ -f "$PRISM_SPEC" ] || die "no $PRISM_SPEC"
  if pid=$(running_pid); then die "already running (pid $pid, port $PRISM_PORT)"; fi
  if port_open; then die "port $PRISM_PORT is already in use"; fi
  mkdir -p "$PRISM_DIR" || die "cannot create $PRISM_DIR"
  : >"$logfile"
  (exec "$prism" proxy --errors=false --cors=false -h 127.0.0.1 -p "$PRISM_PORT" \
     "$PRISM_SPEC" "$UPSTREAM" </dev/null >"$logfile" 2>&1) &
  local pid=$!
  echo "$pid" >"$pidfile"

  local deadline=$((SECONDS + PRISM_START_TIMEOUT))
  while [ $SECONDS -lt $deadline ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pidfile"
      echo "prism-check: prism exited during start-up; its log:" >&2
      cat "$logfile" >&2
      exit 1
    fi
    if grep -q 'Prism is listening' "$logfile" 2>/dev/null && port_open; then
      echo "prism proxy listening on http://127.0.0.1:$PRISM_PORT -> $UPSTREAM (pid $pid, log $logfile)"
      return 0
    fi
    sleep 0.2
  done
  echo "prism-check: prism did not answer within ${PRISM_START_TIMEOUT}s; stopping it. Log:" >&2
  cat "$logfile" >&2
  cmd_stop >/dev/null
  exit 1
}

cmd_stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$pidfile"
    echo "prism proxy on port $PRISM_PORT is not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null
  local i
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; fi
  rm -f "$pidfile"
  echo "prism proxy stopped (pid $pid)"
}

cmd_check() {
  [ -f "$logfile" ] || die "no log at $logfile (was the proxy started with this PRISM_PORT/PRISM_DIR?)"
  # Log lines look like (timestamp, then the component):
  #   [6:16:39 AM] › [HTTP SERVER] get /v1/partners ℹ  info      Request received
  #   [6:16:39 AM] ›     [VALIDATOR] ✖  error     Violation: response.body Response body must have required property 'next_cursor'
  #   [6:16:39 AM] ›     [VALIDATOR] ⚠  warning   Violation: response Unable to match the returned status code ...
  #   [6:16:58 AM] › [HTTP SERVER] get /healthz ✖  error     Request terminated with error: FetchError: ...
  # Each violation is attributed to the latest "Request received" line (tests run requests one by one).
  awk -v strict="$PRISM_STRICT_REQUESTS" '
    function msg(line) { sub(/^.*(error|warning) +/, "", line); return line }
    /\[HTTP SERVER\] [a-z]+ [^ ]+ .* Request received/ {
      for (i = 1; i <= NF; i++) if ($i == "[HTTP") { cur = toupper($(i + 2)) " " $(i + 3); break }
      requests++
      next
    }
    / error +Violation: response/               { fail[++nf] = cur ": " msg($0); next }
    / warning +Violation: response Unable to match the returned status code/ {
                                                  fail[++nf] = cur ": " msg($0); next }
    / error +Violation: request/                { req[++nr] = cur ": " msg($0); next }
    / warning +Violation: /                     { note[++nn] = cur ": " msg($0); next }
    / error +Request terminated with error/     { fail[++nf] = cur ": " msg($0); next }
    / (error|fatal)   +/ && !/\[VALIDATOR\]/   { fail[++nf] = "prism: " msg($0); next }
    END {
      if (strict == "1") { for (i = 1; i <= nr; i++) fail[++nf] = req[i]; nr_fail = nr } else nr_fail = 0
      for (i = 1; i <= nf; i++) print "FAIL    " fail[i]
      if (strict != "1") for (i = 1; i <= nr; i++) print "request " req[i]
      for (i = 1; i <= nn; i++) print "note    " note[i]
      if (requests == 0) { print "FAIL    no request passed through the proxy"; nf++ }
      printf "prism check %s: %d requests, %d failing violations, %d request violations%s, %d notes\n", \
        (nf > 0 ? "FAILED" : "OK"), requests, nf, nr, (strict == "1" ? "" : " (not counted)"), nn
      exit (nf > 0 ? 1 : 0)
    }
  ' "$logfile"
}

case ${1:-} in
  start) cmd_start ;;
  stop) cmd_stop ;;
  check) cmd_check ;;
  *)
    echo "usage: $0 start|check|stop   (env: PRISM_PORT UPSTREAM PRISM_DIR PRISM_SPEC PRISM_STRICT_REQUESTS)" >&2
    exit 2
    ;;
esac
