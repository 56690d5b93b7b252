#!/usr/bin/env bash
# Proves that `postgres.sh start` and `kafka.sh start` bring a server back right after a
# SIGKILL: ROUNDS times, kill -9 the server (the plain way, with its pid since taken by another
# process, with a half-written pid file, in the middle of its own start), start it again and
# check that it answers a real client (PostgreSQL: a query over TCP; Kafka: a write with
# acks=all read back by a consumer).
#
#   deploy/local/sigkill-check.sh [ROUNDS]          (default 6)
#
# Uses its own state dir and ports unless told otherwise (RUJUKAN_STATE_DIR, KAFKA_PORT,
# KAFKA_CONTROLLER_PORT, PG_PORT, BROKERS); stops what it started at the end. The ports are below
# the kernel's ephemeral range (32768 up here), where no outgoing connection can hold them while
# a server restarts after its kill (docs/decisions.md, "Local servers get ports below the ephemeral range").
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
rounds="${1:-6}"
export RUJUKAN_STATE_DIR="${RUJUKAN_STATE_DIR:-$repo/.local/sigkill-check}"
export KAFKA_PORT="${KAFKA_PORT:-29092}" KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-29093}"
export PG_PORT="${PG_PORT:-25492}"
bootstrap="$(bash "$here/kafka.sh" bootstrap)"
failures=0

say() { echo "sigkill-check: $*"; }
cleanup() {
  bash "$here/kafka.sh" stop >/dev/null || true
  bash "$here/postgres.sh" stop >/dev/null || true
}
trap cleanup EXIT
trap 'say "stopped by a failing command at line $LINENO"' ERR

pg_data() {
  local d
  for d in "$RUJUKAN_STATE_DIR/postgres-$PG_PORT/data" "/var/tmp/rujukan-pg-$PG_PORT/data"; do
    if [[ -d "$d" ]]; then echo "$d"; return; fi
  done
}
pg_answers() {
  PGPASSWORD=rujukan psql -X -q -t -A -h 127.0.0.1 -p "$PG_PORT" -U rujukan -d intake \
    -c "CREATE TABLE IF NOT EXISTS sigkill_check (n int); INSERT INTO sigkill_check VALUES (1);
        SELECT count(*) FROM sigkill_check" 2>/dev/null
}
kafka_answers() {  # as the broker's admin (KAFKA_AUTH=scram: kafka.sh env has its credentials)
  (cd "$repo" && set -a && source <(bash "$here/kafka.sh" env) && set +a \
    && uv run --quiet python - "$bootstrap" <<'PY'
import asyncio, sys, uuid
from aiokafka.admin import NewTopic
from rujukan_platform.kafka import create_topics, make_consumer, make_producer

async def main(bootstrap: str) -> None:
    topic = "sigkill.check"
    await create_topics(bootstrap, [NewTopic(topic, 1, 1)])
    value = uuid.uuid4().hex.encode()
    producer = make_producer(bootstrap, client_id="sigkill-check")
    await producer.start()
    try:
        meta = await asyncio.wait_for(producer.send_and_wait(topic, value), 60)
    finally:
        await producer.stop()
    consumer = make_consumer(bootstrap, group_id=f"sigkill-{value.decode()}", client_id="sigkill-check")
    consumer.subscribe([topic])
    await consumer.start()
    try:
        async def find() -> None:
            async for record in consumer:
                if record.value == value:
                    return
        await asyncio.wait_for(find(), 60)
    finally:
        await consumer.stop()
    print(f"offset {meta.offset}")

asyncio.run(main(sys.argv[1]))
PY
  )
}

# One round against one server: $1 = postgres|kafka, $2 = how it is killed.
round() {
  local server="$1" how="$2" pidfile pid t0 out decoy=""
  if [[ "$server" == postgres ]]; then
    pidfile="$(pg_data)/postmaster.pid"
  else
    pidfile="$RUJUKAN_STATE_DIR/kafka-$KAFKA_PORT/kafka.pid"
    if ((${BROKERS:-1} > 1)); then   # kill a random broker of the cluster
      pidfile="$RUJUKAN_STATE_DIR/kafka-$((KAFKA_PORT + 100 * (RANDOM % BROKERS)))/kafka.pid"
    fi
  fi
  pid="$(head -n1 "$pidfile")"
  kill -KILL "$pid" 2>/dev/null || true   # (not running after a failed round)
  case "$how" in
    plain) ;;
    pid-reused)   # the dead server's pid file now names a live, unrelated process
      sleep 600 &
      decoy=$!
      sed -i "1s/.*/$decoy/" "$pidfile"
      ;;
    half-written) : >"$pidfile" ;;
    during-start)  # start, and kill the new server again before it is ready
      bash "$here/$server.sh" start >/dev/null 2>&1 &
      sleep 3
      pid="$(head -n1 "$pidfile" 2>/dev/null || true)"
      [[ "$pid" =~ ^[0-9]+$ ]] && kill -KILL "$pid" 2>/dev/null || true
      wait "$!" || true
      ;;
  esac
  t0=$SECONDS
  if ! bash "$here/$server.sh" start >"$RUJUKAN_STATE_DIR/sigkill-check.log" 2>&1; then
    say "FAIL $server after kill -9 ($how): start failed"; tail -n 20 "$RUJUKAN_STATE_DIR/sigkill-check.log"
    failures=$((failures + 1)); return
  fi
  if [[ "$server" == postgres ]]; then out="$(pg_answers)"; else out="$(kafka_answers 2>&1 | tail -n1)"; fi
  if [[ "$server" == postgres && "$out" =~ ^[0-9]+$ ]] || [[ "$server" == kafka && "$out" == offset* ]]; then
    say "ok   $server after kill -9 ($how): started in $((SECONDS - t0))s, answers ($out)"
  else
    say "FAIL $server after kill -9 ($how): started but does not answer: $out"
    failures=$((failures + 1))
  fi
  if [[ -n "$decoy" ]]; then kill "$decoy" 2>/dev/null || true; fi
}

bash "$here/postgres.sh" start >/dev/null
bash "$here/kafka.sh" start >/dev/null
[[ "$(pg_answers)" =~ ^[0-9]+$ ]] || { say "postgres does not answer before any kill"; exit 1; }
kafka_answers >/dev/null 2>&1 || { say "kafka does not answer before any kill"; exit 1; }
ways=(plain pid-reused half-written during-start)
for ((r = 0; r < rounds; r++)); do
  how="${ways[r % ${#ways[@]}]}"
  round postgres "$how"
  round kafka "$how"
done
if ((failures)); then say "$failures of $((2 * rounds)) restarts FAILED"; exit 1; fi
say "$((2 * rounds)) restarts after kill -9, all answered"
