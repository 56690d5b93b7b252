#!/usr/bin/env bash
# Apache Kafka (KRaft) for local dev, `make up` and test fixtures: one broker by default, or a
# cluster of N brokers, each a combined broker+controller JVM. Jars come from Maven Central via
# deploy/local/kafka/pom.xml.
#
#   [BROKERS=N] [KAFKA_AUTH=scram|none] deploy/local/kafka.sh
#       {start|stop|status|wait|bootstrap|credentials|env}
#
# Broker i (0..N-1) has node.id i+1, listens on 127.0.0.1:KAFKA_PORT+100*i (its controller on
# KAFKA_CONTROLLER_PORT+100*i) and keeps its files in $RUJUKAN_STATE_DIR/kafka-<its port>/.
# Every broker is a controller voter. With N >= 3 topics get 3 replicas and
# min.insync.replicas=2 (internal topics too); with N = 1 everything has one replica.
# The size is recorded on the first start (kafka-$KAFKA_PORT/cluster.brokers): commands without
# BROKERS use it, a different BROKERS is refused (the storage was formatted for another quorum).
#
# Authentication (KAFKA_AUTH=scram, the default): clients and brokers talk SASL_PLAINTEXT with
# SCRAM-SHA-512 on the client listener (brokers replicate over it as the super user `broker`);
# KRaft's StandardAuthorizer with allow.everyone.if.no.acl.found=false denies whatever no ACL
# grants. Super users: `admin` (operators, tests, `rujukan kafka access apply`), `broker`, and
# ANONYMOUS, which is what the controller listener's PLAINTEXT peers are: only the controller
# listener (127.0.0.1, brokers' quorum traffic) is unauthenticated. The `admin` and `broker`
# SCRAM credentials are bootstrapped when the storage is formatted (KIP-900), with random
# passwords kept in kafka-$KAFKA_PORT/credentials/ (0600): admin.env (RUJUKAN_KAFKA_* for the
# platform's clients) and admin.properties (kcat -F, librdkafka). Every other principal (a
# service, a program's agency) is made by `rujukan kafka access apply`, from the catalogue.
# KAFKA_AUTH=none: one PLAINTEXT listener and no authorizer, as before. `start`
# restarts brokers that run with the other KAFKA_AUTH.
#
# Env (defaults):
#   BROKERS                the recorded size, else 1
#   RUJUKAN_STATE_DIR      <repo>/.local     per-broker config, data, log, pid
#   KAFKA_AUTH             scram             scram (SASL/SCRAM-SHA-512 + ACLs) or none (PLAINTEXT)
#   KAFKA_PORT             9092              client listener of broker 0 on 127.0.0.1
#   KAFKA_CONTROLLER_PORT  9093              KRaft controller listener of broker 0
#   KAFKA_HEAP             512m              -Xms/-Xmx of each broker
#   KAFKA_GC_OPTS          parallel, 1 thread   the broker's collector (G1's concurrent threads
#                                            cost a local broker 10-15 % more CPU; decisions.md)
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
KAFKA_GC_OPTS="${KAFKA_GC_OPTS:--XX:+UseParallelGC -XX:ParallelGCThreads=1}"
KAFKA_LIBS_DIR="${KAFKA_LIBS_DIR:-$HOME/.cache/rujukan/kafka-$KAFKA_VERSION/libs}"
KAFKA_AUTH="${KAFKA_AUTH:-scram}"

say() { echo "kafka: $*"; }
die() { echo "kafka: ERROR: $*" >&2; exit 1; }

# Broker 0's directory holds what concerns the whole cluster: its size, the start lock and the
# tools' logging config.
FIRST_DIR="$RUJUKAN_STATE_DIR/kafka-$KAFKA_PORT"
SIZE_FILE="$FIRST_DIR/cluster.brokers"
TOOLS_LOG4J_CONFIG="$FIRST_DIR/tools-log4j2.properties"
# The credentials of the cluster's principals, and the Java client config the tools use.
CRED_DIR="$FIRST_DIR/credentials"
TOOLS_CLIENT_CONFIG="$CRED_DIR/admin.client.properties"
# Written once the admin and broker SCRAM credentials are in the cluster's metadata.
SCRAM_MARK="$FIRST_DIR/scram.users"
SCRAM="SCRAM-SHA-512"

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
[[ "$KAFKA_AUTH" == scram || "$KAFKA_AUTH" == none ]] \
  || die "KAFKA_AUTH must be scram or none, not '$KAFKA_AUTH'"
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

# --- credentials ---------------------------------------------------------------

# 32 letters and digits: nothing that a properties file or a JAAS line would have to escape.
new_password() { tr -dc 'A-Za-z0-9' </dev/urandom 2>/dev/null | head -c 32 || true; }

password_of() { sed -n 's/^RUJUKAN_KAFKA_SASL_PASSWORD=//p' "$CRED_DIR/$1.env" 2>/dev/null || true; }

