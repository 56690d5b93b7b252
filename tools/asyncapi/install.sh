#!/usr/bin/env bash
# Install the contract checkers' Node packages (tools/asyncapi/package-lock.json) with `npm ci`,
# and Node itself from the distribution when it is missing. A fast no-op when node_modules
# already holds this lock file's packages (a stamp of its hash). No install script runs: none of
# these packages needs one (jsoncompat ships its WebAssembly; @scarf/scarf's only reports).
#
#   tools/asyncapi/install.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
say() { echo "install-node-tools: $*"; }

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  say "installing nodejs and npm"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi

stamp="$here/node_modules/.rujukan-lock.sha256"
want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  say "node_modules current (node $(node --version))"
  exit 0
fi
say "npm ci in tools/asyncapi"
(cd "$here" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
echo "$want" >"$stamp"
