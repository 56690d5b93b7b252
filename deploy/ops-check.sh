#!/usr/bin/env bash
# deploy/ops-check.sh — check Rujukan's operations configuration; exit 0 only if all of it holds.
#
#   deploy/ops-check.sh            static checks + live checks against the running platform
#                                  (start it first with `make up`; fails if it is not up)
#   deploy/ops-check.sh --up       same, but runs `make up` first and `make down` at the end
#   deploy/ops-check.sh --static   static checks only (no platform, no Prometheus server)
#   options: --no-poison (send no unreadable record to intake.submitted in the live check)
#            --keep      (leave the temporary Prometheus and its data dir for inspection)
#
# Static: promtool check config/rules, promtool test rules, dashboards and topics regenerate
# identically, kubeconform (Kubernetes 1.33 + Strimzi 1.2.0 CRD schemas, offline) on
# deploy/k8s (and it must reject tests/ops/k8s-invalid/*), the compose file through compose-go
# (the loader of docker compose), pytest tests/ops (compose, k8s, dashboards, ACLs vs catalogue).
# Live: a temporary Prometheus (Debian package) on 127.0.0.1:$OPS_PROMETHEUS_PORT (19090) with
# deploy/prometheus/ (scrape and evaluation every 2 s), traffic through the services, every
# dashboard query and alert expression run against it (tests/ops/live_check.py).
#
# Installs what it needs, idempotently: prometheus (apt), kubeconform (go install) and
# composecheck (go build) into ~/.cache/rujukan/bin; the Strimzi CRD schemas (Maven Central)
# and the Kubernetes JSON schemas (PyPI kubernetes-validate) once into ~/.cache/rujukan/schemas.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cd "$repo"

mode=live up=0 poison=1 keep=0
for arg in "$@"; do
  case "$arg" in
    --static) mode=static ;;
    --up) up=1 ;;
    --no-poison) poison=0 ;;
    --keep) keep=1 ;;
    -h|--help) sed -n 2,21p "$0"; exit 0 ;;
    *) echo "ops-check: unknown option $arg" >&2; exit 2 ;;
  esac
done

KUBECONFORM_VERSION="${KUBECONFORM_VERSION:-v0.8.0}"
KUBE_VERSION="${KUBE_VERSION:-1.33.0}"
KUBE_SCHEMAS_PYPI="${KUBE_SCHEMAS_PYPI:-kubernetes-validate==1.37.0}"
CACHE="${RUJUKAN_CACHE:-$HOME/.cache/rujukan}"
PROM_PORT="${OPS_PROMETHEUS_PORT:-19090}"
export PATH="$CACHE/bin:$PATH:/usr/local/go/bin"
started=$(date +%s)
failed=()
step() { printf '\n== %s\n' "$*"; }
run() {  # run NAME CMD...: record a failure instead of stopping, so every check reports
  local name="$1"; shift
  if "$@"; then echo "ops-check: ok   $name"; else echo "ops-check: FAIL $name"; failed+=("$name"); fi
}

# ---- install -----------------------------------------------------------------------------------
step "tools"
if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
  echo "ops-check: installing prometheus (apt)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  # Debian's package enables a system service; this script runs its own instance only.
  if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
    systemctl stop prometheus || true
  fi
fi
if ! command -v mvn >/dev/null || ! command -v java >/dev/null || ! command -v curl >/dev/null; then
  bash deploy/local/install-system.sh   # JDK, Maven, curl (and PostgreSQL) from Debian
fi
if ! command -v kubeconform >/dev/null; then
  command -v go >/dev/null || { echo "ops-check: go is needed to install kubeconform"; exit 1; }
  echo "ops-check: installing kubeconform $KUBECONFORM_VERSION (go install)"
  GOBIN="$CACHE/bin" GOFLAGS=-mod=mod go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
fi
if [ ! -x "$CACHE/bin/composecheck" ] || [ tests/ops/composecheck/main.go -nt "$CACHE/bin/composecheck" ] \
   || [ tests/ops/composecheck/go.mod -nt "$CACHE/bin/composecheck" ]; then
  echo "ops-check: building composecheck (compose-go, from the Go module proxy)"
  (cd tests/ops/composecheck && GOFLAGS=-mod=mod go build -o "$CACHE/bin/composecheck" .)
fi
bash deploy/local/install-python.sh >/dev/null
strimzi_schemas="$(bash deploy/k8s/schemas/strimzi-schemas.sh "$CACHE/schemas")"
kube_schemas="$(KUBE_SCHEMAS_PYPI="$KUBE_SCHEMAS_PYPI" bash deploy/k8s/schemas/kubernetes-schemas.sh "$CACHE/schemas" "$KUBE_VERSION")"
echo "ops-check: $(promtool --version 2>&1 | head -1)"
echo "ops-check: kubeconform $(kubeconform -v)"
echo "ops-check: schemas: kubernetes v$KUBE_VERSION ($KUBE_SCHEMAS_PYPI), strimzi $strimzi_schemas"

