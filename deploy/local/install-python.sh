#!/usr/bin/env bash
# Installs uv (from PyPI) when missing and syncs the workspace from the lock file.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v uv >/dev/null 2>&1; then
  echo "python: installing uv"
  python3 -m pip install --quiet --disable-pip-version-check "uv>=0.5" \
    || python3 -m pip install --quiet --break-system-packages "uv>=0.5"
fi
uv sync --frozen --quiet
echo "python: workspace synced ($(uv run python --version))"
bash libs/platform/docs-assets/install.sh  # Swagger UI and ReDoc for /docs and /redoc (npm, pinned)
