#!/usr/bin/env bash
# make status: PostgreSQL, every Kafka broker, and each supervised process with its state, pid,
# uptime, restarts and last exit; then whether each service and Prometheus/Alertmanager answer.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/env.sh"
bash "$here/postgres.sh" status
bash "$here/kafka.sh" status
echo
bash "$here/supervisor.sh" status
echo
for svc in "${SERVICES[@]}"; do
  read -r name pkg port _ <<<"$svc"
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
    echo "$name: ready on :$port"
  else
    echo "$name: not ready on :$port ($(curl -sS "http://127.0.0.1:$port/readyz" 2>&1 | head -c 200))"
  fi
done
if curl -fsS "http://127.0.0.1:$WORKBENCH_PORT/healthz" >/dev/null 2>&1; then
  echo "workbench: answering on :$WORKBENCH_PORT"
else
  echo "workbench: not answering on :$WORKBENCH_PORT"
fi
for check in "prometheus $PROMETHEUS_PORT" "alertmanager $ALERTMANAGER_PORT"; do
  read -r name port <<<"$check"
  if curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; then
    echo "$name: ready on :$port"
  else
    echo "$name: not ready on :$port"
  fi
done
