#!/usr/bin/env bash
# make up: install what is needed, start PostgreSQL and Kafka (BROKERS=3: a replicated cluster;
# SASL/SCRAM and ACLs as in production, KAFKA_AUTH=none for a PLAINTEXT one), create topics,
# Kafka principals with their ACLs and databases, seed the catalogue, then run the four services
# (each as its own Kafka principal), the Kafka access watcher, a local SMTP server, Prometheus
# and Alertmanager under supervisord, which restarts whatever dies.
# Running it twice does no harm; run again, it restarts whatever was killed or gave up.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/env.sh"
cd "$REPO_ROOT"

bash "$here/install-system.sh"
bash "$here/install-python.sh"
bash "$here/postgres.sh" start
bash "$here/kafka.sh" start

# As the cluster's admin: the catalogue's topics and, with SASL, a principal per service and per
# program's agency, with its credentials (kafka-$KAFKA_PORT/credentials/) and exactly its ACLs.
kafka_env="$(bash "$here/kafka.sh" env)"
KAFKA_CREDENTIALS="$(bash "$here/kafka.sh" credentials)"
if grep -q '^RUJUKAN_KAFKA_SECURITY_PROTOCOL=SASL' <<<"$kafka_env"; then
  (set -a && source <(echo "$kafka_env") && set +a \
    && uv run rujukan kafka access apply --credentials-dir "$KAFKA_CREDENTIALS")
else
  uv run python -m rujukan_platform topics
fi
for svc in "${SERVICES[@]}"; do
  read -r name pkg port _ <<<"$svc"
  uv run python -m "$pkg" migrate >/dev/null
done
uv run python -m rujukan_workbench migrate >/dev/null  # its signed-in sessions
uv run python -m rujukan_registry seed
uv run python -m rujukan_intake load-registry services/intake/seed/registry.csv

# Alertmanager's config and the token it posts alerts with (read on every request: a year long,
# renewed by every `make up`).
mkdir -p "$ALERTMANAGER_DIR"
sed "s|127.0.0.1:8004/|127.0.0.1:$NOTIFICATIONS_PORT/|" deploy/prometheus/alertmanager.yml \
  >"$ALERTMANAGER_DIR/alertmanager.yml"
(umask 077 && uv run python -m rujukan_platform token issue --role admin --subject alertmanager \
  --ttl 31536000 >"$ALERTMANAGER_DIR/alertmanager.token.new")
mv "$ALERTMANAGER_DIR/alertmanager.token.new" "$ALERTMANAGER_DIR/alertmanager.token"

bash "$here/supervisor.sh" start

# Wait until every service answers /readyz; a program that gave up (FATAL) fails `make up`.
wait_ready() {  # name url
  local name="$1" url="$2" state
  for _ in $(seq 1 360); do   # 3 min: a loaded 2-core machine starts a service in 2
    if curl -fsS "$url" >/dev/null 2>&1; then return 0; fi
    state="$("${UV_PROJECT_ENVIRONMENT:-$REPO_ROOT/.venv}/bin/supervisorctl" \
      -c "$RUJUKAN_STATE_DIR/supervisor/supervisord.conf" status "$name" 2>/dev/null | awk '{print $2}')"
    if [[ "$state" == FATAL ]]; then
      echo "up: $name keeps exiting (supervisor gave up); its log:"; tail -n 30 "$LOG_DIR/$name.log"; exit 1
    fi
    sleep 0.5
  done
  echo "up: $name not ready at $url; its log:"; tail -n 30 "$LOG_DIR/$name.log"; exit 1
}
for svc in "${SERVICES[@]}"; do
  read -r name pkg port _ <<<"$svc"
  wait_ready "$name" "http://127.0.0.1:$port/readyz"
done
wait_ready workbench "http://127.0.0.1:$WORKBENCH_PORT/healthz"
wait_ready prometheus "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"
wait_ready alertmanager "http://127.0.0.1:$ALERTMANAGER_PORT/-/ready"

token=$(uv run python -m rujukan_platform token issue --role admin --subject dev-admin)
echo "$token" >"$RUJUKAN_STATE_DIR/admin.token"
cat <<TXT

Rujukan is up.
  workbench         http://127.0.0.1:$WORKBENCH_PORT  (officers' pages; sign in as anyone: development)
  intake            http://127.0.0.1:$INTAKE_PORT/docs
  program-registry  http://127.0.0.1:$REGISTRY_PORT/docs
  referral-router   http://127.0.0.1:$ROUTER_PORT/docs
  notifications     http://127.0.0.1:$NOTIFICATIONS_PORT/docs
  Kafka             $RUJUKAN_KAFKA_BOOTSTRAP     PostgreSQL 127.0.0.1:$PG_PORT (rujukan/rujukan)
  Kafka principals  $KAFKA_CREDENTIALS/<name>.env and .properties
                    (admin, intake, ..., agency-pkh, ...; README: an agency with kcat)
  SMTP (mail log)   127.0.0.1:$SMTP_PORT -> $LOG_DIR/smtp.log
  Prometheus        http://127.0.0.1:$PROMETHEUS_PORT/alerts
  Alertmanager      http://127.0.0.1:$ALERTMANAGER_PORT  (alerts go to the operators' inbox at :$NOTIFICATIONS_PORT)
  logs              $LOG_DIR/
A supervisor restarts any of these processes that dies: make status shows them and their restarts.
An administrator token (24 h) is in $RUJUKAN_STATE_DIR/admin.token:
  curl -H "Authorization: Bearer \$(cat $RUJUKAN_STATE_DIR/admin.token)" http://127.0.0.1:$REGISTRY_PORT/v1/programs
Other tokens: uv run python -m rujukan_platform token issue --role operator --region 33.04
Stop everything: make down
TXT
