# Sourced by the local scripts: where the platform's state lives and which ports it uses.
# shellcheck shell=bash
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export RUJUKAN_STATE_DIR="${RUJUKAN_STATE_DIR:-$REPO_ROOT/.local}"
export KAFKA_PORT="${KAFKA_PORT:-9092}"
export KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
export PG_PORT="${PG_PORT:-15432}"
export SMTP_PORT="${SMTP_PORT:-8025}"
export PROMETHEUS_PORT="${PROMETHEUS_PORT:-9090}"
# Alertmanager listens clear of Kafka's controller ports (9093, 9193, ...); Prometheus finds it
# through deploy/prometheus/alertmanagers/local.yml, which names this port.
export ALERTMANAGER_PORT="${ALERTMANAGER_PORT:-9095}"
export ALERTMANAGER_DIR="$RUJUKAN_STATE_DIR/alertmanager"
# BROKERS: the Kafka cluster's size (default 1, or what the state dir's cluster was made with);
# kafka.sh owns the rule, the bootstrap list tells the size.
RUJUKAN_KAFKA_BOOTSTRAP="$(bash "$REPO_ROOT/deploy/local/kafka.sh" bootstrap)"
BROKERS=$(($(tr -cd , <<<"$RUJUKAN_KAFKA_BOOTSTRAP" | wc -c) + 1))
export BROKERS RUJUKAN_KAFKA_BOOTSTRAP
export RUJUKAN_PG_URL="postgresql+asyncpg://rujukan:rujukan@127.0.0.1:${PG_PORT}"
export RUJUKAN_NOTIFICATIONS_SMTP_PORT="$SMTP_PORT"
RUN_DIR="$RUJUKAN_STATE_DIR/run"
LOG_DIR="$RUJUKAN_STATE_DIR/logs"
mkdir -p "$RUN_DIR" "$LOG_DIR"
# The services' HTTP ports: 8001-8004 unless set, so a second stack can run beside the first
# (Prometheus's targets, deploy/prometheus/targets/local.yml, stay on the defaults).
export INTAKE_PORT="${INTAKE_PORT:-8001}" REGISTRY_PORT="${REGISTRY_PORT:-8002}"
export ROUTER_PORT="${ROUTER_PORT:-8003}" NOTIFICATIONS_PORT="${NOTIFICATIONS_PORT:-8004}"
# The workbench (the officers' web pages): a database (its sessions), no Kafka, so not among
# SERVICES
export WORKBENCH_PORT="${WORKBENCH_PORT:-8000}"
# service name, python package, port, CPU niceness: on one machine the work that can wait (a
# resident's message is gathered for seconds anyway; the registry's copy of intake facts) yields
# the cores to the path an officer waits on (docs/decisions.md; bench/pipeline_throughput.py
# runs the same)
SERVICES=(
  "intake rujukan_intake $INTAKE_PORT 0"
  "program-registry rujukan_registry $REGISTRY_PORT 10"
  "referral-router rujukan_router $ROUTER_PORT 0"
  "notifications rujukan_notifications $NOTIFICATIONS_PORT 10"
)
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
