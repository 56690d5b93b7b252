#!/usr/bin/env bash
# make down: stop the services, the SMTP server, Kafka and PostgreSQL that 'make up' started.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/env.sh"
for pidfile in "$RUN_DIR"/*.pid; do
  [ -e "$pidfile" ] || continue
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
