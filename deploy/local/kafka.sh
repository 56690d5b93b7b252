#!/usr/bin/env bash
# Apache Kafka (KRaft) for local dev, `make up` and test fixtures: one broker by default, or a
# cluster of N brokers, each a combined broker+controller JVM. Jars come from Maven Central via
# deploy/local/kafka/pom.xml.
#
#   [BROKERS=N] deploy/local/kafka.sh {start|stop|status|wait|bootstrap}
#
# Broker i (0..N-1) has node.id i+1, listens on 127.0.0.1:KAFKA_PORT+100*i (its controller on
# KAFKA_CONTROLLER_PORT+100*i) and keeps its files in $RUJUKAN_STATE_DIR/kafka-<its port>/.
# Every broker is a controller voter. With N >= 3 topics get 3 replicas and
# min.insync.replicas=2 (internal topics too); with N = 1 everything has one replica.
# The size is recorded on the first start (kafka-$KAFKA_PORT/cluster.brokers): commands without
# BROKERS use it, a different BROKERS is refused (the storage was formatted for another quorum).
#
# Env (defaults):
#   BROKERS                the recorded size, else 1
#   RUJUKAN_STATE_DIR      <repo>/.local     per-broker config, data, log, pid
#   KAFKA_PORT             9092              PLAINTEXT listener of broker 0 on 127.0.0.1
#   KAFKA_CONTROLLER_PORT  9093              KRaft controller listener of broker 0
#   KAFKA_HEAP             512m              -Xms/-Xmx of each broker
#   KAFKA_LIBS_DIR         $HOME/.cache/rujukan/kafka-<version>/libs   shared jar cache
#   KAFKA_READY_TIMEOUT    60+60*N           seconds `start`/`wait` wait for readiness (a loaded
#                                            2-core machine needs over a minute after a crash)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
POM="$SCRIPT_DIR/kafka/pom.xml"

# Single source of truth for the version: the pom's <kafka.version>.
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1)"

RUJUKAN_STATE_DIR="${RUJUKAN_STATE_DIR:-$REPO_ROOT/.local}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP="${KAFKA_HEAP:-512m}"
KAFKA_LIBS_DIR="${KAFKA_LIBS_DIR:-$HOME/.cache/rujukan/kafka-$KAFKA_VERSION/libs}"

say() { echo "kafka: $*"; }
die() { echo "kafka: ERROR: $*" >&2; exit 1; }

# Broker 0's directory holds what concerns the whole cluster: its size, the start lock and the
# tools' logging config.
FIRST_DIR="$RUJUKAN_STATE_DIR/kafka-$KAFKA_PORT"
SIZE_FILE="$FIRST_DIR/cluster.brokers"
TOOLS_LOG4J_CONFIG="$FIRST_DIR/tools-log4j2.properties"

recorded_brokers() {
  if [[ -f "$SIZE_FILE" ]]; then
    cat "$SIZE_FILE"
  elif [[ -f "$FIRST_DIR/data/meta.properties" ]]; then
    echo 1   # formatted before sizes were recorded: a single broker
  fi
}

RECORDED="$(recorded_brokers)"
BROKERS="${BROKERS:-${RECORDED:-1}}"
[[ "$BROKERS" =~ ^[1-9][0-9]?$ ]] || die "BROKERS must be a number from 1 to 99, not '$BROKERS'"
KAFKA_READY_TIMEOUT="${KAFKA_READY_TIMEOUT:-$((60 + 60 * BROKERS))}"
# Replicas of every topic, and the replicas in sync that a write with acks=all needs.
REPLICATION=$((BROKERS < 3 ? BROKERS : 3))
MIN_ISR=$((REPLICATION == 3 ? 2 : 1))

port_of() { echo $((KAFKA_PORT + 100 * $1)); }
controller_port_of() { echo $((KAFKA_CONTROLLER_PORT + 100 * $1)); }
brokers() { seq 0 $((BROKERS - 1)); }

BOOTSTRAP=""
VOTERS=""
for b in $(brokers); do
  BOOTSTRAP+="${BOOTSTRAP:+,}127.0.0.1:$(port_of "$b")"
  VOTERS+="${VOTERS:+,}$((b + 1))@127.0.0.1:$(controller_port_of "$b")"
