#!/usr/bin/env bash
# Installs uv (from PyPI) when missing, syncs the workspace from the lock file and compiles it.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v uv >/dev/null 2>&1; then
  echo "python: installing uv"
  python3 -m pip install --quiet --disable-pip-version-check "uv>=0.5" \
    || python3 -m pip install --quiet --break-system-packages "uv>=0.5"
fi
# Bytecode compiled once here, for the dependencies and the workspace's own sources: a process
# started where none was written (PYTHONDONTWRITEBYTECODE, a read-only tree) compiles every
# module it imports, 3.6 s of CPU a service process against 1.4 s (docs/decisions.md).
uv sync --frozen --quiet --compile-bytecode
uv run python -m compileall -q -j 0 libs/*/src contracts/src services/*/src >/dev/null
echo "python: workspace synced ($(uv run python --version))"
bash libs/platform/docs-assets/install.sh  # Swagger UI and ReDoc for /docs and /redoc (npm, pinned)