# ---- static ------------------------------------------------------------------------------------
step "static checks"
run "promtool check config" promtool check config deploy/prometheus/prometheus.yml
run "promtool check rules" promtool check rules deploy/prometheus/rules/*.yml
run "promtool test rules" promtool test rules deploy/prometheus/rules.test.yml
run "dashboards up to date" uv run --quiet python deploy/grafana/build_dashboards.py --check
run "k8s topics/users up to date" uv run --quiet python deploy/k8s/build_topics.py --check
kubeconform_offline() {  # no schema location is remote: a missing schema is an error
  kubeconform -strict -summary -output text -skip Kustomization \
    -schema-location "$kube_schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    -schema-location "$strimzi_schemas/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" "$@"
}
run "kubeconform deploy/k8s (Kubernetes $KUBE_VERSION + Strimzi v1)" kubeconform_offline deploy/k8s/
rejects_all() {  # every file of tests/ops/k8s-invalid must be rejected: the schemas really bite
  local f ok=0
  for f in tests/ops/k8s-invalid/*.yaml; do
    if kubeconform_offline "$f" >/dev/null 2>&1; then echo "ops-check: $f was accepted"; ok=1; fi
  done
  return $ok
}
run "kubeconform rejects tests/ops/k8s-invalid/*" rejects_all
run "compose file loads (compose-go: schema, anchors, depends_on)" composecheck deploy/compose/docker-compose.yml
run "pytest tests/ops (static)" uv run --quiet pytest -q -p no:cacheprovider tests/ops -n 0

if [ "$mode" = static ]; then
  took=$(( $(date +%s) - started ))
  if [ ${#failed[@]} -eq 0 ]; then echo; echo "ops-check: static checks passed in ${took}s"; exit 0; fi
  echo; echo "ops-check: FAILED (${failed[*]}) in ${took}s"; exit 1
fi

# ---- live --------------------------------------------------------------------------------------
step "live checks"
if [ "$up" = 1 ]; then
  # a resident's news is gathered for a visit window (60 s by default) before one message goes
  # out; 2 s here, so the delivery panels have data within the check
  RUJUKAN_NOTIFICATIONS_VISIT_WINDOW_SECONDS="${RUJUKAN_NOTIFICATIONS_VISIT_WINDOW_SECONDS:-2}" \
    make up >/tmp/ops-check-make-up.log 2>&1 || { tail -20 /tmp/ops-check-make-up.log; echo "ops-check: make up failed"; exit 1; }
  echo "ops-check: platform started with make up"
fi
work="$(mktemp -d /tmp/rujukan-ops-check.XXXXXX)"
prom_pid=""
cleanup() {
  if [ -n "$prom_pid" ] && kill -0 "$prom_pid" 2>/dev/null; then
    if [ "$keep" = 1 ]; then echo "ops-check: Prometheus left running (pid $prom_pid, $work)"
    else kill "$prom_pid"; wait "$prom_pid" 2>/dev/null || true; fi
  fi
  [ "$keep" = 1 ] || rm -rf "$work"
  if [ "$up" = 1 ]; then make down >/dev/null 2>&1 && echo "ops-check: platform stopped (make down)"; fi
}
trap cleanup EXIT

for port in 8001 8002 8003 8004; do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" || {
    echo "ops-check: nothing ready on :$port — start the platform (make up) or use --up / --static"; exit 1; }
done

# The committed config, with 2 s scrape/evaluation so the check takes seconds, not minutes.
cp -r deploy/prometheus/. "$work/"
uv run --quiet python - "$work/prometheus.yml" <<'PY'
import sys, yaml
path = sys.argv[1]
cfg = yaml.safe_load(open(path))
cfg["global"].update(scrape_interval="2s", scrape_timeout="2s", evaluation_interval="2s")
yaml.safe_dump(cfg, open(path, "w"), sort_keys=False)
PY
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$work/prometheus.log" 2>&1 &
prom_pid=$!
for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PROM_PORT/-/ready" 2>/dev/null && break
  kill -0 "$prom_pid" 2>/dev/null || { cat "$work/prometheus.log"; echo "ops-check: prometheus exited"; exit 1; }
  sleep 0.5
done
echo "ops-check: prometheus $(prometheus --version 2>&1 | head -1 | awk '{print $3}') on :$PROM_PORT (pid $prom_pid, data $work/data)"
live_args=(--prometheus "http://127.0.0.1:$PROM_PORT" --report "$work/report.json")
[ "$poison" = 1 ] || live_args+=(--no-poison)
run "live: dashboards and alerts against the running platform" \
  uv run --quiet python tests/ops/live_check.py "${live_args[@]}"
mkdir -p "${RUJUKAN_STATE_DIR:-$repo/.local}" && cp "$work/report.json" "${RUJUKAN_STATE_DIR:-$repo/.local}/ops-check-report.json" 2>/dev/null || true

took=$(( $(date +%s) - started ))
if [ ${#failed[@]} -eq 0 ]; then echo; echo "ops-check: all checks passed in ${took}s"; exit 0; fi
echo; echo "ops-check: FAILED (${failed[*]}) in ${took}s"; exit 1
