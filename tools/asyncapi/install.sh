#!/usr/bin/env bash
# Install the contract checkers' Node packages (tools/asyncapi/package-lock.json) with `npm ci`
# (Node and npm come with the system packages, deploy/local/install-system.sh, which
# deploy/local/test.sh runs first). A fast no-op when node_modules
# already holds this lock file's packages (a stamp of its hash). No install script runs: none of
# these packages needs one (jsoncompat ships its WebAssembly; @scarf/scarf's only reports).
# Another tools/ folder with its own lock file is installed the same way by naming it
# (tools/axe/install.sh does).
#
#   tools/asyncapi/install.sh [FOLDER]
set -euo pipefail
here="$(cd "${1:-$(dirname "$0")}" && pwd)"
say() { echo "install-node-tools: $*"; }

command -v npm >/dev/null || { say "ERROR: no npm: run deploy/local/install-system.sh" >&2; exit 1; }
# package.json's engines (npm ci only warns): an older distribution's Node fails later, obscurely
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 18 || (a === 18 && b >= 18) ? 0 : 1)'; then
  say "ERROR: node $(node --version) is older than 18.18 (package.json engines)" >&2
  exit 1
fi

stamp="$here/node_modules/.rujukan-lock.sha256"
want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  say "node_modules current (node $(node --version))"
  exit 0
fi
say "npm ci in ${here#"$PWD/"}"
(cd "$here" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
echo "$want" >"$stamp"
