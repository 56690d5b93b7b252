#!/usr/bin/env bash
# make up: install what is needed, start Kafka, PostgreSQL, a local SMTP server and the four
# services, create topics and databases, seed the catalogue. Running it twice does no harm.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/env.sh"
cd "$REPO_ROOT"

bash "$here/install-system.sh"
bash "$here/install-python.sh"
bash "$here/postgres.sh" start
bash "$here/kafka.sh" start

uv run python -m rujukan_platform topics
for svc in "${SERVICES[@]}"; do
  read -r name pkg port <<<"$svc"
  uv run python -m "$pkg" migrate >/dev/null
done
uv run python -m rujukan_registry seed
uv run python -m rujukan_intake load-registry services/intake/seed/registry.csv

if ! alive "$RUN_DIR/smtp.pid"; then
  # A real SMTP server (aiosmtpd) that prints every message it receives to its log.
  nohup uv run python -m aiosmtpd -n -c aiosmtpd.handlers.Debugging -l "127.0.0.1:$SMTP_PORT" \
    >"$LOG_DIR/smtp.log" 2>&1 &
  echo $! >"$RUN_DIR/smtp.pid"
fi
for svc in "${SERVICES[@]}"; do
  read -r name pkg port <<<"$svc"
  if alive "$RUN_DIR/$name.pid"; then continue; fi
  nohup uv run python -m "$pkg" serve >"$LOG_DIR/$name.log" 2>&1 &
  echo $! >"$RUN_DIR/$name.pid"
done
for svc in "${SERVICES[@]}"; do
  read -r name pkg port <<<"$svc"
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then break; fi
    if ! alive "$RUN_DIR/$name.pid"; then
      echo "up: $name exited; its log:"; tail -n 30 "$LOG_DIR/$name.log"; exit 1
    fi
    sleep 0.5
  done
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { echo "up: $name not ready"; exit 1; }
done

token=$(uv run python -m rujukan_platform token issue --role admin --subject dev-admin)
echo "$token" >"$RUJUKAN_STATE_DIR/admin.token"
cat <<TXT

Rujukan is up.
  intake            http://127.0.0.1:8001/docs
  program-registry  http://127.0.0.1:8002/docs
  referral-router   http://127.0.0.1:8003/docs
  notifications     http://127.0.0.1:8004/docs
  Kafka             127.0.0.1:$KAFKA_PORT     PostgreSQL 127.0.0.1:$PG_PORT (rujukan/rujukan)
  SMTP (mail log)   127.0.0.1:$SMTP_PORT -> $LOG_DIR/smtp.log
  logs              $LOG_DIR/
An administrator token (24 h) is in $RUJUKAN_STATE_DIR/admin.token:
  curl -H "Authorization: Bearer \$(cat .local/admin.token)" http://127.0.0.1:8002/v1/programs
Other tokens: uv run python -m rujukan_platform token issue --role operator --region 33.04
Stop everything: make down
TXT
