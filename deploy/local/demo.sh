#!/usr/bin/env bash
# make demo: one SLRT day against the stack `make up` runs (same env.sh: state dir and ports).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/env.sh"
cd "$REPO_ROOT"
exec uv run python deploy/local/demo.py