# <name>.env (RUJUKAN_KAFKA_* for the platform's clients) and <name>.properties (librdkafka:
# kcat -F), both 0600 -- the files `rujukan kafka access apply` writes for every other principal.
write_credentials() {  # name password
  local name="$1" password="$2"
  mkdir -p "$CRED_DIR"
  chmod 700 "$CRED_DIR"
  (
    umask 077
    cat >"$CRED_DIR/$name.env.tmp" <<EOF
RUJUKAN_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT
RUJUKAN_KAFKA_SASL_MECHANISM=$SCRAM
RUJUKAN_KAFKA_SASL_USERNAME=$name
RUJUKAN_KAFKA_SASL_PASSWORD=$password
EOF
    cat >"$CRED_DIR/$name.properties.tmp" <<EOF
# librdkafka client config of Kafka principal '$name': kcat -F $CRED_DIR/$name.properties
bootstrap.servers=$BOOTSTRAP
security.protocol=SASL_PLAINTEXT
sasl.mechanisms=$SCRAM
sasl.username=$name
sasl.password=$password
EOF
    mv "$CRED_DIR/$name.env.tmp" "$CRED_DIR/$name.env"
    mv "$CRED_DIR/$name.properties.tmp" "$CRED_DIR/$name.properties"
  )
}