done

# Sets the variables of broker $1 (0-based) that the functions below use.
select_broker() {
  B="$1"
  PORT="$(port_of "$B")"
  CONTROLLER_PORT="$(controller_port_of "$B")"
  INSTANCE_DIR="$RUJUKAN_STATE_DIR/kafka-$PORT"
  DATA_DIR="$INSTANCE_DIR/data"
  CONFIG="$INSTANCE_DIR/server.properties"
  LOG4J_CONFIG="$INSTANCE_DIR/log4j2.properties"
  LOG_FILE="$INSTANCE_DIR/kafka.log"
  PID_FILE="$INSTANCE_DIR/kafka.pid"
}

# --- jars --------------------------------------------------------------------

resolve_jars() {
  if [[ -f "$KAFKA_LIBS_DIR/kafka_2.13-$KAFKA_VERSION.jar" ]]; then
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (run deploy/local/install-system.sh)"
  mkdir -p "$(dirname "$KAFKA_LIBS_DIR")"
  # Serialize concurrent resolvers (parallel test fixtures) on a lock file.
  exec 8>"$(dirname "$KAFKA_LIBS_DIR")/.resolve.lock"
  flock 8
  if [[ ! -f "$KAFKA_LIBS_DIR/kafka_2.13-$KAFKA_VERSION.jar" ]]; then
    say "resolving Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_LIBS_DIR"
    local tmp="$KAFKA_LIBS_DIR.tmp.$$"
    rm -rf "$tmp"
    local mvn_log="$tmp.mvn.log"
    if ! mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
      -DoutputDirectory="$tmp" -DincludeScope=runtime >"$mvn_log" 2>&1; then
      tail -n 40 "$mvn_log" >&2
      rm -rf "$tmp" "$mvn_log"
      die "maven dependency resolution failed"
    fi
    rm -rf "$mvn_log" "$KAFKA_LIBS_DIR"
    mv "$tmp" "$KAFKA_LIBS_DIR"   # atomic publish: a half-filled dir is never visible
  fi
  flock -u 8
  exec 8>&-
}

