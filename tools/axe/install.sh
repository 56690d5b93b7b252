#!/usr/bin/env bash
# Install axe-core from tools/axe/package-lock.json (npm ci, no install scripts, a no-op when
# current), the way tools/asyncapi's checkers are: the workbench's browser tests inject it.
#
#   tools/axe/install.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec bash "$here/../asyncapi/install.sh" "$here"