# The super users' passwords, made once: a new one also means the cluster must learn it again.
ensure_credentials() {
  local name
  for name in admin broker; do
    if [[ -z "$(password_of "$name")" ]]; then
      write_credentials "$name" "$(new_password)"
      rm -f "$SCRAM_MARK"
    fi
  done
  (
    umask 077
    cat >"$TOOLS_CLIENT_CONFIG" <<EOF
security.protocol=SASL_PLAINTEXT
sasl.mechanism=$SCRAM
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(password_of admin)";
EOF
  )
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

# The client listener and who may do what on it, as server.properties lines.
listener_config() {
  if [[ "$KAFKA_AUTH" == none ]]; then
    cat <<EOF
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
EOF
    return
  fi
  cat <<EOF
# Clients and brokers authenticate with SCRAM-SHA-512 (brokers as the super user 'broker');
# the controller listener stays PLAINTEXT on 127.0.0.1 (quorum traffic between these JVMs), so
# its peers are User:ANONYMOUS, a super user: it is the one unauthenticated listener.
listeners=SASL_PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=SASL_PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
sasl.enabled.mechanisms=$SCRAM
sasl.mechanism.inter.broker.protocol=$SCRAM
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="$(password_of broker)";

# Whatever no ACL allows is denied; ACLs come from the topic catalogue (rujukan kafka access).
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:broker;User:ANONYMOUS
EOF
}

write_config() {  # of the selected broker
  mkdir -p "$INSTANCE_DIR" "$DATA_DIR"
  # Static quorum (controller.quorum.voters lists every broker): storage is then formatted
  # without --standalone or --initial-controllers. 0600: it holds the broker's password.
  (umask 077 && cat >"$CONFIG" <<EOF
# Generated by deploy/local/kafka.sh -- edits are overwritten on every start.
process.roles=broker,controller
node.id=$((B + 1))
controller.quorum.voters=$VOTERS
$(listener_config)
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
  )
  chmod 600 "$CONFIG"   # written before the umask, by an older kafka.sh

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
  local b cluster_id="" id formatted=0 scram_args=()
  if [[ "$KAFKA_AUTH" == scram ]]; then
    scram_args=(--add-scram "$SCRAM=[name=admin,password=$(password_of admin)]"
      --add-scram "$SCRAM=[name=broker,password=$(password_of broker)]")
  fi
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
    kafka_tool kafka.tools.StorageTool format -t "$cluster_id" -c "$CONFIG" "${scram_args[@]}" \
      >>"$LOG_FILE" 2>&1 || { tail -n 30 "$LOG_FILE" >&2; die "storage format failed"; }
    formatted=$((formatted + 1))
  done
  echo "$BROKERS" >"$SIZE_FILE"
  RECORDED="$BROKERS"
  # A whole new cluster knows its super users from its first metadata record (KIP-900).
  if ((formatted == BROKERS)) && ((${#scram_args[@]} > 0)); then date -Is >"$SCRAM_MARK"; fi
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

# Whether the process started for the selected broker still lives. Not running_pid: until the
# forked shell has exec'd setsid and then java, its command line is kafka.sh's own, and a loaded
# machine stretches that moment (the broker started, but start said it had died).
launched_pid_alive() {
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Ready = a real Kafka client (authenticated as admin with KAFKA_AUTH=scram) gets an ApiVersions
# answer from every broker, found through the cluster's metadata (which lists only registered,
# unfenced brokers).
is_ready() {
  local out
  listening "$(port_of 0)" || return 1
  local auth=()
  [[ "$KAFKA_AUTH" == none ]] || auth=(--command-config "$TOOLS_CLIENT_CONFIG")
  out="$(kafka_tool org.apache.kafka.tools.BrokerApiVersionsCommand \
    --bootstrap-server "$BOOTSTRAP" "${auth[@]}" 2>/dev/null)" || return 1
  (($(grep -c ' (id: ' <<<"$out") >= BROKERS))
}

wait_ready() {
  local deadline=$((SECONDS + KAFKA_READY_TIMEOUT)) b
  while ((SECONDS < deadline)); do
    for b in $(brokers); do
      select_broker "$b"
      if ! launched_pid_alive; then
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
  # The parallel collector on one thread (the machine's cores are the services'), small fixed
  # heap, no huge metaspace; exit (not limp) on OOM.
  setsid java \
    -Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" \
    $KAFKA_GC_OPTS -XX:MaxMetaspaceSize=256m \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$LOG4J_CONFIG" \
    -Dkafka.logs.dir="$INSTANCE_DIR" \
    -cp "$KAFKA_LIBS_DIR/*" kafka.Kafka "$CONFIG" \
    </dev/null >>"$LOG_FILE" 2>&1 9>&- &   # 9>&-: the JVM must not inherit the start lock
  echo $! >"$PID_FILE"
  say "starting Kafka $KAFKA_VERSION broker $((B + 1)) on 127.0.0.1:$PORT (pid $!, log $LOG_FILE)"
}

# The KAFKA_AUTH the selected broker was last launched with (its config is written at launch).
launched_auth() { if grep -q '^listeners=SASL_PLAINTEXT' "$CONFIG"; then echo scram; else echo none; fi; }

# Puts the admin and broker SCRAM credentials into a cluster formatted without them (with
# KAFKA_AUTH=none, or whose credentials files were lost). Kafka takes them only from a format or
# through a broker (not the controller listener): so the cluster runs once without
# authentication, on 127.0.0.1, long enough to be told them, and stops again.
add_scram_users() {
  local b pid running=() name
  say "adding the admin and broker SCRAM users: running the cluster once without authentication"
  for b in $(brokers); do
    select_broker "$b"
    if pid="$(running_pid)"; then running+=("$pid"); fi
  done
  if ((${#running[@]} > 0)); then stop_pids "${running[@]}"; fi
  KAFKA_AUTH=none
  for b in $(brokers); do
    select_broker "$b"
    launch
  done
  wait_ready
  for name in admin broker; do
    kafka_tool kafka.admin.ConfigCommand --bootstrap-server "$BOOTSTRAP" \
      --alter --entity-type users --entity-name "$name" \
      --add-config "$SCRAM=[iterations=4096,password=$(password_of "$name")]" >/dev/null \
      || die "could not set the SCRAM credentials of '$name'"
  done
  running=()
  for b in $(brokers); do
    select_broker "$b"
    if pid="$(running_pid)"; then running+=("$pid"); fi
  done
  stop_pids "${running[@]}"
  KAFKA_AUTH=scram
  date -Is >"$SCRAM_MARK"
  say "SCRAM users admin and broker added (credentials in $CRED_DIR)"
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
  [[ "$KAFKA_AUTH" == none ]] || ensure_credentials
  local t0=$SECONDS b started=0 pid other=()
  format_storage
  [[ "$KAFKA_AUTH" == none || -f "$SCRAM_MARK" ]] || add_scram_users
  for b in $(brokers); do   # brokers running with the other KAFKA_AUTH are restarted
    select_broker "$b"
    if pid="$(running_pid)" && [[ "$(launched_auth)" != "$KAFKA_AUTH" ]]; then other+=("$pid"); fi
  done
  if ((${#other[@]} > 0)); then
    say "restarting broker(s) running without KAFKA_AUTH=$KAFKA_AUTH (pid ${other[*]})"
    stop_pids "${other[@]}"
  fi
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
  [[ "$KAFKA_AUTH" == none || -f "$TOOLS_CLIENT_CONFIG" ]] || die "no credentials in $CRED_DIR"
  wait_ready
  say "ready on $BOOTSTRAP"
}

# What a client of this cluster needs, as KEY=value lines (`set -a; source <(kafka.sh env)`):
# the bootstrap list and, with KAFKA_AUTH=scram, the admin's credentials.
cmd_env() {
  echo "RUJUKAN_KAFKA_BOOTSTRAP=$BOOTSTRAP"
  if [[ "$KAFKA_AUTH" == none ]]; then
    echo "RUJUKAN_KAFKA_SECURITY_PROTOCOL=PLAINTEXT"
    return
  fi
  [[ -f "$CRED_DIR/admin.env" ]] || die "no credentials in $CRED_DIR (start the cluster first)"
  cat "$CRED_DIR/admin.env"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  wait) cmd_wait ;;
  bootstrap) echo "$BOOTSTRAP" ;;
  credentials) echo "$CRED_DIR" ;;
  env) cmd_env ;;
  *)
    echo "usage: [BROKERS=N] [KAFKA_AUTH=scram|none] $0 {start|stop|status|wait|bootstrap|credentials|env}" >&2
    exit 2
    ;;
esac
