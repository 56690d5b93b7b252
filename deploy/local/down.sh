#!/usr/bin/env bash
# make down: stop supervisord and with it the processes it runs (services, SMTP server,
# Prometheus, Alertmanager), then Kafka (every broker) and PostgreSQL, each by its pid.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/env.sh"
bash "$here/supervisor.sh" stop
# Processes started by an older `make up` (before supervisord) still have pid files here.
for pidfile in "$RUN_DIR"/*.pid; do
  [ -e "$pidfile" ] || continue
  [ "$(basename "$pidfile")" = supervisord.pid ] && continue
  if alive "$pidfile"; then
    pid=$(cat "$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null || true
    echo "down: stopped $(basename "$pidfile" .pid)"
  fi
  rm -f "$pidfile"
done
bash "$here/kafka.sh" stop
bash "$here/postgres.sh" stop
