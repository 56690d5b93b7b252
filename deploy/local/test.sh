#!/usr/bin/env bash
# make test: install what is needed, start Kafka and PostgreSQL on test ports (own state dir),
# run every test against them, stop them again.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export RUJUKAN_STATE_DIR="${RUJUKAN_STATE_DIR:-$(cd "$here/../.." && pwd)/.local/test}"
export KAFKA_PORT="${RUJUKAN_TEST_KAFKA_PORT:-19092}"
export KAFKA_CONTROLLER_PORT=$((KAFKA_PORT + 1))
export PG_PORT="${RUJUKAN_TEST_PG_PORT:-55439}"
source "$here/env.sh"
cd "$REPO_ROOT"

bash "$here/install-system.sh"
bash "$here/install-python.sh"
uv run ruff check --quiet .
uv run ruff format --check --quiet .
uv run mypy --no-error-summary libs/*/src contracts/src services/*/src
cleanup() {
  bash "$here/kafka.sh" stop || true
  bash "$here/postgres.sh" stop || true
}
trap cleanup EXIT
cleanup  # a clean broker and database every run: no state leaks between runs
rm -rf "$RUJUKAN_STATE_DIR/kafka-$KAFKA_PORT" "$RUJUKAN_STATE_DIR/postgres-$PG_PORT"
bash "$here/postgres.sh" start
bash "$here/kafka.sh" start

export RUJUKAN_TEST_KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
export RUJUKAN_TEST_PG_URL="postgresql+asyncpg://rujukan:rujukan@127.0.0.1:$PG_PORT"
uv run python -m rujukan_contracts.generate --check
uv run pytest -n 2 --dist loadgroup "$@"