# Run a Kafka CLI class quietly (tools log only warnings, to stderr).
kafka_tool() {
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$TOOLS_LOG4J_CONFIG" \
    -cp "$KAFKA_LIBS_DIR/*" "$@"
}

# --- config --------------------------------------------------------------------

write_tools_config() {
  mkdir -p "$FIRST_DIR"
  cat >"$TOOLS_LOG4J_CONFIG" <<'EOF'
status = error
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %p %m (%c)%n
rootLogger.level = ERROR
rootLogger.appenderRef.err.ref = STDERR
EOF
}

write_config() {  # of the selected broker
  mkdir -p "$INSTANCE_DIR" "$DATA_DIR"
  # Static quorum (controller.quorum.voters lists every broker): storage is then formatted
  # without --standalone or --initial-controllers.
  cat >"$CONFIG" <<EOF
# Generated by deploy/local/kafka.sh -- edits are overwritten on every start.
process.roles=broker,controller
node.id=$((B + 1))
controller.quorum.voters=$VOTERS
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA_DIR

# $BROKERS broker(s): $REPLICATION replica(s) of every topic, internal ones included; a write
# with acks=all needs $MIN_ISR of them in sync.
offsets.topic.replication.factor=$REPLICATION
transaction.state.log.replication.factor=$REPLICATION
transaction.state.log.min.isr=$MIN_ISR
share.coordinator.state.topic.replication.factor=$REPLICATION
share.coordinator.state.topic.min.isr=$MIN_ISR
default.replication.factor=$REPLICATION
min.insync.replicas=$MIN_ISR

# Topics are created explicitly by the platform / tests.
auto.create.topics.enable=false
num.partitions=3
# Consumers in tests should not wait 3 s for the first rebalance.
group.initial.rebalance.delay.ms=0

# Small dev machine.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=24
log.segment.bytes=104857600
EOF

  cat >"$LOG4J_CONFIG" <<'EOF'
# Broker logging: everything to stdout, which kafka.sh redirects into kafka.log.
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = WARN
EOF
}

# --- storage -------------------------------------------------------------------

cluster_id_of() { sed -n 's/^cluster\.id=//p' "$1/meta.properties" 2>/dev/null || true; }

# Format every broker's storage once, all with one cluster id (meta.properties marks a
# formatted log dir). A log dir without meta.properties never ran (a format was interrupted):
# it is emptied and formatted again.
format_storage() {
  if [[ -n "$RECORDED" && "$RECORDED" != "$BROKERS" ]]; then
    die "$FIRST_DIR was formatted for $RECORDED broker(s), not $BROKERS. Use BROKERS=$RECORDED, or start afresh: stop it and remove $RUJUKAN_STATE_DIR/kafka-* (topics and offsets are lost; after make down, remove the whole $RUJUKAN_STATE_DIR: the databases expect those topics)."
  fi
  local b cluster_id="" id
  for b in $(brokers); do
    select_broker "$b"
    id="$(cluster_id_of "$DATA_DIR")"
    if [[ -n "$id" && -z "$cluster_id" ]]; then cluster_id="$id"; fi
  done
  for b in $(brokers); do
    select_broker "$b"
    if [[ -f "$DATA_DIR/meta.properties" ]]; then
      id="$(cluster_id_of "$DATA_DIR")"
      [[ "$id" == "$cluster_id" ]] \
        || die "$DATA_DIR belongs to cluster $id, not $cluster_id: remove $RUJUKAN_STATE_DIR/kafka-* to start afresh"
      continue
    fi
    if [[ -z "$cluster_id" ]]; then
      cluster_id="$(kafka_tool kafka.tools.StorageTool random-uuid)"
    fi
    rm -rf "$DATA_DIR"
    write_config
    say "formatting storage of broker $((b + 1)) (cluster id $cluster_id)"
    kafka_tool kafka.tools.StorageTool format -t "$cluster_id" -c "$CONFIG" >>"$LOG_FILE" 2>&1 \
      || { tail -n 30 "$LOG_FILE" >&2; die "storage format failed"; }
  done
  echo "$BROKERS" >"$SIZE_FILE"
  RECORDED="$BROKERS"
}

# --- process state -------------------------------------------------------------

# Prints the pid if the selected broker's pid file points at its live JVM: a stale pid file, or
# a pid since reused by another process (another broker's JVM too), reads as not running.
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF "$CONFIG" || return 1
  echo "$pid"
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Ready = a real Kafka client gets an ApiVersions answer from every broker, found through the
# cluster's metadata (which lists only registered, unfenced brokers).
is_ready() {
  local out
  listening "$(port_of 0)" || return 1
  out="$(kafka_tool org.apache.kafka.tools.BrokerApiVersionsCommand \
    --bootstrap-server "$BOOTSTRAP" 2>/dev/null)" || return 1
  (($(grep -c ' (id: ' <<<"$out") >= BROKERS))
}

wait_ready() {
  local deadline=$((SECONDS + KAFKA_READY_TIMEOUT)) b
  while ((SECONDS < deadline)); do
    for b in $(brokers); do
      select_broker "$b"
      if ! running_pid >/dev/null; then
        tail -n 40 "$LOG_FILE" >&2 || true
        die "broker $((b + 1)) exited during startup (log: $LOG_FILE)"
      fi
    done
    if is_ready; then
      return 0
    fi
    sleep 1
  done
  tail -n 40 "$LOG_FILE" >&2 || true
  die "not ready on $BOOTSTRAP after ${KAFKA_READY_TIMEOUT}s (log: $LOG_FILE)"
}

pids() {
  local b out=""
  for b in $(brokers); do
    select_broker "$b"
    out+="${out:+, }pid $(running_pid || echo -)"
  done
  echo "$out"
}

# --- commands ------------------------------------------------------------------

launch() {  # the selected broker
  # A JVM killed a moment ago still holds its ports while the kernel tears it down.
  local i
  for ((i = 0; i < 50; i++)); do
    listening "$PORT" || listening "$CONTROLLER_PORT" || break
    sleep 0.2
  done
  if listening "$PORT" || listening "$CONTROLLER_PORT"; then
    die "port $PORT or $CONTROLLER_PORT is already in use by another process"
  fi
  write_config
  echo "===== $(date -Is) kafka.sh start (Kafka $KAFKA_VERSION) =====" >>"$LOG_FILE"
  # setsid: detach from the caller's process group so Ctrl-C in `make` does not kill it.
  # G1 with short pauses, small fixed heap, no huge metaspace; exit (not limp) on OOM.
  setsid java \
    -Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -XX:MaxMetaspaceSize=256m \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$LOG4J_CONFIG" \
    -Dkafka.logs.dir="$INSTANCE_DIR" \
    -cp "$KAFKA_LIBS_DIR/*" kafka.Kafka "$CONFIG" \
    </dev/null >>"$LOG_FILE" 2>&1 9>&- &   # 9>&-: the JVM must not inherit the start lock
  echo $! >"$PID_FILE"
  say "starting Kafka $KAFKA_VERSION broker $((B + 1)) on 127.0.0.1:$PORT (pid $!, log $LOG_FILE)"
}

# Starts every broker that is not running (a stale pid file from a SIGKILL included), then waits
# until the whole cluster answers.
cmd_start() {
  command -v java >/dev/null || die "java not found (run deploy/local/install-system.sh)"
  mkdir -p "$FIRST_DIR"
  # One starter per cluster at a time.
  exec 9>"$FIRST_DIR/.start.lock"
  flock 9

  resolve_jars
  write_tools_config
  local t0=$SECONDS b started=0
  format_storage
  for b in $(brokers); do
    select_broker "$b"
    running_pid >/dev/null && continue
    launch
    started=$((started + 1))
  done
  wait_ready
  if ((started == 0)); then
    say "already running, ready on $BOOTSTRAP ($(pids))"
  else
    say "ready on $BOOTSTRAP ($(pids), $((SECONDS - t0))s)"
  fi
}

# Stops the given pids together (a quorum stopped one broker at a time loses its majority
# midway): SIGTERM, up to 30 s, then SIGKILL.
stop_pids() {
  local pid i alive
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for ((i = 0; i < 300; i++)); do       # 30 s in 0.1 s steps
    alive=0
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || return 0
    sleep 0.1
  done
  for pid in "$@"; do
    if kill -0 "$pid" 2>/dev/null; then
      say "pid $pid did not stop within 30s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
  done
}

cmd_stop() {
  local b pid stopping=()
  for b in $(brokers); do
    select_broker "$b"
    if pid="$(running_pid)"; then stopping+=("$pid"); fi
  done
  if ((${#stopping[@]} > 0)); then
    stop_pids "${stopping[@]}"
  fi
  for b in $(brokers); do
    select_broker "$b"
    rm -f "$PID_FILE"
  done
  if ((${#stopping[@]} == 0)); then
    say "not running"
  else
    say "stopped (pid ${stopping[*]})"
  fi
}

cmd_status() {
  local b pid down=0
  if ((BROKERS == 1)); then
    select_broker 0
    if pid="$(running_pid)"; then
      say "running on $BOOTSTRAP (pid $pid)"
      return 0
    fi
    say "stopped"
    return 1
  fi
  for b in $(brokers); do
    select_broker "$b"
    if pid="$(running_pid)"; then
      say "broker $((b + 1)) running on 127.0.0.1:$PORT (pid $pid)"
    else
      say "broker $((b + 1)) stopped (127.0.0.1:$PORT)"
      down=1
    fi
  done
  return $down
}

cmd_wait() {
  local b
  for b in $(brokers); do
    select_broker "$b"
    running_pid >/dev/null || die "broker $((b + 1)) is not running"
  done
  [[ -f "$KAFKA_LIBS_DIR/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "jars missing in $KAFKA_LIBS_DIR"
  [[ -f "$TOOLS_LOG4J_CONFIG" ]] || write_tools_config
  wait_ready
  say "ready on $BOOTSTRAP"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  wait) cmd_wait ;;
  bootstrap) echo "$BOOTSTRAP" ;;
  *)
    echo "usage: [BROKERS=N] $0 {start|stop|status|wait|bootstrap}" >&2
    exit 2
    ;;
esac
