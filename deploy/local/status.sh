#!/usr/bin/env bash
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/env.sh"
bash "$here/kafka.sh" status
bash "$here/postgres.sh" status
for svc in "${SERVICES[@]}"; do
  read -r name pkg port <<<"$svc"
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
    echo "$name: ready on :$port"
  else
    echo "$name: not ready"
  fi
done
