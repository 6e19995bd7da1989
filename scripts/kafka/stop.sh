#!/usr/bin/env bash
# Stops the broker start.sh started (by its recorded pid): SIGTERM, bounded wait, then SIGKILL;
# removes its data unless RINGMATCH_KAFKA_KEEP_DATA=1. Safe to run when nothing is running.
set -euo pipefail
source "$(dirname "$0")/common.sh"
timeout_s="${RINGMATCH_KAFKA_STOP_TIMEOUT:-30}"

if [ -f "$pidfile" ]; then
  pid="$(cat "$pidfile")"
  if is_broker_pid "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + timeout_s))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "stop.sh: broker pid $pid still alive after ${timeout_s}s; killing" >&2
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    echo "kafka broker stopped (pid $pid, 127.0.0.1:$port)"
  else
    echo "kafka broker not running (stale pid file $pidfile)"
  fi
  rm -f "$pidfile"
else
  echo "kafka broker not running (no pid file in $state)"
fi
if [ "${RINGMATCH_KAFKA_KEEP_DATA:-0}" != "1" ] && [ -d "$state" ]; then
  rm -rf "$state"
fi
