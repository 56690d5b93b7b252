#!/usr/bin/env bash
# Idempotently install the system packages the local stack needs (Debian/Ubuntu):
# PostgreSQL server, a headless JDK 17+, Maven, curl, Prometheus, Alertmanager, kcat (an
# agency's Kafka client in the README; deploy/local/kcat.sh runs it), jq, and Node with npm (the
# contract checkers in tools/asyncapi, axe-core in tools/axe and the docs assets, each installed
# from its lock file), and Chromium (the workbench's browser tests drive Debian's, through
# Playwright: no browser is downloaded).
# Fast no-op when everything is present; `apt-get update` runs only if something is missing.
#
#   deploy/local/install-system.sh
set -euo pipefail

say() { echo "install-system: $*"; }

missing=()

# PostgreSQL server binaries (Debian layout: /usr/lib/postgresql/<ver>/bin/initdb).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi

# Java 17+ (Kafka 4.x brokers require 17).
java_major() {
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)\(\.[0-9]*\)*.*".*/\1/p' | head -n1
}
if ! command -v java >/dev/null || [[ "$(java_major)" -lt 17 ]] 2>/dev/null; then
  # Pick whichever headless JDK >= 17 the distro offers (Debian 12: 17, Ubuntu 24.04: 21).
  jdk=""
  for v in 17 21 25; do
    if apt-cache show "openjdk-$v-jdk-headless" >/dev/null 2>&1; then jdk="openjdk-$v-jdk-headless"; break; fi
  done
  missing+=("${jdk:-default-jdk-headless}")
fi

command -v mvn >/dev/null || missing+=(maven)
command -v curl >/dev/null || missing+=(curl)
command -v flock >/dev/null || missing+=(util-linux)
command -v prometheus >/dev/null && command -v promtool >/dev/null || missing+=(prometheus)  # promtool: tests/ops
command -v prometheus-alertmanager >/dev/null || missing+=(prometheus-alertmanager)
command -v kcat >/dev/null || missing+=(kcat)
command -v jq >/dev/null || missing+=(jq)  # the README's commands read the services' JSON with it
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)  # tests/e2e/workbench.py launches this one

# Debian's prometheus packages start system services on the ports `make up` uses (9090, and
# Alertmanager's 9093, which is Kafka's controller port): `make up` runs its own, under its
# supervisor, so a system instance is stopped and disabled.
stop_system_services() {
  local unit
  for unit in prometheus prometheus-alertmanager; do
    if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
      if systemctl is-enabled --quiet "$unit" 2>/dev/null || systemctl is-active --quiet "$unit" 2>/dev/null; then
        say "stopping and disabling the system's $unit service"
        systemctl disable --now "$unit" >/dev/null 2>&1 || true
      fi
    elif [[ -x "/etc/init.d/$unit" ]] && "/etc/init.d/$unit" status >/dev/null 2>&1; then
      say "stopping the system's $unit service"
      "/etc/init.d/$unit" stop >/dev/null 2>&1 || true
    fi
  done
}

if ((${#missing[@]} == 0)); then
  say "all present (postgresql, java $(java_major), maven, curl, prometheus, alertmanager, kcat, jq, node $(node --version), chromium)"
  exit 0
fi

[[ $EUID -eq 0 ]] || { echo "install-system: ERROR: need root to install: ${missing[*]}" >&2; exit 1; }
say "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
stop_system_services
say "done"
