#!/usr/bin/env bash
# Local PostgreSQL cluster for dev, `make up` and test fixtures.
#
#   deploy/local/postgres.sh {start|stop|status}
#
# Env (defaults):
#   RUJUKAN_STATE_DIR  <repo>/.local     cluster lives in $RUJUKAN_STATE_DIR/postgres-$PG_PORT/
#   PG_PORT            15432             TCP port on 127.0.0.1 (not 5432: avoids a system postgres;
#                                        below the ephemeral range, which outgoing connections use)
#   PG_USER            rujukan           LOGIN CREATEDB role, owner of the databases
#   PG_PASSWORD        rujukan
#   PG_DATABASES       "intake registry router notifications workbench"
#
# PostgreSQL refuses to run as root, so initdb/pg_ctl/psql run as the `postgres` OS user.
# If that user cannot reach $RUJUKAN_STATE_DIR (e.g. it sits under a 0700 home), the
# cluster goes to /var/tmp/rujukan-pg-$PG_PORT instead (a message says so).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

RUJUKAN_STATE_DIR="${RUJUKAN_STATE_DIR:-$REPO_ROOT/.local}"
PG_PORT="${PG_PORT:-15432}"
PG_USER="${PG_USER:-rujukan}"
PG_PASSWORD="${PG_PASSWORD:-rujukan}"
PG_DATABASES="${PG_DATABASES:-intake registry router notifications workbench}"
PG_OS_USER=postgres

# Absolute state dir, then leave the caller's cwd: tools run as `postgres` may not be
# able to access it (e.g. /root).
mkdir -p "$RUJUKAN_STATE_DIR"
RUJUKAN_STATE_DIR="$(cd "$RUJUKAN_STATE_DIR" && pwd)"
cd /

say() { echo "postgres: $*"; }
die() { echo "postgres: ERROR: $*" >&2; exit 1; }

as_pg() { runuser -u "$PG_OS_USER" -- "$@"; }

# Newest installed server version's bin dir (Debian layout), or empty.
find_pg_bin() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
  [[ -n "$d" && -x "$d/initdb" ]] && echo "$d"
  return 0
}

PG_BIN="$(find_pg_bin)"

ensure_installed() {
  [[ -n "$PG_BIN" ]] && return 0
  say "PostgreSQL server not found, installing with apt-get"
  [[ $EUID -eq 0 ]] || die "need root to apt-get install postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  PG_BIN="$(find_pg_bin)"
  [[ -n "$PG_BIN" ]] || die "postgresql installed but no /usr/lib/postgresql/*/bin/initdb"
}

# Decide where the cluster lives. An existing cluster wins; otherwise (start only)
# prefer the state dir when the postgres user can traverse to it.
INSTANCE_DIR=""
pick_instance_dir() {
  local preferred="$RUJUKAN_STATE_DIR/postgres-$PG_PORT"
  local fallback="/var/tmp/rujukan-pg-$PG_PORT"
  if [[ -f "$preferred/data/PG_VERSION" ]]; then
    INSTANCE_DIR="$preferred"
  elif [[ -f "$fallback/data/PG_VERSION" ]]; then
    INSTANCE_DIR="$fallback"
  elif [[ "${1:-}" == create ]]; then
    mkdir -p "$RUJUKAN_STATE_DIR"
    if as_pg test -x "$RUJUKAN_STATE_DIR" 2>/dev/null; then
      INSTANCE_DIR="$preferred"
    else
      INSTANCE_DIR="$fallback"
      say "user '$PG_OS_USER' cannot traverse $RUJUKAN_STATE_DIR; using $INSTANCE_DIR instead"
    fi
    # Unix socket paths are limited to ~107 bytes.
    if (( ${#INSTANCE_DIR} + 20 > 100 )); then
      INSTANCE_DIR="$fallback"
      say "state dir path too long for a unix socket; using $INSTANCE_DIR instead"
    fi
  else
    INSTANCE_DIR="$preferred"
  fi
  DATA_DIR="$INSTANCE_DIR/data"
  SOCKET_DIR="$INSTANCE_DIR/run"
  LOG_FILE="$INSTANCE_DIR/postgres.log"
}

# Prints the postmaster's pid if one runs on this data directory. pg_ctl status alone is not
# trusted: after a SIGKILL the pid in a stale postmaster.pid may belong to another process.
postmaster_pid() {
  [[ -n "$PG_BIN" && -f "$DATA_DIR/postmaster.pid" ]] || return 1
  local pid
  pid="$(head -n1 "$DATA_DIR/postmaster.pid" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF "$DATA_DIR" || return 1
  echo "$pid"
}

is_running() { postmaster_pid >/dev/null; }

accepting() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; }

wait_accepting() {
  local i
  for ((i = 0; i < 120; i++)); do
    accepting && return 0
    is_running || break
    sleep 0.5
  done
  accepting || { tail -n 30 "$LOG_FILE" >&2; die "not accepting connections on 127.0.0.1:$PG_PORT"; }
}

# Processes of this cluster: every PostgreSQL process works in its data directory.
cluster_pids() {
  local cwd pid
  for cwd in /proc/[0-9]*/cwd; do
    [[ "$(readlink "$cwd" 2>/dev/null)" == "$DATA_DIR" ]] || continue
    pid="${cwd#/proc/}"
    echo "${pid%/cwd}"
  done
}

# After a SIGKILL of the postmaster its children live on for a moment, still attached to its
# shared memory, and a new postmaster refuses to start beside them: wait for them (they notice
# the postmaster's death), kill what remains, then remove the stale lock files.
clear_remains() {
  local i left
  for ((i = 0; i < 50; i++)); do
    left="$(cluster_pids)"
    [[ -z "$left" ]] && break
    sleep 0.2
  done
  if [[ -n "$left" ]]; then
    say "killing what is left of a stopped server (pid $(echo $left))"
    kill -KILL $left 2>/dev/null || true
    sleep 0.5
  fi
  if [[ -f "$DATA_DIR/postmaster.pid" ]]; then
    say "removing the stale postmaster.pid of a server that is gone"
    rm -f "$DATA_DIR/postmaster.pid"
  fi
  rm -f "$SOCKET_DIR/.s.PGSQL.$PG_PORT" "$SOCKET_DIR/.s.PGSQL.$PG_PORT.lock"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PG_PORT") 2>/dev/null; }

init_cluster() {
  mkdir -p "$INSTANCE_DIR"
  chown "$PG_OS_USER:" "$INSTANCE_DIR"
  chmod 0755 "$INSTANCE_DIR"   # data/ itself stays 0700; run/ (socket) stays reachable
  as_pg mkdir -p "$SOCKET_DIR"
  [[ -f "$DATA_DIR/PG_VERSION" ]] && return 0
  say "initdb in $DATA_DIR"
  as_pg "$PG_BIN/initdb" -D "$DATA_DIR" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 >"$INSTANCE_DIR/initdb.log" 2>&1 \
    || { tail -n 20 "$INSTANCE_DIR/initdb.log" >&2; die "initdb failed"; }
  echo "include_if_exists = 'rujukan.conf'" | as_pg tee -a "$DATA_DIR/postgresql.conf" >/dev/null
}

# Config is rewritten on every start so changes here (and to PG_PORT) take effect.
write_config() {
  as_pg tee "$DATA_DIR/rujukan.conf" >/dev/null <<EOF
# Generated by deploy/local/postgres.sh -- overwritten on every start.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$SOCKET_DIR'
max_connections = 200
shared_buffers = 128MB
password_encryption = scram-sha-256
logging_collector = off
log_min_messages = warning
log_line_prefix = '%m [%p] %q%u@%d '
# Outboxes are queues (rows inserted and deleted thousands of times a second): look for tables
# to vacuum every few seconds, or the relay scans ever more dead rows (docs/decisions.md).
autovacuum_naptime = 5s
EOF
  # Socket: postgres superuser via peer auth (used by this script); everyone else by password.
  # TCP: 127.0.0.1 only, scram.
  as_pg tee "$DATA_DIR/pg_hba.conf" >/dev/null <<EOF
# Generated by deploy/local/postgres.sh -- overwritten on every start.
# TYPE  DATABASE  USER      ADDRESS        METHOD
local   all       postgres                 peer
local   all       all                      scram-sha-256
host    all       all       127.0.0.1/32   scram-sha-256
EOF
}

provision() {
  local psql=("$PG_BIN/psql" -X -q -h "$SOCKET_DIR" -p "$PG_PORT" -U postgres -d postgres
              -v ON_ERROR_STOP=1 -v "u=$PG_USER" -v "pw=$PG_PASSWORD")
  # Role: create if missing, (re)set password every time so PG_PASSWORD changes apply.
  as_pg "${psql[@]}" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'u')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'u') \gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB PASSWORD %L', :'u', :'pw') \gexec
SQL
  local db
  for db in $PG_DATABASES; do
    # CREATE DATABASE cannot run inside a DO block/transaction: use \gexec.
    as_pg "${psql[@]}" -v "db=$db" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'u')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
  done
}

cmd_start() {
  ensure_installed
  pick_instance_dir create
  if is_running; then
    wait_accepting   # a server still recovering from a crash accepts in a moment
    provision
    say "already running, ready on 127.0.0.1:$PG_PORT (data $DATA_DIR)"
    return 0
  fi
  local t0=$SECONDS
  init_cluster
  clear_remains
  # A postmaster killed a moment ago still holds its port while the kernel tears it down.
  local i
  for ((i = 0; i < 50; i++)); do port_open || break; sleep 0.2; done
  port_open && die "port $PG_PORT is already in use by another process"
  write_config
  # setsid -w: new session (Ctrl-C in `make` must not reach the postmaster), wait for pg_ctl.
  # Crash recovery after a SIGKILL replays the WAL first: allow it time.
  as_pg setsid -w "$PG_BIN/pg_ctl" start -D "$DATA_DIR" -l "$LOG_FILE" -w -t 120 -s \
    </dev/null >/dev/null 2>&1 \
    || { tail -n 30 "$LOG_FILE" >&2; die "pg_ctl start failed (log: $LOG_FILE)"; }
  wait_accepting
  provision
  say "ready on 127.0.0.1:$PG_PORT, user $PG_USER, databases: $PG_DATABASES ($((SECONDS - t0))s, data $DATA_DIR)"
}

cmd_stop() {
  pick_instance_dir
  local pid
  if ! pid="$(postmaster_pid)"; then
    say "not running"
    return 0
  fi
  if ! as_pg "$PG_BIN/pg_ctl" stop -D "$DATA_DIR" -m fast -w -t 60 -s; then
    say "fast shutdown took over 60s: immediate shutdown (pid $pid)"
    kill -QUIT "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  fi
  say "stopped (pid $pid)"
}

cmd_status() {
  pick_instance_dir
  local pid
  if pid="$(postmaster_pid)"; then
    if accepting; then
      say "running on 127.0.0.1:$PG_PORT (pid $pid, data $DATA_DIR)"
    else
      say "running, not accepting connections yet (pid $pid, data $DATA_DIR)"
    fi
    return 0
  fi
  say "stopped"
  return 1
}

case "${1:-}" in
  start | stop | status) "cmd_$1" ;;
  *)
    echo "usage: $0 {start|stop|status}" >&2
    exit 2
    ;;
esac
